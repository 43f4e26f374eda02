"""Exact group-DRO dynamic programming for cooperative (team) Markov games.

Ground truth for DRMARL (arXiv 2503.09755; docs/theory.md section 5). The ambiguity set is the
convex hull ``M = conv{P_1, ..., P_m}`` of ``m`` group distributions of the exogenous
variable ``X``; rewards ``r_g(s, a) = E_{X~P_g}[r(s, a; X)]`` and, when the transitions
depend on ``X``, kernels ``P_g(s' | s, a)``. Because expectations are linear in the
mixture weights, the worst case over ``M`` is attained at a vertex (DRMARL Lemma 3.1), so
minima over groups are exact minima over the hull.

Finite-horizon backward induction, ``V_H = 0`` and for ``h = H-1, ..., 0``:

* ``method="rectangular"`` ((s, a)-rectangular worst group; exact for both variants)::

      Q_h(s, a) = min_g [ r_g(s, a) + sum_s' P_g(s' | s, a) V_{h+1}(s') ]

  With group-free transitions ``P`` this is ``min_g r_g(s, a) + P(.|s, a) . V_{h+1}``,
  the DR Bellman operator of DRMARL eq. (12)/Lemma 3.2.
* ``method="predicted"`` (DRMARL Appendix C.1, eq. (32)): fix a predicted worst group
  ``g'(s, a)`` (default ``argmin_g r_g(s, a)``, or any given array, e.g. the contextual
  bandit's prediction) and use ``Q_h = r_{g'} + P_{g'} . V_{h+1}``. It upper-bounds the
  rectangular value (a fixed group is never below the minimum; monotone induction).

and ``V_h(s) = max_{a feasible at s} Q_h(s, a)``: the game is cooperative (one team
reward), so the stage problem is a team maximisation over feasible joint actions and no
equilibrium solver is needed. The discounted operator is the same with
``gamma P_g . max_a' Q``. Joint actions are flat indices (C order).

Everything is vectorised numpy over the full ``(m, S, A, S)`` tables: these games are
small (``S`` in the hundreds), so no compiled kernel is needed. This module is
self-contained (it does not use the uncertainty-set layer) so that it can serve as an
independent reference for the general robust solvers.
"""

from __future__ import annotations

import numpy as np

from .._result import Result
from .._validation import as_float_array, check_choice, check_distributions, check_positive_int

__all__ = [
    "group_dro_backup",
    "group_dro_solve",
    "group_dro_operator",
    "group_dro_value_iteration",
    "policy_value_per_group",
    "robust_policy_values",
]


def _check_tables(rewards, transitions, feasible=None):
    r = as_float_array(rewards, "rewards", ndim=3)
    m, S, A = r.shape
    P = as_float_array(transitions, "transitions")
    if P.ndim == 3:
        if P.shape != (S, A, S):
            raise ValueError(f"group-free transitions must have shape {(S, A, S)}, got {P.shape}")
    elif P.ndim == 4:
        if P.shape != (m, S, A, S):
            raise ValueError(f"per-group transitions must have shape {(m, S, A, S)}, got {P.shape}")
    else:
        raise ValueError(f"transitions must be (S, A, S) or (m, S, A, S), got shape {P.shape}")
    check_distributions(P, "transitions")
    if feasible is None:
        F = np.ones((S, A), dtype=bool)
    else:
        F = np.asarray(feasible, dtype=bool)
        if F.shape != (S, A):
            raise ValueError(f"feasible must have shape {(S, A)}, got {F.shape}")
        if not F.any(axis=1).all():
            raise ValueError(f"feasible: state {int(np.argmin(F.any(axis=1)))} has no feasible action")
    return r, P, F


def _predicted_groups(r, predicted):
    if predicted is None:
        return np.argmin(r, axis=0)
    g = np.asarray(predicted)
    if g.shape != r.shape[1:] or not np.issubdtype(g.dtype, np.integer):
        raise ValueError(f"predicted must be an integer array of shape {r.shape[1:]}, got {g.shape} {g.dtype}")
    if g.min() < 0 or g.max() >= r.shape[0]:
        raise ValueError(f"predicted groups must lie in [0, {r.shape[0]}), got range [{g.min()}, {g.max()}]")
    return g


