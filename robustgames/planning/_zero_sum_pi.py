"""Policy iteration for discounted two-player zero-sum Markov games (docs/theory.md 3.6).

Hoffman & Karp (1966, "On nonterminating stochastic games", Management Science 12(5));
see also Filar & Vrieze, *Competitive Markov Decision Processes* (1997), section 6.3.
Player 0 maximises ``r = r_0 = -r_1``; the game is nominal (``sigma = 0``; under
agent-wise sets with ``sigma > 0`` each player meets its own worst case and the game is
no longer zero-sum, docs/theory.md section 1).

With ``Q_V(s, a, b) = r(s, a, b) + gamma P(s, a, b) . V`` and the Shapley operator
``(T V)(s) = val Q_V(s)`` (value of the matrix game):

1. improvement: ``x_{k+1}(s)`` a maximin strategy of ``Q_{V_k}(s)`` (the minimax LP of
   :mod:`robustgames.equilibria`, through the compiled stage solver);
2. evaluation: ``V_{k+1}`` is the value of the minimising player's MDP with ``x_{k+1}``
   fixed, solved exactly by Howard's policy iteration with linear solves.

Convergence: ``V_k`` is a fixed point of ``T^min_{x_k}`` (the min player's optimality
operator against ``x_k``), so ``V_k = T^min_{x_k} V_k <= T V_k = T^min_{x_{k+1}} V_k``;
``T^min_{x_{k+1}}`` is monotone and a ``gamma``-contraction, hence ``V_{k+1} >= V_k``, and
``V_k`` increases to the value ``V*`` (Hoffman & Karp 1966). Pollatschek & Avi-Itzhak's
variant, which replaces step 2 by one linear solve of ``(x_{k+1}, y_{k+1})``, can cycle
(van der Wal 1978); this one cannot.

Stopping rule (the one of value iteration, docs/theory.md 3.6): with ``(x, y)`` the
maximin/minimax strategies of ``Q_V``, ``min_{y'} V^{x, y'} >= T V - gamma/(1-gamma) ||T V - V||``
and ``max_{x'} V^{x', y} <= T V + gamma/(1-gamma) ||T V - V||``, so each player's improvement
by deviating is at most ``2 gamma/(1-gamma) ||T V - V||_inf``; stop when that is ``<= tol``.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._backup import sup_norm
from ._policy_iteration import Counter, linear_values
from ._stage import solve_stages

#: cap on the min player's policy-iteration steps per evaluation (it terminates finitely)
MIN_PLAYER_STEPS = 200


def _min_player_values(r_x, P_x, gamma, W0, action, counter):
    """Optimal values of the minimising player's MDP (Howard's policy iteration, exact).

    ``r_x`` is ``(S, B)`` and ``P_x`` ``(S, B, S)``; ``action`` (``(S,)`` or None) is the
    warm-start policy. Returns ``(W, action)``.
    """
    S, B = r_x.shape
    states = np.arange(S)
    P2 = P_x.reshape(S * B, S)
    if action is None:
        action = np.argmin(r_x + gamma * (P2 @ W0).reshape(S, B), axis=1)
        counter.backups += B / counter.joint_actions
    for _ in range(MIN_PLAYER_STEPS):
        W = linear_values(P_x[states, action], r_x[states, action], gamma, counter)
        q = r_x + gamma * (P2 @ W).reshape(S, B)
        counter.backups += B / counter.joint_actions
        best = q.min(axis=1)
        slack = 1e-12 * (1.0 + np.abs(best))
        new = np.where(q[states, action] <= best + slack, action, np.argmin(q, axis=1))
        if np.array_equal(new, action):
            return W, action
        action = new
    return W, action


def zero_sum_policy_iteration(P: np.ndarray, R: np.ndarray, gamma: float, tol: float, max_iter: int,
                              counter: Counter | None = None):
    """Hoffman-Karp policy iteration (module docstring).

    Parameters
    ----------
    P : ndarray (S, A1, A2, S)
        Kernel.
    R : ndarray (S, A1, A2)
        Player 0's reward (player 1 receives ``-R``).
    gamma : float
    tol : float
        Bound on the certified gap of the returned policy.
    max_iter : int
        Cap on improvement steps (``RuntimeWarning`` if reached).

    Returns
    -------
    (policy, V, Q, iterations, converged, gap_bound, counter)
        ``policy`` the joint product policy ``(S, A1 * A2)``; ``V`` (S,) player 0's last
        values; ``Q`` (S, A1 * A2) player 0's ``Q_V``.
    """
    S, A1, A2 = R.shape
    counter = Counter() if counter is None else counter
    counter.joint_actions = A1 * A2
    factor = gamma / (1.0 - gamma) if gamma > 0 else 0.0
    P2 = P.reshape(S * A1 * A2, S)
    Rf = R.reshape(S, A1 * A2)
    both = np.empty((S, A1 * A2, 2))
    policy = np.empty((S, A1 * A2))
    V = np.zeros(S)
    y_action = None
    converged = False
    best_bound, stalled = np.inf, 0
    for it in range(1, max_iter + 1):
        Q = Rf + gamma * (P2 @ V).reshape(S, A1 * A2)
        counter.backups += 1.0
        both[:, :, 0] = Q
        both[:, :, 1] = -Q
        solve_stages(both, (A1, A2), "nash", out=policy)  # exactly zero-sum: the minimax LP
        TV = np.einsum("sa,sa->s", policy, Q)
        bound = 2.0 * factor * sup_norm(TV - V)
        if bound <= tol:
            converged = True
            break
        # V increases monotonically; a bound that stops improving means round-off
        stalled = stalled + 1 if bound >= best_bound else 0
        best_bound = min(best_bound, bound)
        if it == max_iter or stalled >= 5:
            break
        x = policy.reshape(S, A1, A2).sum(axis=2)
        r_x = np.einsum("sa,sab->sb", x, R)
        P_x = np.einsum("sa,sabt->sbt", x, P)
        counter.backups += 1.0  # forming the min player's kernel reads every row once
        V, y_action = _min_player_values(r_x, P_x, gamma, V, y_action, counter)
    if not converged:
        warnings.warn(f"zero-sum policy iteration did not reach tol={tol:g} within max_iter={max_iter} "
                      f"(certified gap bound {bound:.3g})", RuntimeWarning, stacklevel=3)
    return policy, V, Q, it, converged, bound, counter
