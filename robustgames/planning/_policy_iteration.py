"""Robust policy iteration for discounted robust MDPs and team games (docs/theory.md 3.6).

The agent (one player, or a team that shares one reward and one uncertainty set and so
acts as one player over joint actions) maximises; nature picks, independently for every
``(s, a)``, a row of ``U(P0(.|s,a))`` and minimises. The solver is a policy iteration on
both sides, the scheme of partial policy iteration (Ho, Petrik & Wiesemann 2021, "Partial
policy iteration for L1-robust Markov decision processes", JMLR 22(275); robust policy
iteration: Iyengar 2005, Kaufman & Schaefer 2013):

* **evaluation** of the agent's deterministic policy ``pi`` is nature's minimisation MDP.
  It is solved by Howard's policy iteration over nature's kernels: given ``W``, the worst
  rows ``D(s) in U(P0(.|s, pi(s)))`` for ``W`` (``worst_distribution``), then the linear
  solve ``W <- (I - gamma D)^{-1} r_pi``. Every iterate after the first is the value of an
  actual kernel, so the sequence decreases monotonically to the robust value ``V^pi``;
  for the polyhedral sets (TV, contamination, group) it stops exactly after finitely many
  kernels, for KL and chi-square it converges like Newton's method;
* **improvement** is greedy on the robust Q of the current values, keeping the current
  action unless another beats it by more than round-off (no cycling on ties).

**Stopping rule (the same certificate as value iteration).** At every outer step, with
``T`` the robust optimality operator and ``pi`` greedy for ``V``
(``T_pi V = T V``), both operators are ``gamma``-contractions, so
``V* <= T V + gamma/(1-gamma) ||T V - V||`` and ``V^pi >= T V - gamma/(1-gamma) ||T V - V||``:

    gap(pi) <= mu.(V* - V^pi) <= 2 gamma / (1 - gamma) ||T V - V||_inf.

The solver stops when this bound is at most ``tol`` and returns the bound as
``gap_bound``. If the greedy policy no longer changes after a settled evaluation
(Howard's termination) while the bound is still above ``tol``, round-off is the limit:
it stops, warns and reports ``converged=False`` with the bound it reached.

Cost accounting: ``backups`` counts applications of the robust Bellman operator in units
of one full sweep over all ``S * A`` rows (a worst-distribution row costs as much as a
worst-value row; a sweep over the ``S`` rows of one policy counts ``1 / A``);
``linear_solves`` counts the dense ``S x S`` solves, which a backup count does not
capture (their cost is ``O(S^3)``, reported by the benchmark's wall-clock ratio).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..uncertainty import Group
from ._backup import sup_norm

#: cap on nature's policy-iteration steps per evaluation (each is exact for polyhedral
#: sets after finitely many steps; KL / chi-square converge quadratically)
NATURE_STEPS = 60


class Counter:
    """Cost of a run: backups (full sweeps over ``S * A`` rows) and linear solves."""

    def __init__(self):
        self.backups = 0.0
        self.linear_solves = 0
        #: joint actions per state (converts a sweep over fewer rows into full sweeps)
        self.joint_actions = 1


def _row_indexed(U) -> bool:
    """Whether the set's rows depend on the row index (a :class:`Group` with per-row
    vertices): then its hooks need the full batch of ``S * A`` rows."""
    return isinstance(U, Group) and U.distributions.ndim > 2


def worst_rows(U, P2: np.ndarray, rows: np.ndarray, v: np.ndarray, counter: Counter) -> np.ndarray:
    """Worst-case rows ``D[s] in U(P2[rows[s]])`` for the value vector ``v``, shape ``(len(rows), S)``."""
    n_rows, S = P2.shape
    if _row_indexed(U):
        full = np.empty((n_rows, S))
        U._distributions(P2, v, full)
        counter.backups += 1.0
        return full[rows]
    D = np.empty((rows.size, S))
    U._distributions(np.ascontiguousarray(P2[rows]), v, D)
    counter.backups += rows.size / n_rows
    return D


def linear_values(D: np.ndarray, r: np.ndarray, gamma: float, counter: Counter) -> np.ndarray:
    """Values of a fixed kernel: the solution of ``(I - gamma D) W = r``."""
    counter.linear_solves += 1
    A = -gamma * D
    A[np.diag_indices_from(A)] += 1.0
    return np.linalg.solve(A, r)


def robust_policy_values(U, P2, r_pi, rows, gamma, W0, tol, counter, max_steps=NATURE_STEPS):
    """Robust values of a deterministic policy by policy iteration over nature's kernels.

    Parameters
    ----------
    U : UncertaintySet
    P2 : ndarray (S * A, S)
        Nominal rows of every ``(s, a)``.
    r_pi : ndarray (S,)
        Reward of the policy's action at every state.
    rows : ndarray of int (S,)
        Flat row index ``s * A + pi(s)``.
    gamma : float
    W0 : ndarray (S,)
        Warm start.
    tol : float
        Stop when ``gamma/(1-gamma) ||T_pi W - W||_inf <= tol``, which bounds
        ``||T_pi W - V^pi||_inf`` by ``tol`` (docs/theory.md 3.2).
    counter : Counter

    Returns
    -------
    (W, settled)
        ``W = T_pi W_last``; ``settled`` is True when the tolerance was met, nature's
        kernel stopped changing (then ``W`` is exact up to round-off) or the residual
        stopped halving (round-off reached).
    """
    factor = gamma / (1.0 - gamma) if gamma > 0 else 0.0
    W = W0
    prev_res = np.inf
    prev_D = None
    for _ in range(max_steps):
        D = worst_rows(U, P2, rows, W, counter)
        TW = r_pi + gamma * (D @ W)
        res = sup_norm(TW - W)
        # exact (D already worst for its own values) or stagnating at round-off
        if factor * res <= tol or (prev_D is not None and np.array_equal(D, prev_D)) or res >= 0.5 * prev_res:
            return TW, True
        prev_res, prev_D = res, D
        W = linear_values(D, r_pi, gamma, counter)
    return TW, False


def robust_policy_iteration(U, P2: np.ndarray, R: np.ndarray, gamma: float, tol: float, max_iter: int,
                            counter: Counter | None = None):
    """Optimal deterministic policy of a discounted robust MDP (module docstring).

    Parameters
    ----------
    U : UncertaintySet
    P2 : ndarray (S * A, S)
        Nominal kernel, one row per ``(s, a)`` (``s`` major).
    R : ndarray (S, A)
        Rewards.
    gamma : float
    tol : float
        Bound on the certified gap of the returned policy (module docstring).
    max_iter : int
        Cap on improvement steps (a ``RuntimeWarning`` if reached).

    Returns
    -------
    (action, V, Q, iterations, converged, gap_bound, counter)
        ``action`` (S,) the greedy policy, ``V`` the last values, ``Q`` (S, A) the robust
        Q of ``V``, ``gap_bound = 2 gamma/(1-gamma) ||T V - V||``.
    """
    counter = Counter() if counter is None else counter
    S, A = R.shape
    factor = gamma / (1.0 - gamma) if gamma > 0 else 0.0
    states = np.arange(S)
    worst = np.empty(S * A)
    V = np.zeros(S)
    action = None
    settled = False
    converged = False
    for it in range(1, max_iter + 1):
        U._values(P2, V, worst)
        counter.backups += 1.0
        Q = R + gamma * worst.reshape(S, A)
        best = Q.max(axis=1)
        bound = 2.0 * factor * sup_norm(best - V)
        greedy = np.argmax(Q, axis=1)
        if action is not None:
            # keep the current action unless another is better beyond round-off
            slack = 1e-12 * (1.0 + np.abs(best))
            greedy = np.where(Q[states, action] >= best - slack, action, greedy)
        stable = action is not None and np.array_equal(greedy, action)
        action = greedy
        if bound <= tol:
            converged = True
            break
        if stable and settled:  # Howard's termination: the bound is at round-off level
            break
        if it == max_iter:
            break
        rows = states * A + action
        # half of the budget to the evaluation: then 2 gamma/(1-gamma) ||TV - V|| <= tol
        # once the policy is optimal
        V, settled = robust_policy_values(U, P2, R[states, action], rows, gamma, V, 0.25 * tol, counter)
    if not converged:
        warnings.warn(f"robust policy iteration did not reach tol={tol:g} within max_iter={max_iter} "
                      f"(certified gap bound {bound:.3g}; round-off limits it near gamma = 1)",
                      RuntimeWarning, stacklevel=3)
    return action, V, Q, it, converged, bound, counter
