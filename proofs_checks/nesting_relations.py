"""Nesting of the uncertainty sets, checked through support functions and worst cases.

Claim (docs/theory.md section 2, "Nesting"): Pinsker's inequality ``TV <= sqrt(KL/2)`` puts the KL
ball of radius ``s`` inside the TV ball of radius ``sqrt(s/2)``; ``KL <= log(1 + chi2)`` puts
the chi-square ball of radius ``c`` inside the KL ball of radius ``log(1 + c)``; the
rho-contamination set lies inside the TV ball of radius ``rho``. Hence for every ``v``

    sigma_TV(sqrt(s/2))(v) <= sigma_KL(s)(v),
    sigma_KL(log(1 + c))(v) <= sigma_chi2(c)(v),
    sigma_TV(rho)(v) <= sigma_Cont(rho)(v),

and, for group sets, ``sigma_Group(D)(v) <= sigma_Group(D')(v)`` when the vertices ``D'`` are
mixtures of ``D`` (the hull of ``D'`` is inside that of ``D``).

How it is checked: on seeded random rows and radii the three operator inequalities are
tested with the fast operators; independently of them, each worst distribution of the inner
set is measured with the outer set's divergence written HERE (``0.5 ||q - p0||_1``,
``sum q log(q/p0)``) and must lie within the outer radius; and the divergence inequalities
themselves are tested on random pairs ``(p, q)``.
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import decisive, detects, fmt, random_row, result, row_value_cases, uncertainty_set

CLAIM = ("Nesting: KL ball(s) inside TV ball(sqrt(s/2)) (Pinsker), chi-square ball(c) inside KL ball(log(1+c)), "
         "contamination(rho) inside TV ball(rho), hull of mixtures inside the hull; so the outer set's "
         "support function is <= the inner one's for every v")
SOURCE = "docs/theory.md sec. 2 (Nesting bullet); Pinsker's inequality; KL <= log(1 + chi2)"
METHOD = ("Seeded random rows/radii: operator inequalities with the fast sets, inner worst distributions "
          "measured with outer divergences written here, and the divergence inequalities on random pairs.")

TOL = 1e-10
#: an inner worst distribution may exceed the outer radius by this (its own rounding)
TOL_DIST = 1e-9
#: the divergence inequalities on random pairs, to rounding
TOL_DIV = 1e-12


def tv_dist(p, q):
    return 0.5 * float(np.abs(p - q).sum())


def kl_dist(q, p0):
    if np.any((q > 0) & (p0 <= 0)):
        return np.inf
    s = q > 0
    return float(np.sum(q[s] * np.log(q[s] / p0[s])))


def chi2_dist(q, p0):
    if np.any((q > 0) & (p0 <= 0)):
        return np.inf
    s = p0 > 0
    return float(np.sum((q[s] - p0[s]) ** 2 / p0[s]))


def check(quick: bool = True, *, sets=None, seed: int = 9, n_rows=None, **_) -> object:
    """``sets`` maps "TV", "KL", "ChiSquare", "Contamination", "Group" to factories (planted bugs)."""
    f = {k: uncertainty_set(k) for k in ("TV", "KL", "ChiSquare", "Contamination", "Group")}
    f.update(sets or {})
    rng = np.random.default_rng(seed)
    n = n_rows or (150 if quick else 1500)
    worst = {"TV<=KL": -np.inf, "KL<=chi2": -np.inf, "TV<=Cont": -np.inf, "hull": -np.inf}
    dist_excess = {"KL in TV": -np.inf, "chi2 in KL": -np.inf, "Cont in TV": -np.inf}
    for p0, v in row_value_cases(rng, n, S_max=8):
        scale = max(float(np.ptp(v)), 1e-3 * max(1.0, float(np.abs(v).max())))
        s = float(np.exp(rng.uniform(np.log(1e-3), np.log(3.0))))
        c = float(np.exp(rng.uniform(np.log(1e-3), np.log(10.0))))
        rho = float(rng.uniform(0, 1))
        tv_r = min(1.0, np.sqrt(s / 2))
        worst["TV<=KL"] = max(worst["TV<=KL"], (float(f["TV"](tv_r).worst_value(p0, v))
                                                 - float(f["KL"](s).worst_value(p0, v))) / scale)
        worst["KL<=chi2"] = max(worst["KL<=chi2"], (float(f["KL"](np.log1p(c)).worst_value(p0, v))
                                                     - float(f["ChiSquare"](c).worst_value(p0, v))) / scale)
        worst["TV<=Cont"] = max(worst["TV<=Cont"], (float(f["TV"](rho).worst_value(p0, v))
                                                     - float(f["Contamination"](rho).worst_value(p0, v))) / scale)
        q = np.asarray(f["KL"](s).worst_distribution(p0, v), float)
        dist_excess["KL in TV"] = max(dist_excess["KL in TV"], tv_dist(q, p0) - np.sqrt(s / 2))
        q = np.asarray(f["ChiSquare"](c).worst_distribution(p0, v), float)
        dist_excess["chi2 in KL"] = max(dist_excess["chi2 in KL"], kl_dist(q, p0) - np.log1p(c))
        q = np.asarray(f["Contamination"](rho).worst_distribution(p0, v), float)
        dist_excess["Cont in TV"] = max(dist_excess["Cont in TV"], tv_dist(q, p0) - rho)
        # hulls: D' = W D with W row-stochastic is inside conv(D)
        m = int(rng.integers(1, 5))
        D = np.stack([random_row(rng, p0.size) for _ in range(m)])
        Dp = rng.dirichlet(np.ones(m), size=int(rng.integers(1, 5))) @ D
        Dp /= Dp.sum(axis=1, keepdims=True)
        worst["hull"] = max(worst["hull"], (float(f["Group"](D).worst_value(D[0], v))
                                            - float(f["Group"](Dp).worst_value(Dp[0], v))) / scale)
    # the divergence inequalities themselves, on random pairs (p << q for KL/chi2)
    pinsker = kl_chi = -np.inf
    for _ in range(n):
        S = int(rng.integers(2, 9))
        p0 = random_row(rng, S, 0.0)
        q = random_row(rng, S, 0.3)
        kl = kl_dist(q, p0)
        pinsker = max(pinsker, tv_dist(q, p0) - np.sqrt(kl / 2))
        kl_chi = max(kl_chi, kl - np.log1p(chi2_dist(q, p0)))
    criteria = [("max (outer - inner support) / range", max(worst.values()), TOL),
                ("inner worst case beyond the outer radius", max(dist_excess.values()), TOL_DIST),
                ("max TV - sqrt(KL/2) on random pairs", pinsker, TOL_DIV),
                ("max KL - log(1 + chi2) on random pairs", kl_chi, TOL_DIV)]
    passed, label, measured, threshold = decisive(criteria)
    evidence = (f"decisive: {label}; {n} rows: max (outer - inner support) / range: "
                + ", ".join(f"{k} {fmt(w)}" for k, w in worst.items())
                + f" (<= {TOL:g}); inner worst case beyond outer radius: "
                + ", ".join(f"{k} {fmt(w)}" for k, w in dist_excess.items())
                + f" (<= {TOL_DIST:g}); on {n} pairs max TV - sqrt(KL/2) {fmt(pinsker)}, max KL - log(1+chi2) "
                f"{fmt(kl_chi)} (<= {TOL_DIV:g})")
    return result(passed, evidence, measured=measured, threshold=threshold, decisive=label, rows=n,
                  support_gaps=worst, distribution_excess=dist_excess, pinsker=pinsker, kl_log_chi2=kl_chi)


def _tv_l1(radius):
    """Planted bug: TV radius read as an L1 budget (half the mass moved)."""
    return uncertainty_set("TV")(radius / 2)


class _KLDoubled:
    """Planted bug: KL ball of twice the radius (a factor-2 slip in the KL convention)."""

    def __init__(self, radius):
        self._kl = uncertainty_set("KL")(2 * radius)

    def worst_value(self, p0, v):
        return self._kl.worst_value(p0, v)

    def worst_distribution(self, p0, v):
        return self._kl.worst_distribution(p0, v)


def self_test() -> bool:
    """The check must fail for an L1-budget TV and for a doubled KL radius."""
    return all(detects(check, sets=s, n_rows=60) for s in ({"TV": _tv_l1}, {"KL": _KLDoubled}))


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
