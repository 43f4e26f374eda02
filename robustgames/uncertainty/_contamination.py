"""rho-contamination set: exact support function in closed form.

``U(p0) = {(1 - rho) p0 + rho q : q in simplex}``, ``rho in [0, 1]`` (docs/theory.md sections
1-2; the contamination target of DrIGM, arXiv 2602.11437, which drops the ``min v`` term).
The set is a translate of a scaled simplex, so

    inf_{p in U} p.v = (1 - rho) p0.v + rho min_s v(s),

with the minimum over ALL states (``q`` may put mass where ``p0`` is zero), attained by
``(1 - rho) p0 + rho e_{s_min}`` with ``s_min`` the lowest-index argmin of ``v``. One
streaming pass per row (:func:`contamination_row`, also used by the MORNAVI learner's
kernels).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._jit import kernel, parallel_kernel
from .._validation import dot_scan_row
from ._base import UncertaintySet
from ._engine import RowKernel
from ._tv import descending, prepare_descending


@kernel
def contamination_row(P, r, v, order, rho):
    """``(1 - rho) P[r].v + rho min_s v`` for row ``r`` of ``P``; ``order`` sorts ``v`` in
    decreasing order (its last entry is an argmin of ``v``), as for
    :func:`robustgames.uncertainty._tv.tv_row`. Callable from other compiled code."""
    S = P.shape[1]
    dot = 0.0
    for s in range(S):
        dot += P[r, s] * v[s]
    return contamination_from_dot(dot, rho, v[order[S - 1]])


@kernel
def contamination_from_dot(dot, rho, v_min):
    """The closed form ``(1 - rho) dot + rho v_min`` given ``dot = p0 . v`` and ``v_min = min v``."""
    return (1.0 - rho) * dot + rho * v_min


@kernel
def _contamination_row_kernel(i, P, r, v, params, iw, fw, work, warm):
    """The engine's ``row``: :func:`contamination_row` with ``rho = params[0]``."""
    return contamination_row(P, r, v, iw, params[0]), np.nan


@parallel_kernel
def _contamination_values(P, v, order, rho, tol, out):
    """``out[r] = contamination_row(P, r, ...)``; with ``tol >= 0`` each row is also checked
    in its one pass (:func:`robustgames._validation.dot_scan_row`); returns the number of
    rejected rows (their ``out`` is NaN)."""
    S = P.shape[1]
    v_min = v[order[S - 1]]
    bad = 0
    for r in prange(P.shape[0]):
        if tol >= 0.0:
            dot, code = dot_scan_row(P, r, v, tol)
            if code != 0:
                bad += 1
                out[r] = np.nan
                continue
            out[r] = contamination_from_dot(dot, rho, v_min)
        else:
            out[r] = contamination_row(P, r, v, order, rho)
    return bad


@parallel_kernel
def _contamination_distributions(P, v, s_min, rho, out):
    R, S = P.shape
    for r in prange(R):
        for s in range(S):
            out[r, s] = (1.0 - rho) * P[r, s]
        out[r, s_min] += rho


def contamination_divergence(p0, p) -> np.ndarray:
    """The smallest ``rho`` with ``p = (1 - rho) p0 + rho q`` for some distribution ``q``:
    ``max(0, 1 - min_{s : p0_s > 0} p_s / p0_s)`` along the last axis."""
    P0 = np.asarray(p0, dtype=np.float64)
    Q = np.asarray(p, dtype=np.float64)
    Q, P0 = np.broadcast_arrays(Q, P0)
    ratio = np.full(Q.shape, np.inf)
    supp = P0 > 0
    ratio[supp] = Q[supp] / P0[supp]
    return np.maximum(0.0, 1.0 - ratio.min(axis=-1))


class Contamination(UncertaintySet):
    """rho-contamination set ``{(1 - radius) p0 + radius q : q in simplex}``, ``radius in [0, 1]``.

    Support function (closed form, docs/theory.md section 2): ``(1 - radius) p0.v + radius min_s v``
    (minimum over all states). It lies inside the TV ball of the same radius.

    Examples
    --------
    >>> import numpy as np
    >>> from robustgames.uncertainty import Contamination
    >>> float(Contamination(0.5).worst_value([0.0, 1.0], [0.0, 1.0]))
    0.5
    """

    max_radius = 1.0
    allows_support_shift = True

    def divergence(self, p0, p):
        """Smallest contamination level ``rho`` that reaches ``p`` from ``p0`` (see
        :func:`contamination_divergence`)."""
        return contamination_divergence(p0, p)

    def row_kernel(self):
        """Row kernel (:class:`~robustgames.uncertainty.RowKernel`):
        :func:`contamination_row`, ``params = [radius]``."""
        return RowKernel(_contamination_row_kernel, prepare_descending, [self.radius])

    def _values(self, P, v, out):
        _contamination_values(P, v, descending(v), self.radius, -1.0, out)

    def _values_checked(self, P, v, out, tol):
        return _contamination_values(P, v, descending(v), self.radius, float(tol), out) == 0

    def _distributions(self, P, v, out):
        _contamination_distributions(P, v, int(np.argmin(v)), self.radius, out)
