"""A small dense simplex method and the pivoting tools shared with Lemke-Howson.

Every stage-game LP of robustgames is brought into the form

    maximise  c . x   subject to   M x <= b,   x >= 0,   with   b >= 0,

so the slack basis (the identity columns appended after the ``x`` columns) is feasible
at the start and a single phase suffices (no phase 1, no big-M). The tableau ``T`` has
``n_cons + 1`` rows and ``n_var + n_cons + 1`` columns::

    [ M          | I  | b   ]   constraint rows 0 .. n_cons-1
    [ c - z      | -u | -z* ]   objective row n_cons (reduced costs; -objective value)

Pivot rules (deterministic, so equal inputs give identical outputs):

* entering column: Dantzig's rule, the largest reduced cost ``> TOL_COST``; the lowest
  column index wins ties (strict ``>`` comparison scanning left to right);
* leaving row: the lexicographic minimum-ratio test (Dantzig, Orden and Wolfe 1955):
  among the rows with pivot entry ``> TOL_PIVOT`` keep those whose ratio
  ``rhs / entry`` is within ``TOL_RATIO`` of the minimum, then break ties by the ratios
  of the columns of the initial identity basis (``B^{-1}``), one column at a time in
  order. Because the rows of ``[b | B^{-1}]`` stay lexicographically positive, no basis
  repeats, so the method cannot cycle on the heavily degenerate LPs of correlated
  equilibria (whose right-hand sides are almost all zero).

Tolerances (the data are rescaled to order one by every caller before the solve):
``TOL_PIVOT = 1e-10`` (smaller pivot entries count as zero), ``TOL_COST = 1e-10``
(smaller reduced costs count as non-positive, i.e. optimal), ``TOL_RATIO = 1e-12``
(ratios closer than this are treated as ties). The same ratio test drives the
complementary pivoting of :mod:`._lemke_howson` (as in QuantEcon's
``game_theory.lemke_howson`` design with its ``_lex_min_ratio_test``).
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel

TOL_PIVOT = 1e-10
TOL_COST = 1e-10
TOL_RATIO = 1e-12

#: status codes returned by :func:`simplex_max`
OPTIMAL = 0
MAX_ITER_REACHED = 1
UNBOUNDED = 2


@kernel
def _keep_min_ratio(T, col, key, candidates, k):
    """Keep, in place and in order, the candidate rows whose ratio ``T[i, key] / T[i, col]``
    is within ``TOL_RATIO`` of the smallest; return how many remain."""
    best = np.inf
    for t in range(k):
        i = candidates[t]
        r = T[i, key] / T[i, col]
        if r < best:
            best = r
    kept = 0
    for t in range(k):
        i = candidates[t]
        r = T[i, key] / T[i, col]
        if r <= best + TOL_RATIO:
            candidates[kept] = i
            kept += 1
    return kept


@kernel
def lex_min_ratio_row(T, n_rows, col, lex_start, lex_count, candidates):
    """Leaving row for entering column ``col`` by the lexicographic minimum-ratio test.

    Rows ``0 .. n_rows-1`` of ``T`` are constraint rows, the last column is the
    right-hand side and columns ``lex_start .. lex_start+lex_count-1`` were the identity
    at the start. ``candidates`` is an int64 work array of length ``>= n_rows``.
    Returns ``-1`` when no entry of the column exceeds ``TOL_PIVOT`` (unbounded ray).
    """
    rhs = T.shape[1] - 1
    k = 0
    for i in range(n_rows):
        if T[i, col] > TOL_PIVOT:
            candidates[k] = i
            k += 1
    if k == 0:
        return -1
    k = _keep_min_ratio(T, col, rhs, candidates, k)
    j = 0
    while k > 1 and j < lex_count:
        k = _keep_min_ratio(T, col, lex_start + j, candidates, k)
        j += 1
    return candidates[0]


@kernel
def pivot(T, n_rows, row, col):
    """Gauss-Jordan pivot of the first ``n_rows`` rows of ``T`` on entry ``(row, col)``."""
    n_cols = T.shape[1]
    inv = 1.0 / T[row, col]
    for j in range(n_cols):
        T[row, j] *= inv
    T[row, col] = 1.0
    for i in range(n_rows):
        if i != row:
            f = T[i, col]
            if f != 0.0:
                for j in range(n_cols):
                    T[i, j] -= f * T[row, j]
                T[i, col] = 0.0


@kernel
def simplex_max(T, basis, n_cons, max_iter, candidates):
    """Run the primal simplex on tableau ``T`` (layout in the module docstring).

    Parameters
    ----------
    T : float64 (n_cons + 1, n_var + n_cons + 1)
        Tableau, overwritten; on return ``-T[n_cons, -1]`` is the optimal value and
        ``-T[n_cons, n_var + r]`` the dual value of constraint ``r``.
    basis : int64 (n_cons,)
        Column of the basic variable of each row, initially ``n_var + r``; overwritten.
    n_cons : int
        Number of constraint rows.
    max_iter : int
        Pivot budget.
    candidates : int64 (>= n_cons,)
        Work array.

    Returns
    -------
    int
        ``OPTIMAL`` (0), ``MAX_ITER_REACHED`` (1) or ``UNBOUNDED`` (2).
    """
    n_var_total = T.shape[1] - 1
    lex_start = n_var_total - n_cons
    for _ in range(max_iter):
        col = -1
        best = TOL_COST
        for j in range(n_var_total):
            if T[n_cons, j] > best:
                best = T[n_cons, j]
                col = j
        if col < 0:
            return OPTIMAL
        row = lex_min_ratio_row(T, n_cons, col, lex_start, n_cons, candidates)
        if row < 0:
            return UNBOUNDED
        pivot(T, n_cons + 1, row, col)
        basis[row] = col
    return MAX_ITER_REACHED


@kernel
def primal_solution(T, basis, n_var, out):
    """Write the basic solution's first ``n_var`` variables into ``out``."""
    for j in range(n_var):
        out[j] = 0.0
    rhs = T.shape[1] - 1
    for r in range(basis.shape[0]):
        if basis[r] < n_var:
            out[basis[r]] = T[r, rhs]


@kernel
def normalize_distribution(p):
    """Clip round-off negatives to zero and rescale ``p`` to sum to one (in place).

    Returns the sum before rescaling; when it is not positive, ``p`` is left unchanged.
    """
    s = 0.0
    for j in range(p.shape[0]):
        if p[j] < 0.0:
            p[j] = 0.0
        s += p[j]
    if s > 0.0:
        for j in range(p.shape[0]):
            p[j] /= s
    return s


@kernel
def payoff_range(M):
    """``(min M, max M - min M)`` of a 2-D array, the range replaced by 1 when ``M`` is
    constant; solvers shift payoffs to ``(M - lo) / range + 1 >= 1`` with it."""
    lo = np.inf
    hi = -np.inf
    m, n = M.shape
    for i in range(m):
        for j in range(n):
            v = M[i, j]
            if v < lo:
                lo = v
            if v > hi:
                hi = v
    scale = hi - lo
    if not scale > 0.0:
        scale = 1.0
    return lo, scale
