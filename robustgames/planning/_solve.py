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
that iterate, which are within ``2 gamma tol`` of optimal (the certificate of docs/theory.md 3.6;
the returned ``gap``, computed exactly, says how far the policy really is). For ``n >= 2``
stationary equilibrium value iteration has no general convergence guarantee; the returned
policy's certified gap says how good it is.

``method="policy_iteration"`` (docs/theory.md 3.6) solves the classes where a policy
iteration with a convergence guarantee exists: robust MDPs and team games (identical
rewards and the same set for every player: one agent over joint actions) by robust policy
iteration with nature's policy iteration as the evaluation
(:mod:`._policy_iteration`), and two-player zero-sum games at ``sigma = 0`` by
Hoffman-Karp (:mod:`._zero_sum_pi`). Both stop on the certified bound
``2 gamma/(1-gamma) ||T V - V||_inf <= tol`` on the gap of the returned policy, returned as
``gap_bound`` (value iteration returns the same bound for those classes). ``"auto"``
takes policy iteration where it applies and value iteration elsewhere (general-sum games
and agent-wise sets with ``sigma > 0``: no accelerated scheme with a guarantee, see 3.6);
``method="anderson"`` runs safeguarded Anderson-accelerated value iteration for any
discounted game (``iterations`` then counts backups).

Note: with ``sigma > 0`` a zero-sum game becomes general-sum under agent-wise sets (each
player meets its own worst case); at ``sigma = 0`` its NE value is the max-min value.
"""

from __future__ import annotations

import numpy as np

from .._result import Result
from .._validation import check_choice
from ..games import MarkovGame
from ._anderson import anderson_fixed_point
from ._backup import check_iteration_args, fixed_point, is_team_game, player_sets, robust_q
from ._best_response import _gap
from ._evaluate import _evaluate
from ._policy_iteration import Counter, robust_policy_iteration, robust_policy_values
from ._stage import check_equilibrium, solve_stages
from ._zero_sum_pi import zero_sum_policy_iteration

METHODS = ("value_iteration", "policy_iteration", "anderson", "auto")


def solve(game: MarkovGame, U, equilibrium: str = "nash", *, method: str = "value_iteration",
          tol: float = 1e-8, max_iter: int = 100_000) -> Result:
    """Robust equilibrium of a Markov game by robust value or policy iteration.

    Parameters
    ----------
    game : MarkovGame
    U : UncertaintySet or list of UncertaintySet
        One set for every player or one per player (agent-wise radii).
    equilibrium : {"nash", "ce", "cce"}
        Stage solution concept. ``"nash"`` needs at most 2 players.
    method : {"value_iteration", "policy_iteration", "anderson", "auto"}
        ``"policy_iteration"`` for discounted robust MDPs, team games (identical rewards,
        the same ``U`` for every player) and two-player zero-sum games with every set of
        radius 0 (module doc); ``"auto"``: policy iteration where it applies, value
        iteration otherwise (``result.method`` says which ran). ``"anderson"``: value
        iteration with safeguarded Anderson acceleration (:mod:`._anderson`), for any
        discounted game, same stopping rule and exact gap; convergent for contractions,
        measured (not proved) to help for general-sum games.
    tol : float
        Discounted games. Value iteration: stop when
        ``gamma/(1-gamma) ||V_{k+1} - V_k||_inf <= tol``; policy iteration: stop when the
        certified gap bound ``2 gamma/(1-gamma) ||T V - V||_inf <= tol`` (module doc).
    max_iter : int
        Discounted games: iteration cap (value-iteration sweeps or improvement steps).

    Returns
    -------
    Result
        ``policy`` (joint, ``game.policy_shape``), ``values`` (robust values of that
        policy, ``(H+1, S, n)`` or ``(S, n)``), ``Q`` (robust Q at the solution,
        ``policy_shape + (n,)``), ``gap`` (certified robust gap of ``policy``, recomputed
        by :func:`robustgames.gap`), ``gap_per_player``, ``equilibrium``, ``method``,
        ``iterations``, ``converged``; discounted games also ``gap_bound`` (the certified
        bound ``2 gamma/(1-gamma) ||T V - V||_inf`` on ``gap`` for robust MDPs, team and
        zero-sum ``sigma = 0`` games, else ``None``), ``backups`` (robust Bellman backups
        in units of one sweep over all ``S * A`` rows) and ``linear_solves``.

    Notes
    -----
    ``gap`` is recomputed independently of the solver: best responses by robust value
    iteration to ``1e-10``, which near ``gamma = 1`` costs more than the policy-iteration
    solve itself (tens of thousands of sweeps at ``gamma = 0.999``). ``gap_bound`` is the
    solver's own certificate and costs nothing extra.
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    check_equilibrium(equilibrium, game.n_players)
    check_choice(method, "method", METHODS)
    tol, max_iter = check_iteration_args(tol, max_iter)
    sets = player_sets(game, U)
    extra = {}
    if method == "anderson" and not game.discounted:
        raise ValueError("method='anderson' needs a discounted game (gamma given); finite horizon is solved "
                         "exactly by backward induction")
    if method in ("policy_iteration", "auto"):
        kind, reason = pi_class(game, sets)
        if kind is None and method == "policy_iteration":
            raise ValueError(f"method='policy_iteration' {reason}; use method='value_iteration' (or 'auto')")
        method = "value_iteration" if kind is None else "policy_iteration"
    if method == "policy_iteration":
        policy, values, iterations, converged, extra = _discounted_pi(game, sets, kind, tol, max_iter)
        Q = robust_q(game, sets, values, None)
    elif game.discounted:
        iterate = anderson_fixed_point if method == "anderson" else fixed_point
        policy, Q, iterations, converged, extra = _discounted_vi(game, sets, equilibrium, tol, max_iter, iterate)
        # value iteration's values approximate; evaluate the returned policy
        values = _evaluate(game, sets, policy, tol=min(tol, 1e-10))
        Q = robust_q(game, sets, values, None)  # the robust Q of the returned policy's values
    else:
        # the backward pass IS the robust evaluation of the returned policy
        policy, Q, iterations, converged, values = _finite_horizon(game, sets, equilibrium)
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
        **extra,
    )


