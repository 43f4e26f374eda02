"""Two-player Nash equilibria by compiled Lemke-Howson over every initial label.

Bimatrix game ``(A, B)``, both ``(m, n)``: the row player gets ``x^T A y``, the column
player ``x^T B y``, each maximises. A Nash equilibrium is invariant under a positive
affine change of either player's payoffs, so the kernels use
``A' = (A - min A) / range(A) + 1`` and likewise ``B'`` (entries in ``[1, 2]``) and the
polytopes (von Stengel 2002, "Computing equilibria for two-person games", section 3)

    P = {x >= 0 : B'^T x <= 1},        Q = {y >= 0 : A' y <= 1}.

Labels ``0 .. m-1`` are the row actions and ``m .. m+n-1`` the column actions;
``x in P`` has label ``i`` if ``x_i = 0`` and label ``m + j`` if ``(B'^T x)_j = 1``;
``y in Q`` has label ``m + j`` if ``y_j = 0`` and label ``i`` if ``(A' y)_i = 1``. A
completely labelled pair ``(x, y) != (0, 0)`` normalised to sum one is a Nash equilibrium.
Lemke-Howson drops one label ``k`` at the artificial equilibrium ``(0, 0)`` and pivots
alternately in the two tableaux (complementary pivoting) until label ``k`` is picked up
again. In both tableaux the column index of a variable IS its label (the layout of
QuantEcon's ``game_theory.lemke_howson``, whose design this follows; the code is our
own). The leaving variable is chosen by the lexicographic minimum-ratio test of
:mod:`._simplex`, so degenerate games (prisoner's dilemma, coordination games,
identical payoffs, ties) terminate at an equilibrium.

Selection rule (deterministic). The path is run from every initial label
``k = 0, 1, ..., m+n-1``; each end point is *verified* (its Nash gap, the largest gain of
a unilateral deviation in the ORIGINAL payoffs, is at most
``NASH_TOL * max(1, max|A|, max|B|)``, ``NASH_TOL = 1e-9``). Among verified end points,
the one of maximum social welfare ``x^T (A + B) y`` is returned; end points whose welfare
is within the same tolerance of the maximum count as ties and the smallest initial label
among them wins. If no end point verifies (not expected), the end point with the smallest
gap is returned together with that gap, and the Python layer falls back to support
enumeration.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel
from ._simplex import lex_min_ratio_row, normalize_distribution, payoff_range, pivot

NASH_TOL = 1e-9


@kernel
def _shifted(M):
    """``(M - min M) / range(M) + 1`` (``M - min M + 1`` if ``M`` is constant)."""
    lo, scale = payoff_range(M)
    out = np.empty_like(M)
    m, n = M.shape
    for i in range(m):
        for j in range(n):
            out[i, j] = (M[i, j] - lo) / scale + 1.0
    return out


@kernel
def _init_tableaux(A1, B1, TP, TQ, basis_p, basis_q):
    """Tableaux at the artificial equilibrium ``(0, 0)``; column index = label.

    ``TP`` (n rows): ``B1^T x + s = 1`` with ``x_i`` in column ``i`` and ``s_j`` in column
    ``m + j``. ``TQ`` (m rows): ``A1 y + r = 1`` with ``r_i`` in column ``i`` and ``y_j`` in
    column ``m + j``.
    """
    m, n = A1.shape
    TP[:, :] = 0.0
    TQ[:, :] = 0.0
    last = m + n
    for j in range(n):
        for i in range(m):
            TP[j, i] = B1[i, j]
        TP[j, m + j] = 1.0
        TP[j, last] = 1.0
        basis_p[j] = m + j
    for i in range(m):
        for j in range(n):
            TQ[i, m + j] = A1[i, j]
        TQ[i, i] = 1.0
        TQ[i, last] = 1.0
        basis_q[i] = i


@kernel
def _lemke_howson_path(TP, TQ, basis_p, basis_q, m, n, k, max_iter, work):
    """Follow the path that drops label ``k``; return the number of pivots or -1."""
    entering = k
    in_p = k < m
    for it in range(max_iter):
        if in_p:
            row = lex_min_ratio_row(TP, n, entering, m, n, work)
            if row < 0:
                return -1
            leaving = basis_p[row]
            pivot(TP, n, row, entering)
            basis_p[row] = entering
        else:
            row = lex_min_ratio_row(TQ, m, entering, 0, m, work)
            if row < 0:
                return -1
            leaving = basis_q[row]
            pivot(TQ, m, row, entering)
            basis_q[row] = entering
        if leaving == k:
            return it + 1
        entering = leaving
        in_p = not in_p
    return -1


@kernel
def _extract(TP, TQ, basis_p, basis_q, m, n, x, y):
    """Normalised strategies of the current bases; False if either is zero."""
    last = m + n
    x[:] = 0.0
    y[:] = 0.0
    for r in range(n):
        if basis_p[r] < m:
            x[basis_p[r]] = TP[r, last]
    for r in range(m):
        if basis_q[r] >= m:
            y[basis_q[r] - m] = TQ[r, last]
    sx = normalize_distribution(x)
    sy = normalize_distribution(y)
    return sx > 0.0 and sy > 0.0


@kernel
def bimatrix_gap_welfare(A, B, x, y):
    """Nash gap ``max(max_i (A y)_i - x.A y, max_j (x^T B)_j - x.B y)`` and welfare."""
    m, n = A.shape
    va = 0.0
    vb = 0.0
    best_a = -np.inf
    for i in range(m):
        s = 0.0
        for j in range(n):
            s += A[i, j] * y[j]
            vb += x[i] * B[i, j] * y[j]
        va += x[i] * s
        if s > best_a:
            best_a = s
    best_b = -np.inf
    for j in range(n):
        s = 0.0
        for i in range(m):
            s += x[i] * B[i, j]
        if s > best_b:
            best_b = s
    gap = best_a - va
    if best_b - vb > gap:
        gap = best_b - vb
    if gap < 0.0:
        gap = 0.0
    return gap, va + vb


@kernel
def nash_two_player(A, B, x_out, y_out):
    """Selected Lemke-Howson equilibrium of ``(A, B)`` (nopython-callable).

    Parameters
    ----------
    A, B : float64 (m, n)
        Payoffs of the row and the column player (both maximise).
    x_out : float64 (m,), y_out : float64 (n,)
        Receive the selected equilibrium (selection rule in the module docstring).

    Returns
    -------
    gap : float
        Nash gap of ``(x_out, y_out)`` in the original payoffs (``<= NASH_TOL * scale``
        when verified).
    label : int
        Initial dropped label of the selected path (``-1`` if no path ended).
    """
    m, n = A.shape
    L = m + n
    A1 = _shifted(A)
    B1 = _shifted(B)
    scale = 1.0
    for v in A.ravel():
        if abs(v) > scale:
            scale = abs(v)
    for v in B.ravel():
        if abs(v) > scale:
            scale = abs(v)
    tol = NASH_TOL * scale
    TP = np.empty((n, L + 1))
    TQ = np.empty((m, L + 1))
    basis_p = np.empty(n, dtype=np.int64)
    basis_q = np.empty(m, dtype=np.int64)
    work = np.empty(max(m, n), dtype=np.int64)
    xs = np.zeros((L, m))
    ys = np.zeros((L, n))
    gaps = np.full(L, np.inf)
    welfare = np.full(L, -np.inf)
    max_iter = 1000 * L + 1000
    for k in range(L):
        _init_tableaux(A1, B1, TP, TQ, basis_p, basis_q)
        if _lemke_howson_path(TP, TQ, basis_p, basis_q, m, n, k, max_iter, work) < 0:
            continue
        if not _extract(TP, TQ, basis_p, basis_q, m, n, xs[k], ys[k]):
            continue
        g, w = bimatrix_gap_welfare(A, B, xs[k], ys[k])
        gaps[k] = g
        welfare[k] = w
    best_w = -np.inf
    for k in range(L):
        if gaps[k] <= tol and welfare[k] > best_w:
            best_w = welfare[k]
    chosen = -1
    if best_w > -np.inf:
        for k in range(L):
            if gaps[k] <= tol and welfare[k] >= best_w - tol:
                chosen = k
                break
    else:
        best_g = np.inf
        for k in range(L):
            if gaps[k] < best_g:
                best_g = gaps[k]
                chosen = k
    if chosen < 0:
        # no path ended (cannot happen for the positive tableaux used here)
        x_out[:] = 1.0 / m
        y_out[:] = 1.0 / n
        g, w = bimatrix_gap_welfare(A, B, x_out, y_out)
        return g, -1
    x_out[:] = xs[chosen]
    y_out[:] = ys[chosen]
    return gaps[chosen], chosen
