"""The robust Bellman backup shared by evaluation, best responses and value iteration.

For every player ``i`` with its own (s,a)-rectangular set ``U_i`` (agent-wise sets,
docs/theory.md section 3; MORNAVI arXiv 2508.02948, DR-NVI arXiv 2404.18909):

    Q_{i,h}(s, a) = r_{i,h}(s, a) + c * sigma_{U_i(P0_h(.|s,a))}(V_{i,h+1}),

with ``c = 1`` for finite horizon and ``c = gamma`` for discounted games, and
``sigma_U(V) = inf_{p in U(p0)} p.V`` the exact support function of the set. Each
player meets its own worst case, so a zero-sum game becomes general-sum for
``sigma > 0``.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._validation import check_positive_int, check_tolerance
from ..games import MarkovGame
from ..uncertainty import Group, as_player_sets


def robust_q(game: MarkovGame, sets, V_next: np.ndarray, h: int | None = None,
             players=None, out: np.ndarray | None = None) -> np.ndarray:
    """Robust Q of the given players, ``(S, A, n)`` (``A`` = flat joint actions).

    Parameters
    ----------
    game : MarkovGame
    sets : list of UncertaintySet
        One per player (see :func:`robustgames.uncertainty.as_player_sets`).
    V_next : ndarray, shape (S, n)
        Next-step (or current iterate's) values of every player.
    h : int or None
        Step for finite-horizon games; ``None`` for discounted games.
    players : iterable of int, optional
        Players to back up (default all); other columns of ``out`` are left untouched.

    Notes
    -----
    The backup calls each set's batched ``_values`` hook, not the row-kernel interface of
    :mod:`robustgames.uncertainty._engine` that the learners use: the built-in sets'
    hooks are parallel kernels over the same row solvers, faster on planning's large
    batches than a generic row loop (one sort of ``V`` per call, per-thread KL scratch,
    the KL value tolerance). A set defined only by its row kernel (e.g.
    :class:`robustgames.uncertainty.RowSet`) gets ``_values`` from that kernel, so every set
    works in both halves (docs/theory.md section 2.9).
    """
    S, A, n = game.n_states, game.n_joint_actions, game.n_players
    if h is None:
        P = game.flat_transitions.reshape(S * A, S)
        R = game.flat_rewards
        scale = game.gamma
    else:
        P = game.flat_transitions[h].reshape(S * A, S)
        R = game.flat_rewards[h]
        scale = 1.0
    if out is None:
        out = np.empty((S, A, n))
    worst = np.empty(S * A)
    for i in range(n) if players is None else players:
        U = sets[i] if h is None else sets[i].at_step(h)
        U._values(P, np.ascontiguousarray(V_next[:, i]), worst)
        out[:, :, i] = R[:, :, i] + scale * worst.reshape(S, A)
    return out


def sup_norm(x: np.ndarray) -> float:
    return float(np.max(np.abs(x))) if x.size else 0.0


def fixed_point(step, V0: np.ndarray, gamma: float, tol: float, max_iter: int, what: str):
    """Iterate ``V, extra = step(V)`` to the fixed point of a ``gamma``-contraction.

    Stops at the first ``k`` with ``gamma/(1-gamma) ||V_{k+1} - V_k||_inf <= tol``, which
    guarantees ``||V_{k+1} - V*||_inf <= tol`` for the fixed point ``V*``. Warns (a
    ``RuntimeWarning`` naming ``what``) if ``max_iter`` (>= 1) passes do not get there.

    Returns
    -------
    (V, extra, iterations, converged)
    """
    factor = gamma / (1.0 - gamma) if gamma > 0 else 0.0
    V = V0
    for it in range(1, max_iter + 1):
        V_new, extra = step(V)
        done = factor * sup_norm(V_new - V) <= tol
        V = V_new
        if done:
            return V, extra, it, True
    warnings.warn(f"{what} did not reach tol={tol:g} within max_iter={max_iter}", RuntimeWarning, stacklevel=4)
    return V, extra, max_iter, False


def player_sets(game: MarkovGame, U) -> list:
    """One validated uncertainty set per player, each checked against ``game``."""
    return as_player_sets(U, game.n_players, game)


def is_team_game(game: MarkovGame, U) -> bool:
    """Whether every player has the same rewards (exactly) and the same uncertainty set:
    then all players share one robust objective and the optimal robust Q is defined."""
    sets = player_sets(game, U)
    R = game.rewards
    if not all(np.array_equal(R[..., i], R[..., 0]) for i in range(1, game.n_players)):
        return False
    first = sets[0]
    for s in sets[1:]:
        if s is first:
            continue
        if type(s) is not type(first) or s != first:
            return False
        if isinstance(s, Group) and not np.array_equal(s.distributions, first.distributions):
            return False
    return True


def check_iteration_args(tol, max_iter) -> tuple:
    """``(tol, max_iter)`` validated: a finite positive tolerance, at least one pass."""
    return check_tolerance(tol, "tol"), check_positive_int(max_iter, "max_iter")
