"""n-player correlated (CE) and coarse correlated (CCE) equilibria by one LP (compiled).

Payoffs ``Q`` of shape ``(N, n)`` with ``N = prod_i A_i`` joint actions flattened in C
order (the last player varies fastest) and the player on the last axis; every player
maximises. A joint distribution ``p`` over joint actions is

* a **CE** (Aumann 1974) if for every player ``i`` and actions ``a_i != a_i'``
  ``sum_{a_{-i}} p(a_i, a_{-i}) [u_i(a_i', a_{-i}) - u_i(a_i, a_{-i})] <= 0``
  (no player gains by a strategy modification ``phi_i : a_i -> a_i'``);
* a **CCE** (Moulin and Vial 1978) if for every player ``i`` and action ``a_i'``
  ``sum_a p(a) [u_i(a_i', a_{-i}) - u_i(a)] <= 0``
  (no player gains by committing to a fixed action before the recommendation).

Objective (documented, so results are reproducible): **maximise social welfare**
``W(p) = sum_a p(a) sum_i u_i(a)``. The LP solved is

    maximise  (w - min w + 1) . p   subject to   G p <= 0,   1 . p <= 1,   p >= 0,

where ``w = sum_i u_i / s`` and ``G`` holds the incentive rows above divided by
``s = max(1, max |Q|)`` (one global scale keeps every equilibrium and the welfare
order). The shifted objective is positive and the constraints ``G p <= 0`` define a cone,
so an optimum has ``1 . p = 1`` (scaling a feasible ``p`` up to the simplex increases the
objective): the LP optimum is a welfare-maximising CE/CCE. The right-hand side is
non-negative, so the slack basis starts the one-phase simplex of :mod:`._simplex`.
Ties among welfare-maximising equilibria are broken by that simplex's deterministic pivot
rules (Dantzig entering column with lowest-index ties, lexicographic leaving row): the
returned vertex is a deterministic function of ``Q``. Round-off negatives are clipped
and ``p`` is rescaled to sum to one.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel
from ._simplex import normalize_distribution, primal_solution, simplex_max


@kernel
def strides_of(n_actions):
    """C-order strides of the flat joint action: ``stride_i = prod_{j > i} A_j``."""
    n = n_actions.shape[0]
    strides = np.empty(n, dtype=np.int64)
    s = 1
    for i in range(n - 1, -1, -1):
        strides[i] = s
        s *= n_actions[i]
    return strides


@kernel
def correlated_lp(Q, n_actions, coarse, out):
    """Welfare-maximising CE (``coarse`` False) or CCE (``coarse`` True) into ``out``.

    Returns the simplex status (0 optimal; see :mod:`._simplex`).
    """
    N, n = Q.shape
    strides = strides_of(n_actions)
    scale = 1.0
    for a in range(N):
        for i in range(n):
            if abs(Q[a, i]) > scale:
                scale = abs(Q[a, i])
    K = 0
    for i in range(n):
        if coarse:
            K += n_actions[i]
        else:
            K += n_actions[i] * (n_actions[i] - 1)
    m = K + 1
    T = np.zeros((m + 1, N + m + 1))
    rhs = N + m
    row = 0
    for i in range(n):
        Ai = n_actions[i]
        st = strides[i]
        for a in range(N):
            ai = (a // st) % Ai
            base = Q[a, i]
            for d in range(Ai):
                if d == ai:
                    continue
                gain = (Q[a + (d - ai) * st, i] - base) / scale
                if coarse:
                    T[row + d, a] = gain
                else:
                    dd = d if d < ai else d - 1
                    T[row + ai * (Ai - 1) + dd, a] = gain
        if coarse:
            row += Ai
        else:
            row += Ai * (Ai - 1)
    for a in range(N):
        T[K, a] = 1.0
    T[K, rhs] = 1.0
    for r in range(m):
        T[r, N + r] = 1.0
    w_min = np.inf
    for a in range(N):
        w = 0.0
        for i in range(n):
            w += Q[a, i]
        w /= scale
        T[m, a] = w
        if w < w_min:
            w_min = w
    for a in range(N):
        T[m, a] += 1.0 - w_min
    basis = np.empty(m, dtype=np.int64)
    for r in range(m):
        basis[r] = N + r
    work = np.empty(m, dtype=np.int64)
    status = simplex_max(T, basis, m, 100 * (N + m) + 1000, work)
    primal_solution(T, basis, N, out)
    if not normalize_distribution(out) > 0.0:
        out[:] = 1.0 / N
    return status
