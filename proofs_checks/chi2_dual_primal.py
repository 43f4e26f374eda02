"""Chi-square support function: the dual equals the second-order-cone primal.

Claim (docs/theory.md section 2; Shi et al. 2023, the chi-square robust Bellman operator): for
``U(p0) = {p : sum_s (p_s - p0_s)^2 / p0_s <= sigma}`` on the support of ``p0``

    inf_{p in U(p0)} p.v = max_{alpha in [min v, max v]} { p0.[v]_alpha - sqrt(sigma Var_p0([v]_alpha)) },

``[v]_alpha = min(v, alpha)``, and the operator's worst distribution is feasible and attains it.

How it is checked: on seeded random rows (zeros in ``p0``, ties, signed/huge/tiny ranges,
constant ``v``) and radii (0, small, large, the saturation radius ``(1-m)/m`` with
``m = p0(argmin)``) :class:`robustgames.ChiSquare` is compared with the dual maximised HERE
piece by piece (on each interval between consecutive support values of ``v`` the
objective is smooth; :func:`scipy.optimize.minimize_scalar` bounded, plus the breakpoints)
and with the SOC primal solved by Clarabel
(:func:`robustgames.uncertainty.reference.chi_square`).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

from robustgames.proofs_checks._claim import (
    decisive,
    detects,
    fmt,
    reference_module,
    result,
    row_value_cases,
    uncertainty_set,
)

CLAIM = ("chi-square ball support function inf_{sum (p-p0)^2/p0 <= sigma} p.v = max_{alpha in "
         "[min v, max v]} {p0.[v]_alpha - sqrt(sigma Var_p0([v]_alpha))} = the SOC primal; the "
         "worst distribution is feasible and attains the value")
SOURCE = "docs/theory.md sec. 2; Shi et al. 2023 (chi-square robust Bellman operator dual)"
METHOD = ("Seeded random rows/radii incl. zeros and saturation: rg.ChiSquare vs the dual maximised here "
          "per piece with scipy minimize_scalar vs the cvxpy/Clarabel second-order-cone primal.")

TOL_DUAL = 1e-8
TOL_PRIMAL = 1e-6
#: the worst distribution's q.v may differ from the value by this much times max(1, |v|):
#: q is formed from centred values Z - E Z, so its entries carry a relative rounding error of
#: about eps |v| / range(v) (zeros come out as ~1e-11 when range(v) = 1e-3 |v|)
TOL_ATTAIN = 1e-9
#: chi2(q||p0) of the worst distribution may exceed sigma by this times max(sigma, 1e-3)
TOL_CHI2 = 1e-9
#: largest negative entry of the worst distribution
TOL_NEG = 1e-15


def dual_objective(p0, v, sigma, alpha):
    z = np.minimum(v, alpha)
    mean = float(p0 @ z)
    var = max(float(p0 @ (z - mean) ** 2), 0.0)
    return mean - np.sqrt(sigma * var)


def dual_value(p0, v, sigma):
    """The chi-square dual maximised over ``alpha`` on the support of ``p0``: every breakpoint
    and a bounded scalar maximisation inside every piece."""
    supp = p0 > 0
    ps, vs = p0[supp], v[supp]
    knots = np.unique(vs)
    best = max(dual_objective(ps, vs, sigma, a) for a in knots)
    for a, b in zip(knots[:-1], knots[1:]):
        res = minimize_scalar(lambda x: -dual_objective(ps, vs, sigma, x), bounds=(a, b),
                              method="bounded", options={"xatol": 1e-13 * max(1.0, abs(b - a))})
        best = max(best, float(-res.fun))
    return best


def chi2_div(p0, q):
    if np.any((q > 0) & (p0 <= 0)):
        return np.inf
    s = p0 > 0
    return float(np.sum((q[s] - p0[s]) ** 2 / p0[s]))


def _radii(rng, p0, v):
    supp = p0 > 0
    m = p0[supp & (v == v[supp].min())].sum()
    return [0.0, float(rng.uniform(0.01, 0.5)), float(rng.uniform(0.5, 4.0)), max(0.0, float((1 - m) / m))]


def check(quick: bool = True, *, ChiSquare=None, seed: int = 2, n_rows=None, **_) -> object:
    """Compare the chi-square operator (or the injected factory) with the dual and the primal."""
    make = uncertainty_set("ChiSquare") if ChiSquare is None else ChiSquare
    ref = reference_module()
    rng = np.random.default_rng(seed)
    n = n_rows or (15 if quick else 150)
    err_dual = err_primal = err_attain = excess = neg = sum_err = 0.0
    count = 0
    for p0, v in row_value_cases(rng, n, S_max=6 if quick else 10):
        scale = max(float(v.max() - v.min()), 1e-6 * max(1.0, float(np.abs(v).max())))
        for sigma in _radii(rng, p0, v):
            U = make(sigma)
            fast = float(U.worst_value(p0, v))
            q = np.asarray(U.worst_distribution(p0, v), dtype=float)
            err_dual = max(err_dual, abs(fast - dual_value(p0, v, sigma)) / scale)
            if sigma > 0:
                err_primal = max(err_primal, abs(fast - ref.chi_square(p0, v, sigma)[0]) / scale)
            err_attain = max(err_attain, abs(float(q @ v) - fast) / max(1.0, float(np.abs(v).max())))
            sum_err = max(sum_err, abs(float(q.sum()) - 1.0))
            excess = max(excess, (chi2_div(p0, q) - sigma) / max(sigma, 1e-3))
            neg = max(neg, float(-q.min()))
            count += 1
    criteria = [("|rg.ChiSquare - dual| / range(v)", err_dual, TOL_DUAL),
                ("|rg.ChiSquare - SOC primal| / range(v)", err_primal, TOL_PRIMAL),
                ("|q.v - value| / max(1, |v|) of the worst distribution", err_attain, TOL_ATTAIN),
                ("|sum q - 1| of the worst distribution", sum_err, TOL_ATTAIN),
                ("(chi2(q||p0) - sigma) / max(sigma, 1e-3) of the worst distribution", excess, TOL_CHI2),
                ("negative mass of the worst distribution", neg, TOL_NEG)]
    passed, label, measured, threshold = decisive(criteria)
    evidence = (f"decisive: {label}; over {count} (row, radius) cases, errors / range(v): |rg.ChiSquare - dual| "
                f"{fmt(err_dual)} (<= {TOL_DUAL:g}), |rg.ChiSquare - SOC primal| {fmt(err_primal)} "
                f"(<= {TOL_PRIMAL:g}); worst distribution: |q.v - value| / max(1, |v|) {fmt(err_attain)} "
                f"(<= {TOL_ATTAIN:g}), |sum q - 1| {fmt(sum_err)}, (chi2 - sigma) / max(sigma, 1e-3) "
                f"{fmt(excess)} (<= {TOL_CHI2:g}), min q {fmt(-neg)}")
    return result(passed, evidence, measured=measured, threshold=threshold, decisive=label, cases=count,
                  err_dual=err_dual, err_primal=err_primal, err_attain=err_attain, sum_error=sum_err,
                  chi2_excess=excess, negative_mass=neg)


class _Planted:
    """Wrong chi-square operators: sqrt(sigma) replaced by sigma (a classic slip), or the
    variance taken of the unclipped ``v`` (alpha fixed at ``max v``)."""

    def __init__(self, radius, bug):
        self.radius, self.bug = radius, bug

    def worst_value(self, p0, v):
        p0, v = np.asarray(p0, float), np.asarray(v, float)
        if self.bug == "sqrt":
            return float(uncertainty_set("ChiSquare")(self.radius ** 2).worst_value(p0, v))
        mean = float(p0 @ v)
        return mean - np.sqrt(self.radius * float(p0 @ (v - mean) ** 2))

    def worst_distribution(self, p0, v):
        p0, v = np.asarray(p0, float), np.asarray(v, float)
        if self.bug == "sqrt":
            return uncertainty_set("ChiSquare")(self.radius ** 2).worst_distribution(p0, v)
        mean, sd = float(p0 @ v), float(np.sqrt(p0 @ (v - float(p0 @ v)) ** 2))
        return p0 * (1 - np.sqrt(self.radius) * (v - mean) / sd) if sd > 0 else p0.copy()


def self_test() -> bool:
    """The check must fail for ``sigma`` in place of ``sqrt(sigma)`` and for an unclipped variance."""
    return all(detects(check, ChiSquare=lambda r, b=b: _Planted(r, b), n_rows=6) for b in ("sqrt", "unclipped"))


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
