"""Slow, independent reference solutions of the support functions (test oracles).

Every function solves ONE row ``p0`` (shape ``(S,)``) against ``v`` (shape ``(S,)``) in the
PRIMAL, with a general-purpose solver, and returns ``(value, distribution)``: the optimal
value of ``min_{p in U(p0)} p.v`` and a minimiser. They share no code with the compiled
kernels of :mod:`robustgames.uncertainty` (which never import this module) and are used
only by the tests and ``proofs_checks``. Cost: milliseconds per row.

* TV, contamination and group: linear programs solved by HiGHS
  (:func:`scipy.optimize.linprog`, ``method="highs"``) at tightened tolerances.
* KL: an exponential-cone program in cvxpy (``sum(rel_entr(p, p0)) <= sigma`` on the support
  of ``p0``) solved by Clarabel at tightened tolerances.
* chi-square: a second-order-cone program in cvxpy (Clarabel).

Conditioning: the optimiser of ``p.v`` over a fixed set does not change when ``v`` is
replaced by ``(v - c) / d`` with ``d > 0``, so each solver works on ``v`` rescaled to
``[0, 1]`` and the value is mapped back as ``c + d * (p* . v_scaled)``; this keeps the
oracles accurate (about 1e-9 of ``max v - min v``) for value ranges from 1e-12 to 1e6.

Also :func:`tv_dual` (docs/theory.md section 2, Shi et al. 2023: the TV dual maximised over the
candidates ``alpha = v(s)``) and :func:`brute_force_vertices` (the minimum of ``p.v`` over
an explicitly enumerated vertex set, for polytopes).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import linprog

__all__ = [
    "tv",
    "tv_dual",
    "contamination",
    "group",
    "kl",
    "kl_dual",
    "chi_square",
    "brute_force_vertices",
]

_HIGHS_OPTIONS = {
    "primal_feasibility_tolerance": 1e-10,
    "dual_feasibility_tolerance": 1e-10,
}


def _row(p0, v):
    p0 = np.asarray(p0, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if p0.ndim != 1 or v.shape != p0.shape:
        raise ValueError(f"p0 and v must both have shape (S,), got {p0.shape} and {v.shape}")
    return p0, v


def _scale(v):
    """``(c, d, u)`` with ``v = c + d * u`` and ``u`` in ``[0, 1]`` (``d = 1`` if ``v`` is constant)."""
    c = float(v.min())
    d = float(v.max() - c)
    if d <= 0.0:
        d = 1.0
    return c, d, (v - c) / d


def _linprog(c, **kw):
    res = linprog(c, method="highs", options=_HIGHS_OPTIONS, **kw)
    if res.status != 0:
        raise RuntimeError(f"reference LP failed: {res.message}")
    return res


def tv(p0, v, sigma):
    """``min p.v`` s.t. ``0.5 ||p - p0||_1 <= sigma``, ``p`` in the simplex (LP in ``(p, t)``
    with ``|p - p0| <= t``, ``sum t <= 2 sigma``). Mass may move off the support of ``p0``."""
    p0, v = _row(p0, v)
    S = p0.size
    c, d, u = _scale(v)
    I = np.eye(S)
    A_ub = np.block([[I, -I], [-I, -I], [np.zeros((1, S)), np.ones((1, S))]])
    b_ub = np.concatenate([p0, -p0, [2.0 * sigma]])
    A_eq = np.concatenate([np.ones(S), np.zeros(S)])[None, :]
    res = _linprog(
        np.concatenate([u, np.zeros(S)]),
        A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0], bounds=[(0, None)] * (2 * S),
    )
    p = res.x[:S]
    return c + d * float(p @ u), p


def tv_dual(p0, v, sigma):
    """The TV dual of docs/theory.md section 2 (Shi et al. 2023),
    ``max_{alpha in [min v, max v]} { p0.[v]_alpha - sigma (alpha - min_s [v]_alpha(s)) }``,
    maximised over the candidates ``alpha = v(s)`` (the objective is concave and piecewise
    linear with breakpoints there). Returns the value only."""
    p0, v = _row(p0, v)
    vmin = v.min()
    best = -np.inf
    for alpha in np.unique(v):
        clipped = np.minimum(v, alpha)
        best = max(best, float(p0 @ clipped) - sigma * (alpha - vmin))
    return best


def contamination(p0, v, rho):
    """``min p.v`` over ``{(1 - rho) p0 + rho q : q in simplex}`` as an LP in ``p``:
    ``p >= (1 - rho) p0``, ``sum p = 1``."""
    p0, v = _row(p0, v)
    c, d, u = _scale(v)
    S = p0.size
    res = _linprog(
        u, A_eq=np.ones((1, S)), b_eq=[1.0],
        bounds=[((1.0 - rho) * x, None) for x in p0],
    )
    return c + d * float(res.x @ u), res.x


def group(distributions, v):
    """``min p.v`` over the convex hull of the rows of ``distributions`` (``(m, S)``), as an LP
    over the mixture weights ``w`` in the simplex; the minimiser is ``w @ distributions``.
    (The hull does not depend on a nominal row.)"""
    D = np.asarray(distributions, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    c, d, u = _scale(v)
    m = D.shape[0]
    res = _linprog(D @ u, A_eq=np.ones((1, m)), b_eq=[1.0], bounds=[(0, None)] * m)
    p = res.x @ D
    return c + d * float(p @ u), p


def _cvxpy_solve(problem):
    import cvxpy as cp

    # Clarabel at these tolerances sometimes stops at "almost solved" (cvxpy status
    # optimal_inaccurate, with a UserWarning); such solutions are still accurate to about
    # 1e-8 of the value range, which the tests allow for, so the warning is silenced.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        problem.solve(
            solver=cp.CLARABEL,
            tol_gap_abs=1e-10,
            tol_gap_rel=1e-10,
            tol_feas=1e-10,
            tol_ktratio=1e-10,
            max_iter=500,
        )
    if problem.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"reference conic program failed: status {problem.status}")


def _divergence_ball_primal(p0, v, sigma, ball):
    """``min p.v`` over ``{p >= 0 on supp p0, sum p = 1, ball(p, p0[supp])}`` by cvxpy
    (Clarabel, tight tolerances) on ``v`` rescaled to [0, 1]; returns ``(value, p)``."""
    import cvxpy as cp

    p0, v = _row(p0, v)
    if sigma == 0:
        return float(p0 @ v), p0.copy()  # the ball is {p0} (degenerate for a conic solver)
    c, d, u = _scale(v)
    supp = np.flatnonzero(p0 > 0)
    p = cp.Variable(supp.size, nonneg=True)
    prob = cp.Problem(cp.Minimize(u[supp] @ p), [cp.sum(p) == 1, ball(p, p0[supp])])
    _cvxpy_solve(prob)
    full = np.zeros_like(p0)
    full[supp] = np.maximum(p.value, 0.0)
    return c + d * float(full @ u), full


def kl(p0, v, sigma):
    """``min p.v`` s.t. ``KL(p || p0) <= sigma`` with ``p`` supported on ``supp p0``, as an
    exponential-cone program (cvxpy ``rel_entr``, Clarabel)."""
    import cvxpy as cp

    return _divergence_ball_primal(p0, v, sigma, lambda p, q0: cp.sum(cp.rel_entr(p, q0)) <= sigma)


def kl_dual(p0, v, sigma):
    """The KL dual (Hu & Hong 2013; docs/theory.md section 2)
    ``sup_{lambda > 0} { -lambda log E_p0[exp(-v/lambda)] - lambda sigma }`` maximised by a
    grid over ``log lambda`` followed by bounded Brent refinement (scipy), evaluating
    ``log E exp(-w/lambda) = log1p(E expm1(-w/lambda))`` with ``w = v - min_supp v >= 0``
    (accurate for large ``lambda``), plus the limit ``lambda -> 0`` (``min_{supp p0} v``). By weak
    duality every evaluation is a LOWER bound on the support function (up to rounding,
    about 1e-9 of the value range on rows with masses near 1e-9), so together with a
    feasible primal point attaining the same value it certifies optimality. Returns the
    value only. Accurate where the conic program struggles (tiny masses in ``p0``)."""
    from scipy.optimize import minimize_scalar

    p0, v = _row(p0, v)
    if sigma == 0:
        return float(p0 @ v)
    c, d, u = _scale(v)
    supp = p0 > 0
    q0, w = p0[supp] / p0[supp].sum(), u[supp]
    base = float(w.min())
    w = w - base  # >= 0 with a zero, so E exp(-w/lambda) = 1 + E expm1(-w/lambda) in (0, 1]
    if w.max() == 0.0:
        return c + d * base

    def g(t):
        lam = np.exp(t)
        return base - lam * np.log1p(q0 @ np.expm1(-w / lam)) - lam * sigma

    ts = np.linspace(-40.0, 40.0, 4001)
    vals = np.array([g(t) for t in ts])
    k = int(np.argmax(vals))
    res = minimize_scalar(
        lambda t: -g(t), bounds=(ts[max(k - 1, 0)], ts[min(k + 1, ts.size - 1)]),
        method="bounded", options={"xatol": 1e-13},
    )
    best = max(float(vals[k]), -float(res.fun), base)
    return c + d * best


def chi_square(p0, v, sigma):
    """``min p.v`` s.t. ``sum_s (p_s - p0_s)^2 / p0_s <= sigma`` with ``p`` supported on
    ``supp p0``, as a second-order-cone program (cvxpy, Clarabel)."""
    import cvxpy as cp

    return _divergence_ball_primal(
        p0, v, sigma, lambda p, q0: cp.norm(cp.multiply(p - q0, 1.0 / np.sqrt(q0)), 2) <= np.sqrt(sigma))


def brute_force_vertices(vertices, v):
    """``min_k vertices[k] . v`` and the minimising vertex (lowest index on ties): the
    minimum of a linear function over a polytope given by an explicit vertex list."""
    V = np.asarray(vertices, dtype=np.float64)
    vals = V @ np.asarray(v, dtype=np.float64)
    k = int(np.argmin(vals))
    return float(vals[k]), V[k].copy()
