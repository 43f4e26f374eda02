"""Two-player zero-sum matrix games by one small simplex solve (compiled, nopython).

The row player maximises ``x^T A y`` and the column player minimises it. With
``A' = (A - min A) / range(A) + 1`` (entries in ``[1, 2]``, so the value ``v'`` of
``A'`` is positive) the column player's problem is the LP

    maximise  1 . w   subject to   A' w <= 1,   w >= 0,

whose optimum is ``1 / v'``; ``y = w / (1 . w)`` is a minimax strategy of the column
player and the LP's dual solution ``u`` (``A'^T u >= 1``, ``min 1 . u``) gives the row
player's maximin strategy ``x = u / (1 . u)`` (von Neumann's minimax theorem as an LP
pair; the same reduction as QuantEcon's nopython ``minmax``). The value of ``A`` is
``(v' - 1) range(A) + min A``. The right-hand side is ``b = 1 >= 0``, so the slack basis
is feasible and :func:`._simplex.simplex_max` needs one phase. Deterministic: same
``A`` gives bit-identical ``(value, x, y)``.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel
from ._simplex import normalize_distribution, payoff_range, primal_solution, simplex_max


@kernel
def zero_sum_value(A):
    """Value and minimax strategies of the zero-sum game ``A`` (nopython-callable).

    Parameters
    ----------
    A : float64 (m, n)
        Row player's payoffs; the row player maximises ``x^T A y``.

    Returns
    -------
    value : float
        ``max_x min_y x^T A y = min_y max_x x^T A y``.
    x : float64 (m,)
        A maximin strategy of the row player: ``x^T A[:, j] >= value`` for every ``j``.
    y : float64 (n,)
        A minimax strategy of the column player: ``A[i, :] y <= value`` for every ``i``.
    """
    m, n = A.shape
    lo, scale = payoff_range(A)
    T = np.zeros((m + 1, n + m + 1))
    for i in range(m):
        for j in range(n):
            T[i, j] = (A[i, j] - lo) / scale + 1.0
        T[i, n + i] = 1.0
        T[i, n + m] = 1.0
    for j in range(n):
        T[m, j] = 1.0
    basis = np.empty(m, dtype=np.int64)
    for i in range(m):
        basis[i] = n + i
    work = np.empty(m, dtype=np.int64)
    # the LP is bounded (A' >= 1 bounds every w_j by 1) and the lexicographic rule
    # cannot cycle, so the budget is never the binding stop
    simplex_max(T, basis, m, 50 * (m + n) + 100, work)
    y = np.empty(n)
    primal_solution(T, basis, n, y)
    total = normalize_distribution(y)
    x = np.empty(m)
    for i in range(m):
        x[i] = -T[m, n + i]
    normalize_distribution(x)
    value = (1.0 / total - 1.0) * scale + lo
    return value, x, y