def group_dro_backup(rewards, transitions, v_next, *, gamma: float = 1.0, method: str = "rectangular",
                     predicted=None):
    """One robust backup ``Q(s, a)`` and the group attaining it.

    ``rectangular``: ``min_g [r_g + gamma P_g . v]`` (or ``min_g r_g + gamma P . v`` for
    group-free ``P``); ``predicted``: ``r_{g'} + gamma P_{g'} . v``. See the module
    docstring for the sources.

    Parameters
    ----------
    rewards : (m, S, A)
    transitions : (S, A, S) or (m, S, A, S)
    v_next : (S,)
    gamma : float
        Weight of the continuation (1 in finite-horizon backward induction).
    method : {"rectangular", "predicted"}
    predicted : (S, A) int, optional

    Returns
    -------
    q : (S, A) float64
    group : (S, A) int, the worst group (rectangular) or the group used (predicted)
    """
    check_choice(method, "method", ("rectangular", "predicted"))
    r = np.asarray(rewards, dtype=np.float64)
    P = np.asarray(transitions, dtype=np.float64)
    v = np.asarray(v_next, dtype=np.float64)
    if method == "predicted":
        g = _predicted_groups(r, predicted)
        S, A = g.shape
        s_idx, a_idx = np.indices((S, A))
        cont = (P[g, s_idx, a_idx] if P.ndim == 4 else P) @ v
        return r[g, s_idx, a_idx] + gamma * cont, g
    if P.ndim == 3:
        g = np.argmin(r, axis=0)
        return r.min(axis=0) + gamma * (P @ v), g
    totals = r + gamma * (P @ v)  # (m, S, A)
    g = np.argmin(totals, axis=0)
    return totals.min(axis=0), g


def _greedy(q, F):
    masked = np.where(F, q, -np.inf)
    a = np.argmax(masked, axis=-1)
    return np.take_along_axis(masked, a[..., None], -1)[..., 0], a


def group_dro_solve(rewards, transitions, horizon: int, *, feasible=None, method: str = "rectangular",
                    predicted=None) -> Result:
    """Optimal group-robust values and policy of a finite-horizon team game.

    Backward induction of the module docstring over stationary tables.

    Parameters
    ----------
    rewards : (m, S, A)
        Exact per-group expected rewards ``r_g(s, a)``.
    transitions : (S, A, S) or (m, S, A, S)
        Group-free or per-group kernels.
    horizon : int
        ``H``.
    feasible : (S, A) bool, optional
        Feasible joint actions (default all).
    method : {"rectangular", "predicted"}
    predicted : (S, A) int, optional
        Predicted worst group for ``method="predicted"`` (default ``argmin_g r_g``).

    Returns
    -------
    Result
        ``values`` (H+1, S), ``q`` (H, S, A) (``-inf`` never appears: infeasible entries
        are still computed), ``policy`` (H, S) int (greedy feasible joint action, first
        maximiser), ``groups`` (H, S, A) int (worst / used group), ``method``.
    """
    r, P, F = _check_tables(rewards, transitions, feasible)
    H = check_positive_int(horizon, "horizon")
    m, S, A = r.shape
    if method == "predicted":
        predicted = _predicted_groups(r, predicted)
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    G = np.empty((H, S, A), dtype=np.int64)
    pol = np.empty((H, S), dtype=np.int64)
    for h in range(H - 1, -1, -1):
        Q[h], G[h] = group_dro_backup(r, P, V[h + 1], method=method, predicted=predicted)
        V[h], pol[h] = _greedy(Q[h], F)
    return Result(values=V, q=Q, policy=pol, groups=G, method=method)


def group_dro_operator(q, rewards, transitions, gamma: float, *, feasible=None, method: str = "rectangular",
                       predicted=None) -> np.ndarray:
    """Discounted DR Bellman operator on joint Q-tables (DRMARL eq. (12), Lemma 3.2).

    ``(T Q)(s, a) = min_g [r_g(s, a) + gamma sum_s' P_g(s'|s, a) max_{a' feasible} Q(s', a')]``
    (``predicted``: the group ``g'(s, a)`` is fixed). ``q`` may carry leading batch axes
    ``(..., S, A)``.
    """
    r, P, F = _check_tables(rewards, transitions, feasible)
    q = np.asarray(q, dtype=np.float64)
    v = np.where(F, q, -np.inf).max(axis=-1)  # (..., S)
    if q.ndim == 2:
        return group_dro_backup(r, P, v, gamma=gamma, method=method, predicted=predicted)[0]
    flat = v.reshape(-1, v.shape[-1])
    out = np.stack([group_dro_backup(r, P, row, gamma=gamma, method=method, predicted=predicted)[0] for row in flat])
    return out.reshape(q.shape)


