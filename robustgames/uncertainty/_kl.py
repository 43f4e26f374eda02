"""Kullback-Leibler ball: exact support function through its one-dimensional dual.

``U(p0) = {p in simplex : p << p0, KL(p || p0) <= sigma}``, ``sigma in [0, inf)``
(docs/theory.md sections 1-2). The support function is the dual (Hu & Hong 2013; the KL
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
from ``lambda* <= (p0.v - v_min) / sigma`` (docs/theory.md), and a Newton step that leaves the
bracket is replaced by bisection; while ``t_hi`` is still unknown a step up is capped at
``+2`` (on rows with two value scales ``h`` is convex over a range of ``t`` and Newton
would overshoot). Newton starts from the second-order guess
``beta0 = sqrt(2 sigma / Var_p0(w))`` (clipped into the bracket); each pass also
accumulates the third moment of the tilt, so a Newton step that stays inside the bracket
is refined by Halley's correction (cubic convergence; used only while the correction
factor lies in [1/2, 2], otherwise the plain Newton step or bisection). ``worst_distribution``
(and :func:`_kl_row`) stop when ``|KL(q_beta) / sigma - 1| <= 1e-12`` (or at the rounding
floor of ``t``), so the tilt is the worst case with ``KL = sigma`` to 1e-12 relative.
``worst_value`` stops earlier, at ``|h| <= 1e-5``, and adds the dual's gain over the
remaining (Halley) step by the trapezoid rule on ``d dual / d lambda = KL - sigma``: what is
left is third order, ``O(spread * h^3 / 100)``, about 1e-17 of the spread of ``v``, below
rounding. Measured at S = 1000 on Dirichlet rows: 2 passes for sigma <= 0.1, 3 for 1-2 (one
``exp`` per support state each); up to ~20 within 1e-6 of saturation.

Speed (see DESIGN.md, "Measured facts"). The support is compacted once per row (rows
without zeros are used in place), so every pass is a branch-free loop over contiguous
arrays: the exponentials go through :func:`robustgames.uncertainty._fastexp.exp`, a
vectorisable Cody-Waite/polynomial ``exp`` within 1 ulp of ``math.exp`` (numba's
``math.exp`` is a scalar libm call, about 4x slower; no SVML with the PyPI llvmlite), and
the sums use four independent partial sums (no fastmath anywhere). Rows whose mean gap
``p0.v - v_min`` is below 1e-100 or above 1e100 are solved in units of that gap (squares
of ``v - v_min`` would underflow or overflow).
The returned value is the dual objective at the final iterate (plus the correction above),
accurate to rounding since the dual is flat at the optimum.

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
from .._validation import row_ok
from ._base import UncertaintySet
from ._engine import RowKernel, prepare_nothing
from ._fastexp import exp as _fexp

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


#: values only (``worst_value``): stop once ``|h| <= VALUE_TOL`` and add the dual's
#: second-order gain over the remaining step, ``(KL - radius) (lambda_next - lambda) / 2``
#: (the dual is flat at the optimum: what is left is ``O(spread * h^3 / 100)``, about 1e-17 of the
#: value spread; see the module docstring). ``worst_distribution`` keeps ``H_TOL``.
VALUE_TOL = 1e-5
#: Halley's correction ``1 / (1 - h h'' / (2 h'^2))`` of a Newton step is used only while
#: its denominator lies in this range (otherwise the plain Newton step, or bisection)
HALLEY_MIN_DENOM = 0.5
HALLEY_MAX_DENOM = 2.0
#: rows whose mean gap ``p0.v - v_min`` lies outside ``[SCALE_LO, SCALE_HI]`` are solved in
#: units of that gap (squares and cubes of ``v - v_min`` would underflow or overflow)
SCALE_LO = 1e-100
SCALE_HI = 1e100


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
def _kl_eval_centred(p, x, n, shift, beta, total):
    """Dual objective pieces at ``beta`` with the exponents centred at the mean ``shift = p0.v``.

    ``p[:n] > 0`` are the support masses and ``x[:n]`` their values. ``Z - 1`` is accumulated
    as ``sum p (x + phi(x))`` with ``phi(x) = e^x - 1 - x >= 0`` so that no first-order terms
    cancel (KL and ``log Z`` are then accurate to rounding even for tiny ``beta``).
    Returns ``(log Z, KL(q_beta || p0), Var_q(v))`` with ``p0`` normalised by ``total``.
    """
    s1 = 0.0  # sum p (v - shift)
    b1 = 0.0  # sum p expm1(x) (v - shift)
    zsum = 0.0  # sum p phi(x)
    e2 = 0.0  # sum p e^x (v - shift)^2
    for i in range(n):
        pi = p[i]
        w = x[i] - shift
        y = -beta * w
        em = math.expm1(y)
        s1 += pi * w
        b1 += pi * em * w
        zsum += pi * _expm1_minus_x(y)
        e2 += pi * (1.0 + em) * w * w
    d = (zsum - beta * s1) / total  # Z - 1
    z = 1.0 + d
    log_z = math.log1p(d)
    e1 = (s1 + b1) / total / z
    e2 = e2 / total / z
    kl = -beta * e1 - log_z
    return log_z, kl, e2 - e1 * e1


@kernel
def _tilt_sums(p, x, n, shift, beta, e):
    """``sum_i e_i w_i^k`` for ``k = 0..3`` with ``w = x - shift >= 0`` and
    ``e = p exp(-beta w)``: the hot loop. The exponentials go through the branch-free
    :func:`robustgames.uncertainty._fastexp.exp` into the scratch ``e`` (a vectorised loop),
    then four independent partial sums per moment (so the additions pipeline without
    reassociating anything: no fastmath)."""
    nb = -beta
    for i in range(n):
        e[i] = p[i] * _fexp(nb * (x[i] - shift))
    z0 = z1 = z2 = z3 = 0.0
    a0 = a1 = a2 = a3 = 0.0
    b0 = b1 = b2 = b3 = 0.0
    c0 = c1 = c2 = c3 = 0.0
    m = n - n % 4
    for i in range(0, m, 4):
        w0 = x[i] - shift
        w1 = x[i + 1] - shift
        w2 = x[i + 2] - shift
        w3 = x[i + 3] - shift
        f0 = e[i]
        f1 = e[i + 1]
        f2 = e[i + 2]
        f3 = e[i + 3]
        z0 += f0
        z1 += f1
        z2 += f2
        z3 += f3
        f0 *= w0
        f1 *= w1
        f2 *= w2
        f3 *= w3
        a0 += f0
        a1 += f1
        a2 += f2
        a3 += f3
        f0 *= w0
        f1 *= w1
        f2 *= w2
        f3 *= w3
        b0 += f0
        b1 += f1
        b2 += f2
        b3 += f3
        c0 += f0 * w0
        c1 += f1 * w1
        c2 += f2 * w2
        c3 += f3 * w3
    for i in range(m, n):
        w0 = x[i] - shift
        f0 = e[i]
        z0 += f0
        f0 *= w0
        a0 += f0
        f0 *= w0
        b0 += f0
        c0 += f0 * w0
    return (z0 + z1) + (z2 + z3), (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3), (c0 + c1) + (c2 + c3)


@kernel
def _kl_eval(p, x, n, v_min, beta, total, e):
    """Dual objective pieces at inverse temperature ``beta``, exponents ``-beta (x - v_min)
    <= 0`` over the support ``p[:n] > 0``, values ``x[:n]``. Returns ``(log Z, KL(q_beta ||
    p0), Var_q(v), third central moment of v under q)`` with ``p0`` normalised by ``total``."""
    zsum, s1, s2, s3 = _tilt_sums(p, x, n, v_min, beta, e)
    z = zsum / total
    log_z = math.log(z)
    m1 = s1 / zsum
    m2 = s2 / zsum
    m3 = s3 / zsum
    kl = -beta * m1 - log_z
    var = m2 - m1 * m1
    k3 = m3 - 3.0 * m1 * m2 + 2.0 * m1 * m1 * m1
    return log_z, kl, var, k3


@kernel
def _row_stats(p, x, n, v_min):
    """``(sum p w, sum_{w = 0} p, sum p w^2)`` with ``w = x - v_min`` (four partial sums)."""
    g0 = g1 = g2 = g3 = 0.0
    a0 = a1 = a2 = a3 = 0.0
    c0 = c1 = c2 = c3 = 0.0
    m = n - n % 4
    for i in range(0, m, 4):
        w0 = x[i] - v_min
        w1 = x[i + 1] - v_min
        w2 = x[i + 2] - v_min
        w3 = x[i + 3] - v_min
        f0 = p[i] * w0
        f1 = p[i + 1] * w1
        f2 = p[i + 2] * w2
        f3 = p[i + 3] * w3
        g0 += f0
        g1 += f1
        g2 += f2
        g3 += f3
        c0 += f0 * w0
        c1 += f1 * w1
        c2 += f2 * w2
        c3 += f3 * w3
        a0 += p[i] if w0 == 0.0 else 0.0
        a1 += p[i + 1] if w1 == 0.0 else 0.0
        a2 += p[i + 2] if w2 == 0.0 else 0.0
        a3 += p[i + 3] if w3 == 0.0 else 0.0
    for i in range(m, n):
        w0 = x[i] - v_min
        f0 = p[i] * w0
        g0 += f0
        c0 += f0 * w0
        a0 += p[i] if w0 == 0.0 else 0.0
    return (g0 + g1) + (g2 + g3), (a0 + a1) + (a2 + a3), (c0 + c1) + (c2 + c3)


@kernel
def _kl_core(P, r, v, radius, v_min_all, pk, xk, ek, tol, t_start):
    """Solve row ``r`` of ``P``: returns ``(value, kind, beta, shift, iterations)``; the worst
    case is ``q ~ p0 exp(-beta (v - shift))`` (kind ``_TILT``) or ``p0`` restricted to
    ``{v = shift}`` (kind ``_ARGMIN``).

    ``v_min_all``: ``min(v)`` if the caller knows it (used for rows without zeros), else
    NaN. ``pk, xk, ek``: scratch arrays of at least ``S`` entries. ``tol``: ``H_TOL`` (the
    tilt is the worst case to 1e-12) or ``VALUE_TOL`` (value only, with the second-order
    correction). ``t_start``: starting log inverse temperature, or NaN for the default.
    """
    S = P.shape[1]
    # pass 1 (streams the row): total mass, mean and support size (four partial sums each,
    # so the additions pipeline)
    t0 = t1 = t2 = t3 = 0.0
    d0 = d1 = d2 = d3 = 0.0
    nnz = 0
    m = S - S % 4
    for s in range(0, m, 4):
        q0 = P[r, s]
        q1 = P[r, s + 1]
        q2 = P[r, s + 2]
        q3 = P[r, s + 3]
        t0 += q0
        t1 += q1
        t2 += q2
        t3 += q3
        d0 += q0 * v[s]
        d1 += q1 * v[s + 1]
        d2 += q2 * v[s + 2]
        d3 += q3 * v[s + 3]
        nnz += (1 if q0 > 0.0 else 0) + (1 if q1 > 0.0 else 0)
        nnz += (1 if q2 > 0.0 else 0) + (1 if q3 > 0.0 else 0)
    for s in range(m, S):
        q0 = P[r, s]
        t0 += q0
        d0 += q0 * v[s]
        nnz += 1 if q0 > 0.0 else 0
    total = (t0 + t1) + (t2 + t3)
    dot = (d0 + d1) + (d2 + d3)
    if nnz == S:
        # no zeros: work on the row itself and on v
        p = P[r]
        x = v
        if v_min_all == v_min_all:
            v_min = v_min_all
        else:
            v_min = np.inf
            for s in range(S):
                v_min = min(v_min, v[s])
    else:
        # compact the support once (branch-free writes); every later pass is dense
        k = 0
        for s in range(S):
            q = P[r, s]
            pk[k] = q
            xk[k] = v[s]
            k += 1 if q > 0.0 else 0
        p = pk
        x = xk
        v_min = np.inf
        for i in range(nnz):
            v_min = min(v_min, xk[i])
    n = nnz
    if radius == 0.0:
        return dot, _NOMINAL, 0.0, v_min, 0
    g_sum, m_sum, m2_sum = _row_stats(p, x, n, v_min)
    gap = g_sum / total
    if gap > 0.0 and not (SCALE_LO <= gap <= SCALE_HI):
        # values spread over less than 1e-100 (or more than 1e100): squares of v - v_min
        # would underflow (overflow), so solve for (v - v_min) / gap, an exact change of
        # units (beta scales by gap), and map back
        for i in range(n):
            xk[i] = (x[i] - v_min) / gap
        if t_start == t_start:
            t_start = t_start + math.log(gap)
        g_sum, m_sum, m2_sum = _row_stats(p, xk, n, 0.0)
        value, kind, beta, shift, it = _kl_solve(p, xk, n, 0.0, total, g_sum, m_sum, m2_sum,
                                                 radius, ek, tol, t_start)
        return v_min + gap * value, kind, beta / gap, v_min + gap * shift, it
    return _kl_solve(p, x, n, v_min, total, g_sum, m_sum, m2_sum, radius, ek, tol, t_start)


@kernel
def _kl_solve(p, x, n, v_min, total, gap, mass_min, m2, radius, e, tol, t_start):
    """The row solver proper on the support ``p[:n] > 0`` (mass ``total``), values
    ``x[:n]`` with minimum ``v_min`` and sums ``gap, mass_min, m2`` from :func:`_row_stats`,
    radius > 0; ``e``: scratch (see :func:`_kl_core`)."""
    ek = e
    gap /= total  # p0.w, w = v - v_min >= 0
    mass_min /= total  # p0(argmin)
    if gap <= 0.0 or radius >= -math.log(mass_min):
        return v_min, _ARGMIN, np.inf, v_min, 0
    # Var_p0(w) from the raw second moment: only a starting guess, except below
    var0 = m2 / total - gap * gap
    mean = v_min + gap
    if radius <= SMALL_RADIUS or var0 <= 0.0:
        var0 = 0.0  # exactly, centred (the expansion below needs it to full accuracy)
        for i in range(n):
            dw = x[i] - v_min - gap
            var0 += p[i] * dw * dw
        var0 /= total
        if var0 <= 0.0:
            return mean, _NOMINAL, 0.0, v_min, 0
        # second-order expansion: value = mean - sqrt(2 radius Var) + O(radius (max v - min v)),
        # exact in double precision at this radius; beta = sqrt(2 radius / Var)
        return mean - math.sqrt(2.0 * radius * var0), _TILT, math.sqrt(2.0 * radius / var0), mean, 0
    # bracket and starting point (see the module docstring)
    lo = math.log(radius / gap)
    hi = np.inf
    t = lo
    if t_start == t_start:
        if t_start > lo:
            t = min(t_start, T_MAX)
    elif var0 > 0.0:
        t0 = 0.5 * math.log(2.0 * radius / var0)
        if t0 > lo:
            t = t0
    log_radius = math.log(radius)
    value = -np.inf
    beta = math.exp(t)
    shift = mean
    it = 0
    while it < MAX_ITER:
        it += 1
        beta = math.exp(t)
        centred = CENTRE_RATIO * radius < beta * gap <= CENTRE_LIMIT
        if centred:
            shift = mean
            log_z, kl, var = _kl_eval_centred(p, x, n, shift, beta, total)
            k3 = np.nan
        else:
            shift = v_min
            log_z, kl, var, k3 = _kl_eval(p, x, n, v_min, beta, total, ek)
        value = shift - (log_z + radius) / beta
        if kl > 0.0:
            h = math.log(kl) - log_radius
        else:
            h = -np.inf  # KL below rounding: beta is too small
        if abs(h) <= H_TOL:
            break  # KL(q_beta) = radius to 1e-12 relative
        if h < 0.0:
            lo = t
        else:
            hi = t
        g1 = beta * beta * var / kl if kl > 0.0 else 0.0  # h'(t)
        if g1 > 0.0 and h > -np.inf:
            step = h / g1
            if k3 == k3 and lo < t - step < hi:
                # Halley (only refining a Newton step that stays in the bracket, and by a
                # factor in [1/2, 2]): h'' = g''/g - h'^2 with g'' = 2 beta^2 var - beta^3 k3
                g2 = (2.0 * beta * beta * var - beta * beta * beta * k3) / kl - g1 * g1
                denom = 1.0 - 0.5 * step * g2 / g1
                if HALLEY_MIN_DENOM <= denom <= HALLEY_MAX_DENOM:
                    step /= denom
            t_new = t - step
            if abs(h) <= tol:
                # value only: the dual is flat here; add its gain over the remaining step
                # (trapezoid on d dual / d lambda = KL - radius, which vanishes at the root)
                value += 0.5 * (kl - radius) * (math.exp(-t_new) - 1.0 / beta)
                break
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


@kernel
def _kl_row_from(P, r, v, radius, t0):
    """Like :func:`_kl_row`, with Newton started from the log inverse temperature ``t0``
    (NaN: the default second-order guess); for callers that solve similar rows repeatedly
    (pass the ``log(beta)`` of a previous solve). Same safeguards and tolerance."""
    S = P.shape[1]
    pk = np.empty(S)
    xk = np.empty(S)
    ek = np.empty(S)
    return _kl_core(P, r, v, radius, np.nan, pk, xk, ek, H_TOL, t0)


@kernel
def _kl_row(P, r, v, radius):
    """Solve row ``r``: returns ``(value, kind, beta, shift, iterations)``; the worst case
    is ``q ~ p0 exp(-beta (v - shift))`` (kind ``_TILT``) or ``p0`` restricted to
    ``{v = shift}`` (kind ``_ARGMIN``). ``KL(q || p0) = radius`` to 1e-12 relative."""
    return _kl_row_from(P, r, v, radius, np.nan)


@kernel
def _kl_row_kernel(i, P, r, v, params, iw, fw, work, warm):
    """The engine's ``row`` of KL: :func:`_kl_core` with ``radius = params[0]``, scratch in
    ``work`` (``3 S`` entries), Newton started from ``warm`` (a previous ``log beta`` of this
    row, NaN: the default start); returns ``(value, log beta)`` (NaN unless the worst case is
    a tilt). Tolerance ``H_TOL``, as :func:`_kl_row`."""
    S = P.shape[1]
    value, kind, beta, _, _ = _kl_core(P, r, v, params[0], np.nan, work[:S], work[S:2 * S],
                                       work[2 * S:3 * S], H_TOL, warm)
    if kind == _TILT and beta > 0.0:
        return value, math.log(beta)
    return value, np.nan


#: rows per scratch allocation in the batched kernels
_CHUNK = 64


@parallel_kernel
def _kl_values(P, v, radius, out, iters, tol):
    """``out[r]``, ``iters[r]``: value and Newton iterations of row ``r``; with ``tol >= 0``
    each row is first checked (:func:`robustgames._validation.row_ok`, while the row is
    in cache) and a rejected row is not solved (``out`` NaN, ``iters`` -1). Returns the
    number of rejected rows."""
    R, S = P.shape
    v_min = np.inf
    for s in range(S):
        v_min = min(v_min, v[s])
    n_chunks = (R + _CHUNK - 1) // _CHUNK
    bad = 0
    for c in prange(n_chunks):
        pk = np.empty(S)
        xk = np.empty(S)
        ek = np.empty(S)
        for r in range(c * _CHUNK, min(R, (c + 1) * _CHUNK)):
            if tol >= 0.0:
                if not row_ok(P, r, tol):
                    bad += 1
                    out[r] = np.nan
                    iters[r] = -1
                    continue
            value, kind, beta, shift, it = _kl_core(P, r, v, radius, v_min, pk, xk, ek,
                                                    VALUE_TOL, np.nan)
            out[r] = value
            iters[r] = it
    return bad


@parallel_kernel
def _kl_distributions(P, v, radius, out):
    R, S = P.shape
    v_min_all = np.inf
    for s in range(S):
        v_min_all = min(v_min_all, v[s])
    n_chunks = (R + _CHUNK - 1) // _CHUNK
    for c in prange(n_chunks):
        pk = np.empty(S)
        xk = np.empty(S)
        ek = np.empty(S)
        for r in range(c * _CHUNK, min(R, (c + 1) * _CHUNK)):
            value, kind, beta, v_min, it = _kl_core(P, r, v, radius, v_min_all, pk, xk, ek,
                                                    H_TOL, np.nan)
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

    Support function by the dual (Hu & Hong 2013; docs/theory.md section 2)
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

    def row_kernel(self):
        """Row kernel (:class:`~robustgames.uncertainty.RowKernel`): the row solver
        :func:`_kl_core` (tolerance 1e-12, warm-startable), ``params = [radius]``."""
        return RowKernel(_kl_row_kernel, prepare_nothing, [self.radius])

    def _values(self, P, v, out):
        _kl_values(P, v, self.radius, out, np.empty(out.shape[0], dtype=np.int64), -1.0)

    def _values_checked(self, P, v, out, tol):
        return _kl_values(P, v, self.radius, out, np.empty(out.shape[0], dtype=np.int64), float(tol)) == 0

    def _distributions(self, P, v, out):
        _kl_distributions(P, v, self.radius, out)

    def iterations(self, p0, v) -> np.ndarray:
        """Newton/bisection passes used per row (0 for the closed-form cases); diagnostic."""
        P, vec = self._check(p0, v)
        P2 = P.reshape(-1, P.shape[-1])
        out = np.empty(P2.shape[0])
        iters = np.empty(P2.shape[0], dtype=np.int64)
        _kl_values(P2, vec, self.radius, out, iters, -1.0)
        return iters.reshape(P.shape[:-1])
