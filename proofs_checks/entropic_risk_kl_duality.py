"""Entropic risk / KL duality (Donsker-Varadhan) and the KL worst case as a supremum of
entropic risks.

Claim (docs/theory.md section 2, last bullet; the KL penalty of risk-averse QRE, arXiv
2406.14156, section 7): the entropic risk

    rho_tau(Z) = -(1/tau) log E_P[exp(-tau Z)] = inf_Q { E_Q Z + KL(Q || P) / tau }

(attained by the Gibbs tilt ``Q* ~ P exp(-tau Z)``), so the KL worst case is

    inf_{KL(Q||P) <= sigma} E_Q Z = sup_{tau > 0} { rho_tau(Z) - sigma / tau }.

How it is checked: on seeded random ``(P, Z, tau)`` the closed form (shifted log-sum-exp,
computed here) is compared with the penalised primal ``inf_Q {E_Q Z + KL/tau}`` solved as an
exponential-cone program by cvxpy/Clarabel and with the value of the Gibbs tilt; then on
random ``(P, Z, sigma)`` the supremum over ``tau`` is taken here
(:func:`scipy.optimize.minimize_scalar` over ``log tau`` after a grid bracket, with the
``tau -> inf`` limit ``min_{supp P} Z``) and compared with :class:`robustgames.KL` and the
constrained exponential-cone primal :func:`robustgames.uncertainty.reference.kl`.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

from robustgames.proofs_checks._claim import (
    detects,
    fmt,
    random_row,
    reference_module,
    result,
    uncertainty_set,
)

CLAIM = ("Entropic risk rho_tau(Z) = -(1/tau) log E_P exp(-tau Z) = inf_Q {E_Q Z + KL(Q||P)/tau} "
         "(Donsker-Varadhan, Gibbs tilt attains it), hence inf_{KL(Q||P)<=sigma} E_Q Z = "
         "sup_{tau>0} {rho_tau(Z) - sigma/tau}")
SOURCE = "docs/theory.md sec. 2 (last bullet); Donsker-Varadhan; RQE arXiv 2406.14156 (KL-penalised utility)"
METHOD = ("Seeded random (P, Z, tau, sigma): closed form vs penalised exp-cone primal (cvxpy) vs Gibbs tilt; "
          "sup over tau by scipy minimize_scalar vs rg.KL and the constrained exp-cone primal.")

TOL = 1e-6  # relative to range(Z)


def entropic_risk(p, z, tau):
    """``-(1/tau) log E_p exp(-tau z)`` with a shifted log-sum-exp over ``supp p``."""
    s = p > 0
    m = z[s].min()
    return m - np.log(np.sum(p[s] * np.exp(-tau * (z[s] - m)))) / tau


def penalised_primal(p, z, tau):
    """``inf_Q {E_Q z + KL(Q||p)/tau}`` over ``Q << p`` by cvxpy (exponential cone, Clarabel)."""
    import cvxpy as cp

    s = np.flatnonzero(p > 0)
    q = cp.Variable(s.size, nonneg=True)
    prob = cp.Problem(cp.Minimize(z[s] @ q + cp.sum(cp.rel_entr(q, p[s])) / tau), [cp.sum(q) == 1])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"penalised primal failed: {prob.status}")
    return float(prob.value)


def gibbs_value(p, z, tau):
    """``E_Q z + KL(Q||p)/tau`` at the Gibbs tilt ``Q ~ p exp(-tau z)``."""
    s = p > 0
    w = p[s] * np.exp(-tau * (z[s] - z[s].min()))
    q = w / w.sum()
    return float(q @ z[s] + np.sum(q[q > 0] * np.log(q[q > 0] / p[s][q > 0])) / tau)


def sup_over_tau(p, z, sigma, risk=entropic_risk):
    """``sup_{tau > 0} {risk(p, z, tau) - sigma/tau}``, with the ``tau -> inf`` limit."""
    s = p > 0
    zmin = float(z[s].min())
    width = float(z[s].max() - zmin)
    if width == 0.0:
        return zmin
    f = lambda t: risk(p, z, np.exp(t)) - sigma / np.exp(t)  # noqa: E731
    grid = np.linspace(np.log(1e-4 / width), np.log(1e12 / width), 600)
    vals = np.array([f(t) for t in grid])
    k = int(np.argmax(vals))
    res = minimize_scalar(lambda t: -f(t), bounds=(grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]),
                          method="bounded", options={"xatol": 1e-12})
    return max(zmin, float(vals[k]), float(-res.fun))


def _z(rng, S):
    kind = rng.integers(3)
    if kind == 0:
        return rng.random(S)
    if kind == 1:
        return rng.normal(size=S) * 5.0
    return rng.integers(0, 4, size=S).astype(float)


def check(quick: bool = True, *, entropic_risk_fn=None, KL=None, seed: int = 3, n_cases=None, **_) -> object:
    """Check DV duality of ``entropic_risk_fn`` (default: the formula above) and the KL sup form."""
    risk = entropic_risk if entropic_risk_fn is None else entropic_risk_fn
    make = uncertainty_set("KL") if KL is None else KL
    ref = reference_module()
    rng = np.random.default_rng(seed)
    n = n_cases or (15 if quick else 120)
    err_dv = err_gibbs = err_kl = err_ref = 0.0
    for _ in range(n):
        S = int(rng.integers(2, 8))
        p, z = random_row(rng, S), _z(rng, S)
        width = max(float(z.max() - z.min()), 1e-3 * max(1.0, float(np.abs(z).max())))
        tau = float(np.exp(rng.uniform(np.log(0.05), np.log(20.0))) / width)
        rho = float(risk(p, z, tau))
        err_dv = max(err_dv, abs(rho - penalised_primal(p, z, tau)) / width)
        err_gibbs = max(err_gibbs, abs(rho - gibbs_value(p, z, tau)) / width)
        for sigma in (float(rng.uniform(0.01, 0.3)), float(rng.uniform(0.3, 3.0))):
            sup = sup_over_tau(p, z, sigma, risk)
            err_kl = max(err_kl, abs(sup - float(make(sigma).worst_value(p, z))) / width)
            err_ref = max(err_ref, abs(sup - ref.kl(p, z, sigma)[0]) / width)
    measured = max(err_dv, err_gibbs, err_kl, err_ref)
    passed = measured <= TOL
    evidence = (f"largest of four errors / range(Z) over {n} (P, Z, tau) and {2 * n} (P, Z, sigma) cases: "
                f"|rho_tau - penalised primal| {fmt(err_dv)}, |rho_tau - Gibbs tilt| {fmt(err_gibbs)}, "
                f"|sup_tau - rg.KL| {fmt(err_kl)}, |sup_tau - exp-cone primal| {fmt(err_ref)}")
    return result(passed, evidence, measured=measured, threshold=TOL, cases=n, err_dv=err_dv,
                  err_gibbs=err_gibbs, err_kl=err_kl, err_ref=err_ref)


def _wrong_sign(p, z, tau):
    """Planted bug: the risk-seeking certainty equivalent ``(1/tau) log E exp(tau Z)``."""
    s = p > 0
    m = z[s].max()
    return m + np.log(np.sum(p[s] * np.exp(tau * (z[s] - m)))) / tau


def _no_temperature(p, z, tau):
    """Planted bug: ``-log E exp(-tau Z)`` without the ``1/tau``."""
    return tau * entropic_risk(p, z, tau)


def self_test() -> bool:
    """The check must fail for a sign-flipped and for an unscaled entropic risk."""
    return all(detects(check, entropic_risk_fn=f, n_cases=4) for f in (_wrong_sign, _no_temperature))


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
