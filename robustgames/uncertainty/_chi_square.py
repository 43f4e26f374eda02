"""Chi-square ball: exact support function by walking the breakpoints of its dual.

``U(p0) = {p in simplex : sum_{s in supp p0} (p_s - p0_s)^2 / p0_s <= sigma}`` with ``p``
supported on ``supp p0``, ``sigma in [0, inf)`` (docs/theory.md sections 1-2). The dual (Shi et
al. 2023, the chi-square robust Bellman operator; docs/theory.md section 2) is

    inf_{p in U} p.v = max_{alpha in [min v, max v]} { p0.[v]_alpha - sqrt(sigma Var_p0([v]_alpha)) },

``[v]_alpha = min(v, alpha)``, min and max over ``supp p0``.

Exact maximisation (no grid). Sort ``v`` once per call and walk each row's support in
increasing ``v``. For ``alpha`` between consecutive support values ``u_j <= alpha <=
u_{j+1}`` let ``L`` be the states with ``v <= u_j`` (mass ``M``, mean ``mu``, centred sum of
squares ``C = sum_L p0 (v - mu)^2``) and ``T = 1 - M``. By the law of total variance, with
``x = alpha - mu >= 0``,

    f(alpha) = M mu + T alpha - sqrt(sigma (C + M T x^2)),

a concave function of ``x``. Setting ``f' = 0`` gives ``T sqrt(C + M T x^2) = sqrt(sigma) M T x``,
i.e. ``x* = T sqrt(C / (M T (sigma M T - T^2)))`` when ``sigma M > T`` (else ``f`` increases on
the whole interval and ``x* = +inf``); clamping ``x*`` to the interval gives the exact
maximum of the piece.

Early exit. ``f`` is not concave in ``alpha`` but it is unimodal: with ``Z = [v]_alpha``,
``f'(alpha) = T (1 - sqrt(sigma) g(alpha))`` with ``g = (alpha - E Z) / std Z``, and
``g' = (M Var Z - T (alpha - E Z)^2) / std^3 = M C / std^3 >= 0`` (``alpha - E Z = M x``,
``Var Z = C + M T x^2``), so ``f'`` changes sign at most once, from + to -. The walk
therefore tests the sign of ``f'`` at the right end of each piece, ``C + M T x^2 >
sigma M^2 x^2``, multiplied through by ``M`` so that it needs no division or square root,
and evaluates the closed form above only on the first piece where the sign turns (or on
the last piece, ``alpha* = max v``). The running statistics are shifted sums
``S1 = sum_L p0 (v - c)``, ``S2 = sum_L p0 (v - c)^2`` (``M C = M S2 - S1^2``, no division on
the loop-carried path), re-centred (``c`` moved to the mean) whenever the cancellation in
``M S2 - S1^2`` would exceed three digits. Cost: one sort of ``v`` per call, then one pass
over the row and a walk of its support up to the optimal piece, with multiplications and
additions only. Rows of values so small (or large) that these squares under- or overflow
run in units of the spread of ``v``, and differences below 1e-140 of that spread count as
ties (a shift of the value far below rounding); if a square still leaves the normal range
the row falls back to evaluating every piece.

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
from .._validation import row_ok
from ._base import UncertaintySet
from ._engine import RowKernel


#: re-centre the running sums when ``M S2 - S1^2`` (``M`` times the centred sum of squares)
#: falls below ``M S2 / (1 + RECENTRE)``: keeps its relative rounding error below
#: ``2e-16 (1 + RECENTRE)``
RECENTRE = 1e3
#: the slope test squares ``M (x - mu)``; outside this range it falls back to comparing values
TINY_SQUARE = 1e-280
#: differences of values below this fraction of the spread of v count as ties (see
#: _flush_level)
FLUSH = 1e-140
#: the sums run in units of the spread of v when it lies outside this range (see _unit)
SCALE_LO = 1e-100
SCALE_HI = 1e100
HUGE_SQUARE = 1e280


@kernel
def _unit(vs):
    """Multiplier for ``v - u_1`` in the row walks: 1, unless the spread of ``v`` is below
    1e-100 or above 1e100 (then about ``1 / spread``: squares of ``v - u_1`` would under- or
    overflow; the results are mapped back)."""
    spread = vs[vs.shape[0] - 1] - vs[0] if vs.shape[0] else 0.0
    if spread <= 0.0 or SCALE_LO <= spread <= SCALE_HI:
        return 1.0
    if spread < 1e-300:
        return 2.0 ** 1000  # 1 / spread would overflow
    return 1.0 / spread


@kernel
def _flush_level(vs, scale):
    """Differences ``(v - u_1) * scale`` below this are treated as 0: FLUSH times the spread
    of ``v`` (their squares would underflow next to the spread's; the values move by at
    most that much, far below rounding of the spread)."""
    spread = vs[vs.shape[0] - 1] - vs[0] if vs.shape[0] else 0.0
    return FLUSH * (spread * scale)


@kernel
def _flushed(x, flush):
    """``x`` itself, or 0 if it is below the flush level."""
    return x if x >= flush else 0.0


@kernel
def _chi2_row(P, r, vs, order, radius, scale, flush):
    """Row ``r``: returns ``(value, alpha* - u_1, u_1)`` with ``u_1 = min_{supp p0} v``;
    ``vs = v[order]`` (``v`` sorted once per call); ``scale``: the unit of the sums,
    :func:`_unit`.

    All sums run on ``v - u_1`` (exact for nearby values), so the centred statistics stay
    accurate relative to the value spread even when ``|v|`` is much larger than it.

    The walk stops at the first piece where the dual stops increasing (it is unimodal, see
    the module docstring), and decides that from the sign of its slope at the right end of
    each piece with multiplications only; the running statistics are plain shifted sums
    ``S1 = sum_L p (v - u_1 - c)``, ``S2 = sum_L p (v - u_1 - c)^2`` (no division on the
    loop-carried path), re-centred (``c`` moved to the mean of ``L``) whenever cancellation
    in ``M S2 - S1^2`` would cost more than three digits."""
    S = P.shape[1]
    if radius == 0.0:
        dot = 0.0
        for k in range(S):
            dot += P[r, order[k]] * vs[k]
        return dot, -np.inf, 0.0
    t0 = t1 = t2 = t3 = 0.0  # four partial sums (the additions pipeline)
    m = S - S % 4
    for s in range(0, m, 4):
        t0 += P[r, s]
        t1 += P[r, s + 1]
        t2 += P[r, s + 2]
        t3 += P[r, s + 3]
    for s in range(m, S):
        t0 += P[r, s]
    total = (t0 + t1) + (t2 + t3)
    sr = math.sqrt(radius)
    M = 0.0
    S1 = 0.0
    S2 = 0.0
    c = 0.0
    prev = np.nan
    u1 = np.nan
    # statistics of the last piece on which the dual was still increasing
    lM = 0.0
    lS1 = 0.0
    lS2 = 0.0
    lc = 0.0
    lxu = np.nan
    found = False
    for k in range(S):
        p = P[r, order[k]]
        if p <= 0.0:
            continue
        if M == 0.0:
            u1 = vs[k]
        x_val = _flushed((vs[k] - u1) * scale, flush)
        if M > 0.0 and x_val > prev:
            # piece alpha in [prev, x_val] with L = states seen so far: slope sign at x_val
            T = total - M
            Y = M * (x_val - c) - S1  # M (x_val - mu)
            Cm = M * S2 - S1 * S1  # M * centred sum of squares
            YY = Y * Y
            if T > 0.0 and Cm + (T - radius * M) * YY > 0.0:
                lM = M
                lS1 = S1
                lS2 = S2
                lc = c
                lxu = x_val
            elif YY > TINY_SQUARE and YY < HUGE_SQUARE:
                found = True
                break
            else:
                # squares under- or overflow at this scale: the value-comparing walk
                return _chi2_row_all_pieces(P, r, vs, order, radius, scale, flush)
        # add the state to L
        y = x_val - c
        M += p
        S1 += p * y
        S2 += p * y * y
        if S1 * S1 * (1.0 + RECENTRE) > RECENTRE * M * S2:
            delta = S1 / M
            c += delta
            S2 = max(S2 - S1 * delta, 0.0)
            S1 = 0.0
        prev = x_val
    if found:
        # the maximum lies in this piece (the slope changed sign on it): closed form
        mu = c + S1 / M
        C = max(S2 - S1 * S1 / M, 0.0)
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
            x = xu
        if x < xl:
            x = xl
        elif x > xu:
            x = xu
        f = M * mu + T * (mu + x) - sr * math.sqrt(C + d * x * x)
    elif lxu == lxu:
        # increasing up to the largest support value: alpha* = max v
        mu = lc + lS1 / lM
        C = max(lS2 - lS1 * lS1 / lM, 0.0)
        T = total - lM
        if T < 0.0:
            T = 0.0
        d = lM * T
        x = lxu - mu
        f = lM * mu + T * (mu + x) - sr * math.sqrt(C + d * x * x)
    else:
        return u1, 0.0, u1  # constant on the support
    if f > 0.0:
        return u1 + f / scale, (mu + x) / scale, u1
    return u1, 0.0, u1  # alpha = u_1 (saturation)


@kernel
def _chi2_row_all_pieces(P, r, vs, order, radius, scale, flush):
    """Like :func:`_chi2_row`, evaluating the maximum of every piece (Welford's updates,
    value comparisons only): the fallback for rows whose value spread is so small (or
    large) that the squares in :func:`_chi2_row`'s slope test under- or overflow.

    All sums run on ``v - u_1`` (exact for nearby values), so the centred statistics stay
    accurate relative to the value spread even when ``|v|`` is much larger than it."""
    S = P.shape[1]
    total = 0.0
    dot = 0.0
    for s in range(S):
        total += P[r, s]
        dot += P[r, order[s]] * vs[s]
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
            u1 = vs[k]
            best = 0.0  # alpha = u_1: [v]_alpha is constant u_1
            alpha_best = 0.0
        x_val = _flushed((vs[k] - u1) * scale, flush)
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
    return u1 + best / scale, alpha_best / scale, u1


@parallel_kernel
def _chi2_values(P, v, order, radius, tol, out):
    """``out[r]`` = the value of row ``r``; with ``tol >= 0`` each row is first checked
    (:func:`robustgames._validation.row_ok`, while the row is in cache) and a rejected
    row is not solved (``out`` NaN). Returns the number of rejected rows."""
    R = P.shape[0]
    vs = v[order]
    scale = _unit(vs)
    flush = _flush_level(vs, scale)
    bad = 0
    for r in prange(R):
        if tol >= 0.0:
            if not row_ok(P, r, tol):
                bad += 1
                out[r] = np.nan
                continue
        value, alpha, u1 = _chi2_row(P, r, vs, order, radius, scale, flush)
        out[r] = value
    return bad


@parallel_kernel
def _chi2_distributions(P, v, order, radius, out):
    R, S = P.shape
    sr = math.sqrt(radius)
    vs = v[order]
    scale = _unit(vs)
    flush = _flush_level(vs, scale)
    for r in prange(R):
        value, alpha, u1 = _chi2_row(P, r, vs, order, radius, scale, flush)
        if radius == 0.0:
            for s in range(S):
                out[r, s] = P[r, s]
            continue
        total = 0.0
        for s in range(S):
            total += P[r, s]
        # (Z - u1) / alpha with Z = min(v, alpha*), from the shifted v - u1 (see _chi2_row);
        # q depends on Z only through (Z - E Z) / std Z, so the unit alpha is free and keeps
        # the squares below from underflowing when the values are tiny
        unit = alpha if alpha > 0.0 else 1.0
        ez = 0.0
        for s in range(S):
            if P[r, s] > 0.0:
                ez += P[r, s] * (min(_flushed((v[s] - u1) * scale, flush) / scale, alpha) / unit)
        ez /= total
        var = 0.0
        for s in range(S):
            if P[r, s] > 0.0:
                dz = min(_flushed((v[s] - u1) * scale, flush) / scale, alpha) / unit - ez
                var += P[r, s] * dz * dz
        var /= total
        if alpha > 0.0 and var > 0.0:
            coef = sr / math.sqrt(var)
            qsum = 0.0
            for s in range(S):
                if P[r, s] <= 0.0:
                    out[r, s] = 0.0
                    continue
                z = min(_flushed((v[s] - u1) * scale, flush) / scale, alpha) / unit
                q = P[r, s] * (1.0 - coef * (z - ez))
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
                if P[r, s] > 0.0 and _flushed((v[s] - u1) * scale, flush) == 0.0:
                    m += P[r, s]
            for s in range(S):
                if P[r, s] > 0.0 and _flushed((v[s] - u1) * scale, flush) == 0.0:
                    out[r, s] = P[r, s] / m
                else:
                    out[r, s] = 0.0


@kernel
def _chi2_prepare(i, v, params, iw, fw):
    """The engine's ``prepare`` of chi-square: ``iw[:S]`` = increasing order of ``v`` (stable,
    as :func:`ascending_order`), ``fw[:S] = v[order]``, ``fw[S]`` = :func:`_unit`,
    ``fw[S+1]`` = :func:`_flush_level` (what :func:`_chi2_values` computes once per call)."""
    S = v.shape[0]
    order = np.argsort(v, kind="mergesort")
    for k in range(S):
        iw[k] = order[k]
        fw[k] = v[order[k]]
    scale = _unit(fw[:S])
    fw[S] = scale
    fw[S + 1] = _flush_level(fw[:S], scale)


@kernel
def _chi2_row_kernel(i, P, r, v, params, iw, fw, work, warm):
    """The engine's ``row`` of chi-square: :func:`_chi2_row` with ``radius = params[0]``."""
    S = P.shape[1]
    value, _, _ = _chi2_row(P, r, fw[:S], iw[:S], params[0], fw[S], fw[S + 1])
    return value, np.nan


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
    (Shi et al. 2023; docs/theory.md section 2), maximised EXACTLY by walking the breakpoints of
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

    def row_kernel(self):
        """Row kernel (:class:`~robustgames.uncertainty.RowKernel`): the breakpoint walk
        :func:`_chi2_row` on ``v`` sorted once per value vector, ``params = [radius]``."""
        return RowKernel(_chi2_row_kernel, _chi2_prepare, [self.radius])

    def _values(self, P, v, out):
        _chi2_values(P, v, ascending_order(v), self.radius, -1.0, out)

    def _values_checked(self, P, v, out, tol):
        return _chi2_values(P, v, ascending_order(v), self.radius, float(tol), out) == 0

    def _distributions(self, P, v, out):
        _chi2_distributions(P, v, ascending_order(v), self.radius, out)
