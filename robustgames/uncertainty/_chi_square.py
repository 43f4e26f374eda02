"""Chi-square ball: exact support function by walking the breakpoints of its dual.

``U(p0) = {p in simplex : sum_{s in supp p0} (p_s - p0_s)^2 / p0_s <= sigma}`` with ``p``
supported on ``supp p0``, ``sigma in [0, inf)`` (THEORY.md sections 1-2). The dual (Shi et
al. 2023, the chi-square robust Bellman operator; THEORY.md section 2) is

    inf_{p in U} p.v = max_{alpha in [min v, max v]} { p0.[v]_alpha - sqrt(sigma Var_p0([v]_alpha)) },

``[v]_alpha = min(v, alpha)``, min and max over ``supp p0``.

Exact maximisation (no grid). Sort ``v`` once per call and walk each row's support in
increasing ``v``. For ``alpha`` between consecutive support values ``u_j <= alpha <=
u_{j+1}`` let ``L`` be the states with ``v <= u_j`` (mass ``M``, mean ``mu``, centred sum of
squares ``C = sum_L p0 (v - mu)^2``, kept by Welford's stable update) and ``T = 1 - M``.
By the law of total variance, with ``x = alpha - mu >= 0``,

    f(alpha) = M mu + T alpha - sqrt(sigma (C + M T x^2)),

a concave function of ``x``. Setting ``f' = 0`` gives ``T sqrt(C + M T x^2) = sqrt(sigma) M T x``,
i.e. ``x* = T sqrt(C / (M T (sigma M T - T^2)))`` when ``sigma M > T`` (else ``f`` increases on
the whole interval and ``x* = +inf``); clamping ``x*`` to the interval gives the exact
maximum of the piece. The largest piece maximum (and ``f(u_1) = u_1``) is the value. Cost:
one sort of ``v`` per call, then O(S) per row with one square root per support state.

Worst case. With ``Z = [v]_{alpha*}`` the minimiser is
``q = p0 (1 - sqrt(sigma) (Z - E_p0 Z) / std_p0(Z))``: it sums to one, has chi-square
``sigma`` and ``q.Z = E Z - sqrt(sigma) std Z = f(alpha*)``; optimality of ``alpha*`` makes the
coefficient ``1 - sqrt(sigma)(alpha* - E Z)/std Z`` of the states with ``v >= alpha*`` vanish
(interior optimum) or be non-negative with no state above ``alpha*`` (``alpha* = max v``),
so ``q >= 0`` and ``q.v = q.Z``. If ``alpha* = u_1`` (``std Z = 0``, saturation: this happens
exactly when ``sigma >= (1 - m)/m`` with ``m = p0(argmin)``), the minimiser is ``p0``
restricted to the argmin set, renormalised (chi-square ``(1 - m)/m``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._jit import kernel, parallel_kernel
from ._base import UncertaintySet


@kernel
def _chi2_row(P, r, v, order, radius):
    """Row ``r``: returns ``(value, alpha* - u_1, u_1)`` with ``u_1 = min_{supp p0} v``.

    All sums run on ``v - u_1`` (exact for nearby values), so the centred statistics stay
    accurate relative to the value spread even when ``|v|`` is much larger than it."""
    S = P.shape[1]
    total = 0.0
    dot = 0.0
    for s in range(S):
        total += P[r, s]
        dot += P[r, s] * v[s]
    if radius == 0.0:
        return dot, -np.inf, 0.0
    sr = math.sqrt(radius)
    M = 0.0
    mu = 0.0
    C = 0.0
    best = np.nan
    alpha_best = np.nan
    prev = np.nan
    u1 = np.nan
    for k in range(S):
        s = order[k]
        p = P[r, s]
        if p <= 0.0:
            continue
        if M == 0.0:
            u1 = v[s]
            best = 0.0  # alpha = u_1: [v]_alpha is constant u_1
            alpha_best = 0.0
        x_val = v[s] - u1
        if M > 0.0 and x_val > prev:
            # alpha in [prev, x_val] with L = states seen so far
            T = total - M
            if T < 0.0:
                T = 0.0
            d = M * T
            xl = prev - mu
            xu = x_val - mu
            if xl < 0.0:
                xl = 0.0
            if T > 0.0 and radius * M > T:
                # interior stationary point (x = 0 if L is a single value, C = 0)
                x = T * math.sqrt(C / (d * (radius * d - T * T))) if C > 0.0 else 0.0
            else:
                x = xu  # f is non-decreasing on the whole piece
            if x < xl:
                x = xl
            elif x > xu:
                x = xu
            f = M * mu + T * (mu + x) - sr * math.sqrt(C + d * x * x)
            if f > best:
                best = f
                alpha_best = mu + x
        # Welford: add s to L
        M_new = M + p
        delta = x_val - mu
        mu = mu + p * delta / M_new
        C = C + p * delta * (x_val - mu)
        M = M_new
        prev = x_val
    return u1 + best, alpha_best, u1


@parallel_kernel
def _chi2_values(P, v, order, radius, out):
    R = P.shape[0]
    for r in prange(R):
        value, alpha, u1 = _chi2_row(P, r, v, order, radius)
        out[r] = value


@parallel_kernel
def _chi2_distributions(P, v, order, radius, out):
    R, S = P.shape
    sr = math.sqrt(radius)
    for r in prange(R):
        value, alpha, u1 = _chi2_row(P, r, v, order, radius)
        if radius == 0.0:
            for s in range(S):
                out[r, s] = P[r, s]
            continue
        total = 0.0
        for s in range(S):
            total += P[r, s]
        # Z - u1 with Z = min(v, alpha*), from the shifted v - u1 (see _chi2_row)
        ez = 0.0
        for s in range(S):
            ez += P[r, s] * min(v[s] - u1, alpha)
        ez /= total
        var = 0.0
        for s in range(S):
            dz = min(v[s] - u1, alpha) - ez
            var += P[r, s] * dz * dz
        var /= total
        if alpha > 0.0 and var > 0.0:
            coef = sr / math.sqrt(var)
            qsum = 0.0
            for s in range(S):
                q = P[r, s] * (1.0 - coef * (min(v[s] - u1, alpha) - ez))
                q = q if q > 0.0 else 0.0
                out[r, s] = q
                qsum += q
            for s in range(S):  # the sum is 1 up to rounding; make it exact
                out[r, s] /= qsum
        else:
            # saturated (alpha* = u_1 = min over the support): p0 restricted to its
            # argmin set, renormalised
            m = 0.0
            for s in range(S):
                if P[r, s] > 0.0 and v[s] == u1:
                    m += P[r, s]
            for s in range(S):
                if P[r, s] > 0.0 and v[s] == u1:
                    out[r, s] = P[r, s] / m
                else:
                    out[r, s] = 0.0


def chi_square_divergence(p0, p) -> np.ndarray:
    """``sum_{s in supp p0} (p_s - p0_s)^2 / p0_s`` along the last axis (``inf`` if ``p`` puts
    mass where ``p0`` is zero)."""
    P0 = np.asarray(p0, dtype=np.float64)
    Q = np.asarray(p, dtype=np.float64)
    Q, P0 = np.broadcast_arrays(Q, P0)
    terms = np.zeros(Q.shape)
    supp = P0 > 0
    terms[supp] = (Q[supp] - P0[supp]) ** 2 / P0[supp]
    terms[~supp & (Q > 0)] = np.inf
    return terms.sum(axis=-1)


def ascending_order(v: np.ndarray) -> np.ndarray:
    """Indices sorting ``v`` in increasing order (stable)."""
    return np.ascontiguousarray(np.argsort(v, kind="stable"))


class ChiSquare(UncertaintySet):
    """Chi-square ball ``{p : sum_s (p_s - p0_s)^2 / p0_s <= radius}`` on ``supp p0``, ``radius >= 0``.

    Support function: the dual ``max_alpha { p0.[v]_alpha - sqrt(radius Var_p0([v]_alpha)) }``
    (Shi et al. 2023; THEORY.md section 2), maximised EXACTLY by walking the breakpoints of
    ``alpha`` with closed-form maxima on each piece (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from robustgames.uncertainty import ChiSquare
    >>> p0, v = np.array([0.5, 0.5]), np.array([0.0, 1.0])
    >>> float(ChiSquare(1.0).worst_value(p0, v))   # saturated: (1 - m)/m = 1
    0.0
    """

    max_radius = None
    allows_support_shift = False

    def divergence(self, p0, p):
        """The chi-square divergence ``sum_s (p_s - p0_s)^2 / p0_s`` along the last axis."""
        return chi_square_divergence(p0, p)

    def _values(self, P, v, out):
        _chi2_values(P, v, ascending_order(v), self.radius, out)

    def _distributions(self, P, v, out):
        _chi2_distributions(P, v, ascending_order(v), self.radius, out)