def pi_class(game: MarkovGame, sets) -> tuple:
    """Which policy iteration applies: ``("agent", "")`` for robust MDPs and team games,
    ``("zero_sum", "")`` for two-player zero-sum games with every set of radius 0, else
    ``(None, reason)``."""
    if not game.discounted:
        return None, "needs a discounted game (gamma given); finite horizon is solved exactly by backward induction"
    if game.n_players == 1 or is_team_game(game, sets):
        return "agent", ""
    R = game.rewards
    if game.n_players == 2 and np.array_equal(R[..., 0], -R[..., 1]):
        if all(getattr(U, "radius", None) == 0 for U in sets):
            return "zero_sum", ""
        return None, ("needs sigma = 0 for a zero-sum game: under agent-wise sets of positive radius each "
                      "player meets its own worst case and the game is general-sum")
    return None, ("supports robust MDPs, team games (identical rewards and the same U for every player) "
                  "and two-player zero-sum games at sigma = 0; this game is general-sum or its players "
                  "have different sets")


def _bound_fields(game, counter, bound):
    return {"gap_bound": bound, "backups": float(counter.backups), "linear_solves": int(counter.linear_solves)}


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


def _discounted_vi(game, sets, equilibrium, tol, max_iter, iterate=fixed_point):
    S, A, n = game.n_states, game.n_joint_actions, game.n_players
    Q = np.empty((S, A, n))
    policy = np.empty((S, A))

    def step(V):
        robust_q(game, sets, V, None, out=Q)
        solve_stages(Q, game.n_actions, equilibrium, out=policy)
        return np.einsum("sa,sai->si", policy, Q), None

    V, _, iterations, converged = iterate(
        step, np.zeros((S, n)), game.gamma, tol, max_iter,
        "robust value iteration (the returned gap certifies the policy)")
    robust_q(game, sets, V, None, out=Q)
    solve_stages(Q, game.n_actions, equilibrium, out=policy)
    counter = Counter()
    counter.backups = iterations + 1
    bound = None
    if pi_class(game, sets)[0] is not None:  # the certificate of docs/theory.md 3.6
        TV = np.einsum("sa,sai->si", policy, Q)
        factor = game.gamma / (1.0 - game.gamma) if game.gamma > 0 else 0.0
        bound = 2.0 * factor * float(np.max(np.abs(TV - V)))
    return policy, Q, iterations, converged, _bound_fields(game, counter, bound)


def _discounted_pi(game, sets, kind, tol, max_iter):
    """Policy iteration of the class ``kind`` (see :func:`pi_class`); returns the policy,
    its robust values (exact up to 1e-10, by nature's policy iteration or a linear solve),
    iterations, converged and the cost/certificate fields."""
    S, A, n = game.n_states, game.n_joint_actions, game.n_players
    P2 = game.flat_transitions.reshape(S * A, S)
    states = np.arange(S)
    policy = np.zeros((S, A))
    if kind == "agent":
        U = sets[0]
        counter = Counter()
        counter.joint_actions = A
        action, V, _, iterations, converged, bound, counter = robust_policy_iteration(
            U, P2, game.flat_rewards[:, :, 0], game.gamma, tol, max_iter, counter)
        policy[states, action] = 1.0
        # the returned policy's robust values, to 1e-10 (evaluation cost not counted)
        v, _ = robust_policy_values(U, P2, game.flat_rewards[states, action, 0], states * A + action,
                                    game.gamma, V, min(tol, 1e-10), Counter())
        values = np.repeat(v[:, None], n, axis=1)
    else:
        P = game.transitions
        R = game.rewards[..., 0]
        policy, _, _, iterations, converged, bound, counter = zero_sum_policy_iteration(
            P, R, game.gamma, tol, max_iter)
        # sigma = 0: the policy's values solve one linear system
        D = np.einsum("sa,sat->st", policy, game.flat_transitions)
        r = np.einsum("sa,sa->s", policy, game.flat_rewards[:, :, 0])
        v = np.linalg.solve(np.eye(S) - game.gamma * D, r)
        values = np.stack([v, -v], axis=1)
    return policy, values, iterations, converged, _bound_fields(game, counter, bound)
