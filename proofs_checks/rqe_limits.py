"""RQE limits: entropic risk limits, the KL-penalised utility's closed form, logit QRE as
tau -> 0 and Nash as tau, eps -> 0.

Claims (docs/theory.md sections 7.1 and 7.3; arXiv 2406.14156; section 9 item 5 corrects
the RQE-MAPPO slides):

1. ``rho_tau(Z) = -(1/tau) log E exp(-tau Z)`` tends to ``E Z`` as ``tau -> 0`` (with
   ``rho_tau = E Z - tau Var Z / 2 + O(tau^2)``) and to ``min Z`` as ``tau -> inf``;
2. the KL-penalised utility ``min_p [x^T R p + KL(p || y)/tau]`` equals the entropic risk of
   ``x^T R`` under ``y`` (closed form), and ``U_i`` is strictly concave in ``x_i`` for
   ``eps_i > 0``;
3. with the entropy regulariser, ``tau -> 0`` gives the logit QRE at ``lambda = 1/eps``;
4. ``tau = eps -> 0`` approaches the Nash equilibrium (2x2 games without a pure
   equilibrium, whose Nash equilibrium is unique and interior), at rate ``O(t)``.

How it is checked: (1) on seeded random distributions, against the mean/variance
expansion and the minimum; (2) the inner minimum solved here by scipy L-BFGS over
softmax logits of ``p`` and compared with ``rqe_utility``, and midpoint strict concavity
on random pairs; (3) ``rqe(tau=0)`` and ``rqe(tau=1e-7)`` against a logit QRE computed here
by ``scipy.optimize.root`` on ``x = softmax(lambda A y), y = softmax(lambda B^T x)``
(pygambit could not be installed here: its sdist build exceeded 10 minutes);
(4) ``rqe(tau=eps=t)`` for ``t = 1e-2, 1e-3`` against ``robustgames.equilibria.nash``
(compiled Lemke-Howson).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize, root
from scipy.special import softmax

from robustgames.proofs_checks._claim import detects, fmt, result

CLAIM = ("Entropic risk -> mean (tau->0) and -> min (tau->inf); min_p [x^T R p + KL(p||y)/tau] = entropic risk "
         "of x^T R under y, U_i strictly concave for eps_i > 0; RQE -> logit QRE(lambda=1/eps) as tau->0 "
         "(entropy); RQE -> Nash as tau = eps -> 0")
SOURCE = "docs/theory.md sec. 7.1, 7.3, 9 item 5; arXiv 2406.14156"
METHOD = ("Random distributions vs mean/variance expansion and min; inner min by scipy L-BFGS vs closed form; "
          "midpoint concavity; logit QRE by scipy root (independent); Nash by robustgames.equilibria.nash.")

TOL = 1e-6  # closed form vs scipy inner minimum; RQE(tau -> 0) vs logit QRE
RISK_TOL = 1e-2  # |rho_t - (mean - t var/2)| / t^1.5 at t = 1e-4 (the remainder is O(t^2))
RATE_MAX = 10.0  # |RQE(t, t) - Nash| / t for t = 1e-2, 1e-3 (O(t) convergence)


def _risk(z, p, tau):
    from robustgames.risk import entropic_risk

    return entropic_risk(z, p, tau)


def _qre(A, B, lam, x0=None):
    """Logit QRE of the bimatrix game (A, B) by scipy root on the logit fixed point."""
    m, n = A.shape

    def F(v):
        x, y = softmax(v[:m]), softmax(v[m:])
        return np.concatenate([v[:m] - np.log(softmax(lam * A @ y)), v[m:] - np.log(softmax(lam * B.T @ x))])

    v0 = np.zeros(m + n) if x0 is None else x0
    sol = root(F, v0, method="hybr", tol=1e-14)
    return softmax(sol.x[:m]), softmax(sol.x[m:]), float(np.abs(F(sol.x)).max())


def check(quick: bool = True, *, risk=None, utility=None, qre_lambda=None, nash_tau=None, seed: int = 4, **_):
    """Overrides (planted bugs): ``risk(z, p, tau)``, ``utility(U, xs, i, tau, eps)``,
    ``qre_lambda(eps)``, ``nash_tau(t)`` (the tau used along the Nash path)."""
    from robustgames.equilibria import nash
    from robustgames.equilibria._rqe import rqe, rqe_utility

    risk = _risk if risk is None else risk
    util = (lambda U, xs, i, tau, eps: rqe_utility(U, xs, i, tau, eps)) if utility is None else utility
    lam_of = (lambda e: 1.0 / e) if qre_lambda is None else qre_lambda
    tau_of = (lambda t: t) if nash_tau is None else nash_tau
    rng = np.random.default_rng(seed)
    n = 5 if quick else 30
    # 1. entropic risk limits
    err_risk = 0.0
    for _ in range(n):
        z = rng.normal(size=5)
        p = rng.dirichlet(np.ones(5))
        mean, var = p @ z, p @ (z - p @ z) ** 2
        t = 1e-4
        err_risk = max(err_risk, abs(risk(z, p, t) - (mean - t * var / 2)) / t ** 1.5,
                       abs(risk(z, p, 1e5) - z.min() + np.log(p[np.argmin(z)]) / 1e5))
    # 2. closed form of the inner minimum, strict concavity
    err_util = 0.0
    concave_min = np.inf
    for _ in range(n):
        U = rng.normal(size=(3, 3, 2))
        xs = [rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3))]
        tau, eps = float(rng.uniform(0.3, 3)), float(rng.uniform(0.1, 1))
        Z = xs[0] @ U[..., 0]

        def f(theta):
            q = softmax(theta)
            return Z @ q + np.sum(q * np.log(q / xs[1])) / tau

        best = min(minimize(f, th, method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-12}).fun
                   for th in (np.log(xs[1]), np.zeros(3)))
        nu = np.sum(xs[0] * np.log(xs[0]))
        err_util = max(err_util, abs(util(U, xs, 0, tau, eps) - (best - eps * nu)))
        other = rng.dirichlet(np.ones(3))
        mid = [(xs[0] + other) / 2, xs[1]]
        gap = util(U, mid, 0, tau, eps) - (util(U, xs, 0, tau, eps) + util(U, [other, xs[1]], 0, tau, eps)) / 2
        concave_min = min(concave_min, gap / max(np.abs(xs[0] - other).sum() ** 2, 1e-12))
    # 3. logit QRE limit
    err_qre = 0.0
    for _ in range(n):
        U = rng.uniform(-1, 1, size=(3, 3, 2))
        eps = float(rng.uniform(0.2, 1.0))
        x, y, fres = _qre(U[..., 0], U[..., 1], lam_of(eps))
        for tau, scale in ((0.0, 1.0), (1e-7, 1e-7)):
            r = rqe(U, tau, eps, x0=[x, y] if fres < 1e-10 else None)
            d = max(np.abs(r.strategies[0] - x).max(), np.abs(r.strategies[1] - y).max())
            err_qre = max(err_qre, d if tau == 0 else d / 10.0)
    # 4. Nash limit on 2x2 general-sum games without a pure equilibrium (unique, interior Nash)
    rate = 0.0
    for _ in range(n):
        while True:
            A, B = rng.uniform(-1, 1, size=(2, 2)), rng.uniform(-1, 1, size=(2, 2))
            pure = any(A[i, j] >= A[1 - i, j] and B[i, j] >= B[i, 1 - j] for i in range(2) for j in range(2))
            if pure:
                continue
            ref = nash(np.stack([A, B], axis=-1))
            x_ref, y_ref = ref.strategies
            if min(x_ref.min(), y_ref.min()) > 0.1:
                break
        U = np.stack([A, B], axis=-1)
        for t in (1e-2, 1e-3):
            r = rqe(U, tau_of(t), t)
            d = max(np.abs(r.strategies[0] - x_ref).max(), np.abs(r.strategies[1] - y_ref).max())
            rate = max(rate, d / t)
    measured = max(err_util, err_qre)
    passed = measured <= TOL and err_risk <= RISK_TOL and concave_min > 0 and rate <= RATE_MAX
    evidence = (f"risk limits (scaled error) {fmt(err_risk)}; |closed form - scipy inner min| {fmt(err_util)}; "
                f"strict concavity: min midpoint gain / |dx|^2 {fmt(concave_min)} > 0; |RQE(tau->0) - logit QRE"
                f"(1/eps)| {fmt(err_qre)}; Nash path: max |RQE(t,t) - Nash| / t {fmt(rate)} (t = 1e-2, 1e-3; at most {fmt(RATE_MAX)})")
    return result(passed, evidence, measured=measured, threshold=TOL, err_risk=err_risk,
                  err_utility=err_util, concavity=concave_min, err_qre=err_qre, nash_rate=rate)


def self_test() -> bool:
    """Planted: the slides' entropic risk without the minus sign; the per-action entropic risk
    instead of the risk of x^T R; lambda = eps instead of 1/eps; the Nash path with tau fixed."""
    def slides(z, p, tau):
        with np.errstate(over="ignore"):
            return float(np.log(np.sum(p * np.exp(-tau * z))) / tau)

    def per_action(U, xs, i, tau, eps):
        R = U[..., 0]
        risk = sum(xs[0][a] * -np.log(np.sum(xs[1] * np.exp(-tau * R[a]))) / tau for a in range(R.shape[0]))
        return risk - eps * np.sum(xs[0] * np.log(xs[0]))

    return (detects(check, risk=slides) and detects(check, utility=per_action)
            and detects(check, qre_lambda=lambda e: e) and detects(check, nash_tau=lambda t: 1.0))


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
