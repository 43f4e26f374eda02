"""Kullback-Leibler ball: exact support function through its one-dimensional dual.

``U(p0) = {p in simplex : p << p0, KL(p || p0) <= sigma}``, ``sigma in [0, inf)``
(THEORY.md sections 1-2). The support function is the dual (Hu & Hong 2013; the KL
robust Bellman operator of MORNAVI, arXiv 2508.02948, and DR-NVI, arXiv 2404.18909)

    inf_{p in U} p.v = sup_{lambda >= 0} { -lambda log E_p0[exp(-v / lambda)] - lambda sigma },

evaluated with a shifted log-sum-exp: with ``w = v - v_min`` (``v_min`` the minimum of ``v``
over the SUPPORT of ``p0``) the objective is ``v_min - lambda log sum_s p0_s exp(-w_s/lambda)
- lambda sigma``; every exponent is ``<= 0`` so nothing overflows.

Solver. Write ``beta = 1/lambda`` and ``t = log beta``. The derivative of the dual in
``lambda`` is ``KL(q_beta || p0) - sigma`` where ``q_beta ~ p0 exp(-beta w)`` is the
exponential tilt, and ``KL(q_beta || p0)`` increases in ``beta`` from 0 to
``-log p0(argmin)`` with ``d KL / dt = beta^2 Var_{q_beta}(w)``. We solve
``h(t) = log KL(q_{e^t} || p0) - log sigma = 0`` by Newton's method in ``t``. The
parametrisation is well conditioned at both ends: for small ``beta``,
``KL ~ beta^2 Var_p0(w) / 2`` so ``h`` is nearly linear in ``t`` (Newton is almost exact),
and for large ``beta`` (radius near saturation) the tilt concentrates on the argmin and
``h`` flattens smoothly instead of ``lambda`` collapsing to 0. Safeguards: the bracket
``[t_lo, t_hi]`` always contains the root, with ``t_lo = log(sigma / (p0.v - v_min))``
from ``lambda* <= (p0.v - v_min) / sigma`` (THEORY.md), and a Newton step that leaves the
bracket is replaced by bisection; while ``t_hi`` is still unknown a step up is capped at
``+2`` (on rows with two value scales ``h`` is convex over a range of ``t`` and Newton
would overshoot). Newton starts from the second-order guess
``beta0 = sqrt(2 sigma / Var_p0(w))`` (clipped into the bracket) and stops when
``|KL(q_beta) / sigma - 1| <= 1e-12`` (or at the rounding floor of ``t``). Measured at
S = 1000 on Dirichlet rows: 2-3 passes for sigma <= 0.01, 4 for 0.1, 5-6 for 1-2 (one
``exp`` per support state each); up to ~20 within 1e-6 of saturation.
The returned value is the dual objective at the final iterate, a lower bound on the
support function, accurate to rounding since the dual is flat at the optimum; the tilt at
the same iterate is the worst case (KL = sigma to 1e-12 relative).

Rounding. ``KL(q_beta || p0) = -beta E_q w - log Z`` is a difference of two terms of size
``beta (p0.v - v_min)``; when that is large compared with ``sigma`` (small radii) the terms
are evaluated centred at ``p0.v`` instead, with ``Z - 1 = sum p0 (x + (e^x - 1 - x))``
accumulated from non-cancelling pieces, so KL stays accurate to rounding down to tiny
radii. For ``sigma <= 1e-20`` the second-order expansion
``p0.v - sqrt(2 sigma Var_p0(v))`` is used; its error, ``O(sigma (max v - min v))``, is
below rounding.

Exact cases: ``sigma = 0`` gives ``p0.v``; ``v`` constant on the support gives that
constant; if ``sigma >= -log p0({s in supp p0 : v_s = v_min})`` (saturation) the value is
``v_min`` and a minimiser is ``p0`` restricted to that argmin set, renormalised (its KL is
exactly ``-log p0(argmin) <= sigma``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._jit import kernel, parallel_kernel
from ._base import UncertaintySet

#: maximum number of Newton/bisection passes per row (a safety net: Newton needs 2-8,
#: bisection alone ~60 to resolve t to 1e-14 from a bracket of width 1e3)
MAX_ITER = 200
#: ... or when a Newton step changes t by less than this (relative; the rounding floor)
T_TOL = 1e-14
#: stop when KL(q_beta || p0) matches the radius to this relative accuracy
H_TOL = 1e-12
#: largest step up in t while no upper bracket is known (a factor e^2 in beta)
MAX_UP_STEP = 2.0
#: beta never exceeds exp(T_MAX) (no overflow; the dual is then within 1e-300 of v_min)
T_MAX = 700.0
#: use the mean-centred evaluation while beta * (p0.v - v_min) is at most this (exponents
#: then stay below 500, far from overflow)
CENTRE_LIMIT = 500.0
#: ... and more than this multiple of the radius. In the v_min-shifted form, KL is the
#: difference of two terms of size about beta * (p0.v - v_min), so its relative rounding
#: error is about 1e-16 * beta * (p0.v - v_min) / radius near the root: below 1e-14 while
#: beta * (p0.v - v_min) <= 1e2 radius. Beyond that (tiny radii) the slower centred form
#: (expm1 and a short series per state) keeps KL accurate.
CENTRE_RATIO = 1e2
#: at or below this radius the second-order expansion of the dual is exact to rounding
#: (its error is O(radius * (max v - min v)))
SMALL_RADIUS = 1e-20

# kinds of row solution
_NOMINAL = 0  # radius 0: p0 itself
_ARGMIN = 1  # constant on the support, or saturated: p0 restricted to the argmin set
_TILT = 2  # exponential tilt with inverse temperature beta


@kernel
def _expm1_minus_x(x):
    """``exp(x) - 1 - x`` to full relative precision (Taylor series for ``|x| < 0.1``)."""
    if abs(x) >= 0.1:
        return math.expm1(x) - x
    term = 0.5 * x * x
    total = term
    for k in range(3, 12):
        term *= x / k
        total += term
    return total


@kernel
def _kl_eval(P, r, v, shift, centred, beta, total):
    """Dual objective pieces at inverse temperature ``beta`` for row ``r``.

    Exponents are ``-beta (v_s - shift)`` over the support. ``centred``: ``shift`` is the
    mean ``p0.v``, and ``Z - 1`` is accumulated as ``sum p0 (x + phi(x))`` with
    ``phi(x) = e^x - 1 - x >= 0`` so that no first-order terms cancel (KL and ``log Z`` are
    then accurate to rounding even for tiny ``beta``); otherwise ``shift = v_min``.
    Returns ``(log Z, KL(q_beta || p0), Var_q(v))`` with ``p0`` normalised by ``total``.
    """
    S = P.shape[1]
    s1 = 0.0  # sum p (v - shift)
    b1 = 0.0  # centred: sum p expm1(x) (v - shift); else sum p e^x (v - shift)
    zsum = 0.0  # centred: sum p phi(x); else sum p e^x
    e2 = 0.0  # sum p e^x (v - shift)^2
    for s in range(S):
        p = P[r, s]
        if p > 0.0:
            w = v[s] - shift
            x = -beta * w
            if centred:
                em = math.expm1(x)
                s1 += p * w
                b1 += p * em * w
                zsum += p * _expm1_minus_x(x)
                e2 += p * (1.0 + em) * w * w
            else:
                e = p * math.exp(x)
                zsum += e
                b1 += e * w
                e2 += e * w * w
    if centred:
        d = (zsum - beta * s1) / total  # Z - 1
        z = 1.0 + d
        log_z = math.log1p(d)
        e1 = (s1 + b1) / total / z
    else:
        z = zsum / total
        log_z = math.log(z)
        e1 = b1 / total / z
    e2 = e2 / total / z
    kl = -beta * e1 - log_z
    return log_z, kl, e2 - e1 * e1


@kernel
def _kl_row(P, r, v, radius):
    """Solve row ``r``: returns ``(value, kind, beta, shift, iterations)``; the worst case
    is ``q ~ p0 exp(-beta (v - shift))`` (kind ``_TILT``) or ``p0`` restricted to
    ``{v = shift}`` (kind ``_ARGMIN``)."""
    S = P.shape[1]
    v_min = np.inf
    dot = 0.0
    total = 0.0
    for s in range(S):
        p = P[r, s]
        if p > 0.0:
            dot += p * v[s]
            total += p
            if v[s] < v_min:
                v_min = v[s]
    if radius == 0.0:
        return dot, _NOMINAL, 0.0, v_min, 0
    mass_min = 0.0
    gap = 0.0  # sum p0 w, w = v - v_min >= 0
    for s in range(S):
        p = P[r, s]
        if p > 0.0:
            w = v[s] - v_min
            if w == 0.0:
                mass_min += p
            else:
                gap += p * w
    gap /= total
    mass_min /= total
    if gap <= 0.0 or radius >= -math.log(mass_min):
        return v_min, _ARGMIN, np.inf, v_min, 0
    var0 = 0.0
    for s in range(S):
        p = P[r, s]
        if p > 0.0:
            dw = v[s] - v_min - gap
            var0 += p * dw * dw
    var0 /= total
    mean = v_min + gap
    if radius <= SMALL_RADIUS or var0 <= 0.0:
        if var0 <= 0.0:
            return mean, _NOMINAL, 0.0, v_min, 0
        # second-order expansion: value = mean - sqrt(2 radius Var) + O(radius (max v - min v)),
        # exact in double precision at this radius; beta = sqrt(2 radius / Var)
        return mean - math.sqrt(2.0 * radius * var0), _TILT, math.sqrt(2.0 * radius / var0), mean, 0
    # bracket and starting point (see the module docstring)
    lo = math.log(radius / gap)
    hi = np.inf
    t = lo
    if var0 > 0.0:
        t0 = 0.5 * math.log(2.0 * radius / var0)
        if t0 > lo:
            t = t0
    value = -np.inf
    beta = math.exp(t)
    shift = mean
    it = 0
    while it < MAX_ITER:
        it += 1
        beta = math.exp(t)
        centred = CENTRE_RATIO * radius < beta * gap <= CENTRE_LIMIT
        shift = mean if centred else v_min
        log_z, kl, var = _kl_eval(P, r, v, shift, centred, beta, total)
        value = shift - (log_z + radius) / beta
        if kl > 0.0:
            h = math.log(kl) - math.log(radius)
        else:
            h = -np.inf  # KL below rounding: beta is too small
        if abs(h) <= H_TOL:
            break  # KL(q_beta) = radius to 1e-12 relative
        if h < 0.0:
            lo = t
        else:
            hi = t
        deriv = beta * beta * var / kl if kl > 0.0 else 0.0
        if deriv > 0.0 and h > -np.inf:
            t_new = t - h / deriv
            if abs(t_new - t) <= T_TOL * max(1.0, abs(t)):
                break  # converged: t is within rounding of the root
        else:
            t_new = np.nan
        if not (t_new > lo and t_new < hi):  # also catches NaN
            if hi < np.inf:
                t_new = 0.5 * (lo + hi)
            else:
                t_new = t + 1.0
        if hi == np.inf and t_new > t + MAX_UP_STEP:
            # no upper bracket yet: h can be convex here (two-scale rows), so Newton may
            # overshoot wildly; expand cautiously instead
            t_new = t + MAX_UP_STEP
        if t_new > T_MAX:
            t_new = T_MAX
        if hi - lo <= T_TOL * max(1.0, abs(t)):
            break
        t = t_new
    return value, _TILT, beta, shift, it


@parallel_kernel
def _kl_values(P, v, radius, out, iters):
    R = P.shape[0]
    for r in prange(R):
        value, kind, beta, v_min, it = _kl_row(P, r, v, radius)
        out[r] = value
        iters[r] = it


@parallel_kernel
def _kl_distributions(P, v, radius, out):
    R, S = P.shape
    for r in prange(R):
        value, kind, beta, v_min, it = _kl_row(P, r, v, radius)
        if kind == _NOMINAL:
            for s in range(S):
                out[r, s] = P[r, s]
        elif kind == _ARGMIN:
            m = 0.0
            for s in range(S):
                if P[r, s] > 0.0 and v[s] == v_min:
                    m += P[r, s]
            for s in range(S):
                if P[r, s] > 0.0 and v[s] == v_min:
                    out[r, s] = P[r, s] / m
                else:
                    out[r, s] = 0.0
        else:
            z = 0.0
            for s in range(S):
                p = P[r, s]
                if p > 0.0:
                    e = p * math.exp(-beta * (v[s] - v_min))  # v_min holds the shift
                    out[r, s] = e
                    z += e
                else:
                    out[r, s] = 0.0
            for s in range(S):
                out[r, s] /= z


def kl_divergence(p0, p) -> np.ndarray:
    """``KL(p || p0) = sum_s p_s log(p_s / p0_s)`` along the last axis (``inf`` if ``p`` puts
    mass where ``p0`` is zero; ``0 log 0 = 0``)."""
    P0 = np.asarray(p0, dtype=np.float64)
    Q = np.asarray(p, dtype=np.float64)
    Q, P0 = np.broadcast_arrays(Q, P0)
    terms = np.zeros(Q.shape)
    pos = Q > 0
    with np.errstate(divide="ignore"):
        terms[pos] = Q[pos] * (np.log(Q[pos]) - np.log(P0[pos]))
    return terms.sum(axis=-1)


class KL(UncertaintySet):
    """Kullback-Leibler ball ``{p : p << p0, KL(p || p0) <= radius}``, ``radius >= 0``.

    Support function by the dual (Hu & Hong 2013; THEORY.md section 2)
    ``sup_{lambda >= 0} { -lambda log E_p0[exp(-v/lambda)] - lambda radius }``, solved per row
    by a safeguarded Newton iteration on ``log(1/lambda)`` (see the module docstring). The
    worst case is the exponential tilt ``q ~ p0 exp(-v/lambda*)`` with ``KL(q||p0) = radius``;
    at or beyond saturation (``radius >= -log p0(argmin_supp v)``) the value is
    ``min_{supp p0} v`` and a minimiser is ``p0`` restricted to that argmin, renormalised.
    No mass is ever moved off the support of ``p0``.

    Examples
    --------
    >>> import numpy as np
    >>> from robustgames.uncertainty import KL
    >>> p0, v = np.array([0.5, 0.5]), np.array([0.0, 1.0])
    >>> float(KL(np.log(2)).worst_value(p0, v))   # saturated: all mass on state 0
    0.0
    """

    max_radius = None
    allows_support_shift = False

    def divergence(self, p0, p):
        """``KL(p || p0)`` along the last axis."""
        return kl_divergence(p0, p)

    def _values(self, P, v, out):
        _kl_values(P, v, self.radius, out, np.empty(out.shape[0], dtype=np.int64))

    def _distributions(self, P, v, out):
        _kl_distributions(P, v, self.radius, out)

    def iterations(self, p0, v) -> np.ndarray:
        """Newton/bisection passes used per row (0 for the closed-form cases); diagnostic."""
        P, vec = self._check(p0, v)
        P2 = P.reshape(-1, P.shape[-1])
        out = np.empty(P2.shape[0])
        iters = np.empty(P2.shape[0], dtype=np.int64)
        _kl_values(P2, vec, self.radius, out, iters)
        return iters.reshape(P.shape[:-1])
