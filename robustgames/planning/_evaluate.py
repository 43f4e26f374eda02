"""Robust policy evaluation of any joint (possibly correlated) policy.

For every player ``i`` (docs/theory.md section 3):

    V_{i,h}(s) = sum_a pi_h(a|s) [ r_{i,h}(s,a) + sigma_{U_i(P0_h(.|s,a))}(V_{i,h+1}) ],  V_{i,H} = 0

(finite horizon, backward in ``h``) and, for discounted games, the unique fixed point of
``V_i(s) = sum_a pi(a|s) [ r_i(s,a) + gamma sigma_{U_i}(V_i) ]``, a ``gamma``-contraction in
sup norm because every support function is monotone and translation-equivariant.
Discounted evaluation iterates until ``gamma/(1-gamma) ||V_{k+1} - V_k||_inf <= tol``,
which guarantees ``||V_{k+1} - V^pi||_inf <= tol``.
"""

from __future__ import annotations

import numpy as np

from ..games import MarkovGame
from ._backup import check_iteration_args, fixed_point, player_sets, robust_q
from ._policy import as_joint_policy


def evaluate(game: MarkovGame, U, policy, *, tol: float = 1e-10, max_iter: int = 1_000_000) -> np.ndarray:
    """Robust values of a joint policy for every player.

    Parameters
    ----------
    game : MarkovGame
    U : UncertaintySet or list of UncertaintySet
        One set for all players, or one per player (agent-wise radii).
    policy : array_like or list of array_like
        Joint policy of shape ``game.policy_shape`` (may be correlated), or a list of
        per-player policies ``(..., S, A_i)`` (their product is evaluated).
    tol : float
        Discounted games only: guaranteed sup-norm error of the returned values.
    max_iter : int
        Discounted games only: iteration cap (a ``RuntimeWarning`` if reached).

    Returns
    -------
    ndarray
        ``(H+1, S, n)`` for finite horizon (``V[H] = 0``) or ``(S, n)`` for discounted.
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    tol, max_iter = check_iteration_args(tol, max_iter)
    sets = player_sets(game, U)
    pi = as_joint_policy(game, policy)
    return _evaluate(game, sets, pi, tol=tol, max_iter=max_iter)


def _evaluate(game, sets, pi, *, tol=1e-10, max_iter=1_000_000, V0=None):
    S, n = game.n_states, game.n_players
    if not game.discounted:
        H = game.horizon
        V = np.zeros((H + 1, S, n))
        Q = np.empty((S, game.n_joint_actions, n))
        for h in range(H - 1, -1, -1):
            robust_q(game, sets, V[h + 1], h, out=Q)
            V[h] = np.einsum("sa,sai->si", pi[h], Q)
        return V
    Q = np.empty((S, game.n_joint_actions, n))

    def step(V):
        robust_q(game, sets, V, None, out=Q)
        return np.einsum("sa,sai->si", pi, Q), None

    V0 = np.zeros((S, n)) if V0 is None else V0.copy()
    return fixed_point(step, V0, game.gamma, tol, max_iter, "robust policy evaluation")[0]
