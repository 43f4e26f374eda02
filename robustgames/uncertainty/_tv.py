"""Total-variation ball: exact support function in closed form.

``U(p0) = {p in simplex : TV(p, p0) = 0.5 ||p - p0||_1 <= sigma}``, ``sigma in [0, 1]``
(docs/theory.md sections 1-2; an L1 budget ``xi`` as used by CRAAM is ``xi = 2 sigma``). TV
allows mass on states where ``p0`` is zero (support shift).

Closed form: let ``s_min = argmin_s v(s)`` over ALL states. Walk the states in
decreasing ``v``, skipping ``s_min``, removing mass from ``p0`` until ``sigma`` has been
removed in total; put it on ``s_min``. The result is a minimiser. If
``sigma >= 1 - p0(s_min)`` the value is ``min_s v``. ``v`` is sorted once per call; each
row then costs O(S) (one streaming pass for ``p0 . v`` and a walk that stops once the
budget is spent). Source: the TV robust Bellman operator in MORNAVI (arXiv 2508.02948),
Shi et al. (2023) and Lu et al. (arXiv 2404.03578).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._jit import kernel, parallel_kernel
from .._validation import dot_scan_row
from ._base import UncertaintySet
from ._engine import RowKernel


@kernel
def descending(v):
    """Indices sorting ``v`` in decreasing order, ties broken by index (a stable sort), so
    the last entry is an argmin of ``v`` (the highest-index one among ties). Callable
    from other compiled code (the MORNAVI learner's kernels)."""
    return np.argsort(-v, kind="mergesort")


@kernel
def tv_row(P, r, v, order, sigma):
    """``inf_{TV(p, P[r]) <= sigma} p.v`` for row ``r`` of ``P`` by the closed form;
    ``order`` sorts ``v`` in decreasing order (its last entry is an argmin of ``v``).
    Callable from other compiled code (the MORNAVI learner uses it row by row)."""
    base = 0.0
    for s in range(P.shape[1]):
        base += P[r, s] * v[s]
    return tv_row_from_dot(P, r, v, order, sigma, base)


@kernel
def tv_row_from_dot(P, r, v, order, sigma, base):
    """:func:`tv_row` given ``base = P[r] . v`` (accumulated in index order): the walk that
    removes ``sigma`` of mass from the highest-value states."""
    S = P.shape[1]
    s_min = order[S - 1]
    v_min = v[s_min]
    budget = sigma
    red = 0.0
    whole = True  # every state walked so far lost all its mass
    k = 0
    while budget > 0.0 and k < S - 1:
        s = order[k]
        take = P[r, s]
        if take > budget:
            take = budget
            whole = False
        red += take * (v[s] - v_min)
        budget -= take
        k += 1
    if k == S - 1 and whole:
        # all mass off s_min was removed: the value saturates at min v exactly
        return v_min
    return base - red


@kernel
def prepare_descending(i, v, params, iw, fw):
    """The engine's ``prepare`` of TV and contamination: ``iw[:S] = descending(v)``."""
    order = descending(v)
    for k in range(v.shape[0]):
        iw[k] = order[k]


@kernel
def _tv_row_kernel(i, P, r, v, params, iw, fw, work, warm):
    """The engine's ``row`` of TV: :func:`tv_row` with ``radius = params[0]``."""
    return tv_row(P, r, v, iw, params[0]), np.nan


@parallel_kernel
def _tv_values(P, v, order, sigma, tol, out):
    """``out[r] = tv_row(P, r, ...)``; with ``tol >= 0`` each row is also checked (see
    :func:`robustgames._validation.dot_scan_row`) in the pass that computes its dot product;
    returns the number of rejected rows (their ``out`` is NaN)."""
    bad = 0
    for r in prange(P.shape[0]):
        if tol >= 0.0:
            base, code = dot_scan_row(P, r, v, tol)
            if code != 0:
                bad += 1
                out[r] = np.nan
                continue
            out[r] = tv_row_from_dot(P, r, v, order, sigma, base)
        else:
            out[r] = tv_row(P, r, v, order, sigma)
    return bad


@parallel_kernel
def _tv_distributions(P, v, order, sigma, out):
    R, S = P.shape
    s_min = order[S - 1]
    for r in prange(R):
        for s in range(S):
            out[r, s] = P[r, s]
        budget = sigma
        k = 0
        while budget > 0.0 and k < S - 1:
            s = order[k]
            take = out[r, s]
            if take > budget:
                take = budget
            out[r, s] -= take
            budget -= take
            k += 1
        out[r, s_min] += sigma - budget


def descending_order(v: np.ndarray) -> np.ndarray:
    """Indices sorting ``v`` in decreasing order, ties broken by index (stable), so the
    last entry is an ``argmin`` of ``v`` (the compiled :func:`descending`)."""
    return descending(np.ascontiguousarray(v, dtype=np.float64))


class TV(UncertaintySet):
    """Total-variation ball ``{p : 0.5 ||p - p0||_1 <= radius}``, ``radius in [0, 1]``.

    Support function (closed form, docs/theory.md section 2): move ``radius`` of mass from the
    highest-value states to ``argmin_s v(s)`` (over all states, support shift allowed).

    Examples
    --------
    >>> import robustgames as rg
    >>> float(rg.TV(0.25).worst_value([0.5, 0.5], [0.0, 1.0]))
    0.25
    """

    max_radius = 1.0
    allows_support_shift = True

    def divergence(self, p0, p):
        """``0.5 * ||p - p0||_1`` along the last axis."""
        return 0.5 * np.abs(np.asarray(p, float) - np.asarray(p0, float)).sum(axis=-1)

    def row_kernel(self):
        """Row kernel (:class:`~robustgames.uncertainty.RowKernel`): :func:`tv_row` on
        ``v``'s decreasing order, ``params = [radius]``."""
        return RowKernel(_tv_row_kernel, prepare_descending, [self.radius])

    def _values(self, P, v, out):
        _tv_values(P, v, descending_order(v), self.radius, -1.0, out)

    def _values_checked(self, P, v, out, tol):
        return _tv_values(P, v, descending_order(v), self.radius, float(tol), out) == 0

    def _distributions(self, P, v, out):
        _tv_distributions(P, v, descending_order(v), self.radius, out)
