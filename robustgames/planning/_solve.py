"""Robust Nash / CE / CCE value iteration: the exact ground truth.

Finite horizon (DR-NVI planning with known ``P0``, docs/theory.md section 3): backward in
``h``, at each ``(h, s)`` solve the stage game whose payoffs are the robust
``Q_{i,h}(s, .) = r_{i,h}(s, .) + sigma_{U_i(P0_h(.|s,.))}(V_{i,h+1})`` for a NASH, CE or
CCE, then ``V_{i,h}(s) = E_{a ~ pi_h(.|s)} Q_{i,h}(s, a)``. When every stage game is solved
exactly the result is a robust equilibrium of that kind; its gap is recomputed
independently by :func:`robustgames.gap` and returned.

Discounted: value iteration on the same operator until
``gamma/(1-gamma) ||V_{k+1} - V_k||_inf <= tol``. For one player (a robust MDP) the
operator is a ``gamma``-contraction, so the last iterate is within ``tol`` of the optimal
values; the RETURNED values are the exact robust values of the policy that is greedy for
that iterate, which are within ``2 gamma tol / (1 - gamma)`` of optimal (Singh & Yee 1994;
the returned ``gap``, computed exactly, says how far the policy really is), and
``method="policy_iteration"`` (robust policy iteration: robust evaluation to 1e-10, greedy
improvement that keeps the current action unless another beats it by more than the
evaluation error, so ties cannot cycle) is available. For ``n >= 2`` stationary equilibrium value iteration has no
general convergence guarantee; the returned policy's certified gap says how good it is.

Note: with ``sigma > 0`` a zero-sum game becomes general-sum under agent-wise sets (each
player meets its own worst case); at ``sigma = 0`` its NE value is the max-min value.
"""

from __future__ import annotations

import numpy as np

from .._result import Result
from .._validation import check_choice
from ..games import MarkovGame
from ._backup import check_iteration_args, fixed_point, player_sets, robust_q
from ._best_response import _gap
from ._evaluate import _evaluate
from ._stage import check_equilibrium, solve_stages


def solve(game: MarkovGame, U, equilibrium: str = "nash", *, method: str = "value_iteration",
          tol: float = 1e-8, max_iter: int = 100_000) -> Result:
    """Robust equilibrium of a Markov game by robust value iteration.

    Parameters
    ----------
    game : MarkovGame
    U : UncertaintySet or list of UncertaintySet
        One set for every player or one per player (agent-wise radii).
    equilibrium : {"nash", "ce", "cce"}
        Stage solution concept. ``"nash"`` needs at most 2 players.
    method : {"value_iteration", "policy_iteration"}
        ``"policy_iteration"`` only for discounted single-agent games (robust MDPs).
    tol : float
        Discounted games: value-iteration stopping tolerance (sup norm; see module doc).
    max_iter : int
        Discounted games: iteration cap.

    Returns
    -------
    Result
        ``policy`` (joint, ``game.policy_shape``), ``values`` (robust values of that
        policy, ``(H+1, S, n)`` or ``(S, n)``), ``Q`` (robust Q at the solution,
        ``policy_shape + (n,)``), ``gap`` (certified robust gap of ``policy``, recomputed
        by :func:`robustgames.gap`), ``gap_per_player``, ``equilibrium``, ``method``,
        ``iterations``, ``converged``.
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    check_equilibrium(equilibrium, game.n_players)
    check_choice(method, "method", ("value_iteration", "policy_iteration"))
    tol, max_iter = check_iteration_args(tol, max_iter)
    sets = player_sets(game, U)
    if method == "policy_iteration":
        if not game.discounted or game.n_players != 1:
            raise ValueError("method='policy_iteration' needs a discounted single-agent game (a robust MDP)")
        policy, Q, iterations, converged = _policy_iteration(game, sets, tol, max_iter)
    elif game.discounted:
        policy, Q, iterations, converged = _discounted_vi(game, sets, equilibrium, tol, max_iter)
    else:
        policy, Q, iterations, converged, values = _finite_horizon(game, sets, equilibrium)
    if game.discounted:  # value iteration's values approximate; evaluate the returned policy
        values = _evaluate(game, sets, policy, tol=min(tol, 1e-10))
        Q = robust_q(game, sets, values, None)  # the robust Q of the returned policy's values
    # (finite horizon: the backward pass IS the robust evaluation of the returned policy)
    certificate = _gap(game, sets, policy, equilibrium, tol=min(tol, 1e-10), values=values)
    shape = game.policy_shape
    return Result(
        policy=policy.reshape(shape),
        values=values,
        Q=Q.reshape(shape + (game.n_players,)),
        gap=certificate.value,
        gap_per_player=certificate.per_player,
        equilibrium=equilibrium,
        method=method,
        iterations=iterations,
        converged=converged,
    )


def _finite_horizon(game, sets, equilibrium):
    H, S, A, n = game.horizon, game.n_states, game.n_joint_actions, game.n_players
    V = np.zeros((H + 1, S, n))
    Q = np.empty((H, S, A, n))
    policy = np.empty((H, S, A))
    for h in range(H - 1, -1, -1):
        robust_q(game, sets, V[h + 1], h, out=Q[h])
        solve_stages(Q[h], game.n_actions, equilibrium, out=policy[h])
        V[h] = np.einsum("sa,sai->si", policy[h], Q[h])
    return policy, Q, H, True, V


def _discounted_vi(game, sets, equilibrium, tol, max_iter):
    S, A, n = game.n_states, game.n_joint_actions, game.n_players
    Q = np.empty((S, A, n))
    policy = np.empty((S, A))

    def step(V):
        robust_q(game, sets, V, None, out=Q)
        solve_stages(Q, game.n_actions, equilibrium, out=policy)
        return np.einsum("sa,sai->si", policy, Q), None

    V, _, iterations, converged = fixed_point(
        step, np.zeros((S, n)), game.gamma, tol, max_iter,
        "robust value iteration (the returned gap certifies the policy)")
    robust_q(game, sets, V, None, out=Q)
    solve_stages(Q, game.n_actions, equilibrium, out=policy)
    return policy, Q, iterations, converged


def _policy_iteration(game, sets, tol, max_iter):
    S, A = game.n_states, game.n_joint_actions
    Q = np.empty((S, A, 1))
    eval_tol = min(tol, 1e-10)
    action = np.argmax(game.flat_rewards[:, :, 0], axis=1)
    converged = False
    for it in range(1, max_iter + 1):
        policy = np.zeros((S, A))
        policy[np.arange(S), action] = 1.0
        V = _evaluate(game, sets, policy, tol=eval_tol)
        robust_q(game, sets, V, None, out=Q)
        q = Q[:, :, 0]
        best = q.max(axis=1)
        # keep the current action unless another is better by more than the evaluation
        # error can explain (Q is within gamma * eval_tol of exact): no cycling on ties
        keep = q[np.arange(S), action] >= best - 4.0 * eval_tol
        new_action = np.where(keep, action, np.argmax(q, axis=1))
        if np.array_equal(new_action, action):
            converged = True
            break
        action = new_action
    policy = np.zeros((S, A))
    policy[np.arange(S), action] = 1.0
    return policy, Q, it, converged