def group_dro_value_iteration(rewards, transitions, gamma: float, *, feasible=None, method: str = "rectangular",
                              predicted=None, tol: float = 1e-10, max_iter: int = 100_000) -> Result:
    """Fixed point of :func:`group_dro_operator` by iteration (a ``gamma``-contraction).

    Stops when ``||Q_{k+1} - Q_k||_inf <= tol (1 - gamma) / gamma``, which bounds the
    distance to the fixed point by ``tol``.

    Returns
    -------
    Result
        ``q`` (S, A), ``values`` (S,), ``policy`` (S,) int, ``iterations``, ``converged``.
    """
    if not (0.0 <= gamma < 1.0):
        raise ValueError(f"gamma must lie in [0, 1), got {gamma}")
    r, P, F = _check_tables(rewards, transitions, feasible)
    q = np.zeros(r.shape[1:])
    stop = tol * (1 - gamma) / max(gamma, 1e-300)
    converged = False
    for k in range(1, max_iter + 1):
        q_new = group_dro_operator(q, r, P, gamma, feasible=F, method=method, predicted=predicted)
        diff = np.abs(q_new - q).max()
        q = q_new
        if diff <= stop:
            converged = True
            break
    v, pol = _greedy(q, F)
    return Result(q=q, values=v, policy=pol, iterations=k, converged=converged)


def _policy_actions(policy, H, S):
    pol = np.asarray(policy)
    if pol.shape == (S,):
        pol = np.broadcast_to(pol, (H, S))
    if pol.shape != (H, S) or not np.issubdtype(pol.dtype, np.integer):
        raise ValueError(f"policy must be an integer array of shape {(H, S)} (or {(S,)}), got {pol.shape}")
    return pol


def policy_value_per_group(tables, transitions, policy, horizon: int, initial=0) -> np.ndarray:
    """Expected total of ``tables`` over the horizon when the group is fixed all day.

    For each group ``g``: ``E[sum_h tables_g(s_h, pi_h(s_h))]`` with ``s_{h+1} ~ P_g(.|s_h, a_h)``
    and ``s_0 ~ initial`` (a state index or a distribution). ``tables`` is any per-group
    ``(m, S, A)`` quantity (reward, throughput, recirculated packages); exact forward
    propagation of the state distribution.

    Returns
    -------
    (m,) float64
    """
    T = np.asarray(tables, dtype=np.float64)
    m, S, A = T.shape
    P = np.asarray(transitions, dtype=np.float64)
    pol = _policy_actions(policy, horizon, S)
    if np.isscalar(initial):
        mu = np.zeros(S)
        mu[int(initial)] = 1.0
    else:
        mu = np.asarray(initial, dtype=np.float64)
    out = np.zeros(m)
    s_idx = np.arange(S)
    for g in range(m):
        Pg = P[g] if P.ndim == 4 else P
        d = mu.copy()
        for h in range(horizon):
            a = pol[h]
            out[g] += d @ T[g, s_idx, a]
            d = d @ Pg[s_idx, a]
    return out


def robust_policy_values(rewards, transitions, policy, horizon: int) -> np.ndarray:
    """Group-robust values ``(H+1, S)`` of a deterministic policy, (s, a)-rectangular adversary.

    ``V_h(s) = min_g [r_g(s, pi_h(s)) + P_g(.|s, pi_h(s)) . V_{h+1}]`` (min over the hull =
    min over vertices, DRMARL Lemma 3.1).
    """
    r, P, _ = _check_tables(rewards, transitions)
    m, S, A = r.shape
    pol = _policy_actions(policy, horizon, S)
    V = np.zeros((horizon + 1, S))
    s_idx = np.arange(S)
    for h in range(horizon - 1, -1, -1):
        a = pol[h]
        Pa = P[:, s_idx, a] if P.ndim == 4 else P[s_idx, a][None]
        V[h] = (r[:, s_idx, a] + Pa @ V[h + 1]).min(axis=0)
    return V
