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
on random pairs; (3) ``rqe(tau=0)`` and ``rqe(tau=1e-7)`` on random 2x2, 2x3 and 3x3 games against a
logit QRE reference: pygambit's ``pygambit.qre.logit_solve_lambda`` (the principal branch,
traced by Gambit's path follower; optional dependency, ``pip install -e ".[gambit]"``) when it
is installed, otherwise a logit QRE computed here by ``scipy.optimize.root`` on
``x = softmax(lambda A y), y = softmax(lambda B^T x)``; the evidence names the reference used.
The comparison is made at the ``lambda`` the reference reports (pygambit's path follower
stops within about 1e-9 of the requested value) and the RQE is started at the reference's
profile, so it checks that the reference's QRE is the RQE at ``tau -> 0`` (Newton then moves
it only by the reference's own error); which QRE the solver finds from the uniform start
is tested in ``tests/test_rqe_pygambit.py``;
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
          "midpoint concavity; logit QRE by pygambit's logit_solve_lambda when installed, else by scipy root "
          "(independent); Nash by robustgames.equilibria.nash.")

TOL = 1e-6  # closed form vs scipy inner minimum
QRE_TOL = 1e-8  # RQE(tau = 0) and (RQE(tau = 1e-7) - QRE) / 10 vs the logit QRE reference
RISK_TOL = 1e-2  # |rho_t - (mean - t var/2)| / t^1.5 at t = 1e-4 (the remainder is O(t^2))
RATE_MAX = 10.0  # |RQE(t, t) - Nash| / t for t = 1e-2, 1e-3 (O(t) convergence)


def _risk(z, p, tau):
    from robustgames.risk import entropic_risk

    return entropic_risk(z, p, tau)


def pygambit_logit_qre(payoffs, lam):
    """Logit QRE at ``lam`` on the principal branch by pygambit (>= 17:
    ``pygambit.StrategicGame.from_arrays`` and ``pygambit.qre.logit_solve_lambda``).

    ``payoffs`` ``(A_1, ..., A_n, n)`` (player on the last axis). Returns
    ``(strategies, lam_reached, clean)``: the profile as one array per player, the ``lambda``
    of the returned point (the path follower lands within about 1e-9 of ``lam``), and
    ``clean`` = the traced branch was increasing in ``lambda`` up to ``lam`` (the follower then
    steps past ``lam`` and lands back on it) and pygambit reported
    no bifurcation (then continuation in ``lambda`` from 0 follows the same branch; on a fold
    or a symmetric bifurcation the principal branch is not a function of ``lambda``).
    Raises ``ImportError`` when pygambit is not installed.
    """
    import pygambit as gbt

    U = np.asarray(payoffs, dtype=np.float64)
    game = gbt.StrategicGame.from_arrays(*[U[..., i] for i in range(U.shape[-1])])
    events = []
    qre = gbt.qre.logit_solve_lambda(game, float(lam), event_callback=events.append)[0]
    out = []
    for k, label in enumerate(game.players):
        items = list(qre.profile[label])
        if [s for s, _ in items] != [str(j + 1) for j in range(U.shape[k])]:
            raise RuntimeError(f"pygambit returned player {label}'s strategies out of order: {items}")
        out.append(np.array([float(v) for _, v in items]))
    path = np.array([e.qre.lam for e in events if type(e).__name__ == "LogitPathEvent"])
    # the follower steps past lam, then lands on it: judge the path up to the first point >= lam
    past = np.flatnonzero(path >= float(lam) * (1 - 1e-9))
    upto = path[:past[0] + 1] if past.size else path
    clean = all(type(e).__name__ == "LogitPathEvent" for e in events) and bool(np.all(np.diff(upto) > 0))
    return out, float(qre.lam), clean


def _reference():
    """``(name, qre(A, B, lam) -> (x, y, lam_used))``: pygambit if installed, else scipy root."""
    try:
        import pygambit
    except ImportError:
        def own(A, B, lam):
            x, y, fres = _qre(A, B, lam)
            if fres > 1e-10:
                raise RuntimeError(f"scipy root did not solve the logit QRE (residual {fres:.1e})")
            return x, y, lam

        return "own logit QRE (scipy root; pygambit not installed)", own

    def gambit(A, B, lam):
        (x, y), lam_used, _ = pygambit_logit_qre(np.stack([A, B], axis=-1), lam)
        return x, y, lam_used

    return f"pygambit {pygambit.__version__} logit_solve_lambda", gambit


def _qre(A, B, lam, x0=None):
    """Logit QRE of the bimatrix game (A, B) by scipy root on the logit fixed point."""
    m, n = A.shape

    def F(v):
        x, y = softmax(v[:m]), softmax(v[m:])
        return np.concatenate([v[:m] - np.log(softmax(lam * A @ y)), v[m:] - np.log(softmax(lam * B.T @ x))])

    v0 = np.zeros(m + n) if x0 is None else x0
    sol = root(F, v0, method="hybr", tol=1e-14)
    return softmax(sol.x[:m]), softmax(sol.x[m:]), float(np.abs(F(sol.x)).max())


def check(quick: bool = True, *, risk=None, utility=None, qre_lambda=None, nash_tau=None, qre_reference=None,
          seed: int = 4, **_):
    """Overrides (planted bugs): ``risk(z, p, tau)``, ``utility(U, xs, i, tau, eps)``,
    ``qre_lambda(eps)`` (the lambda asked of the reference; the RQE keeps ``eps``),
    ``nash_tau(t)`` (the tau used along the Nash path), ``qre_reference(A, B, lam)``
    (replaces the logit QRE reference)."""
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
    # 3. logit QRE limit (reference: pygambit when installed)
    ref_name, reference = _reference() if qre_reference is None else ("planted", qre_reference)
    err_qre = 0.0
    shapes = [(2, 2), (2, 3), (3, 3)]
    for k in range(n):
        U = rng.uniform(-1, 1, size=shapes[k % 3] + (2,))
        eps = float(rng.uniform(0.2, 1.0))
        x, y, lam = reference(U[..., 0], U[..., 1], lam_of(eps))
        eps_used = eps * lam_of(eps) / lam  # = 1/lam: the lambda the reference reached (within ~1e-9)
        for tau in (0.0, 1e-7):
            r = rqe(U, tau, eps_used, x0=[x, y])
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
    measured = err_util
    passed = (err_util <= TOL and err_qre <= QRE_TOL and err_risk <= RISK_TOL and concave_min > 0
              and rate <= RATE_MAX)
    evidence = (f"risk limits (scaled error) {fmt(err_risk)}; |closed form - scipy inner min| {fmt(err_util)}; "
                f"strict concavity: min midpoint gain / |dx|^2 {fmt(concave_min)} > 0; |RQE(tau->0) - logit QRE"
                f"(1/eps)| {fmt(err_qre)} (at most {fmt(QRE_TOL)}; reference: {ref_name}); Nash path: max |RQE(t,t) - Nash| / t {fmt(rate)} (t = 1e-2, 1e-3; at most {fmt(RATE_MAX)})")
    return result(passed, evidence, measured=measured, threshold=TOL, err_risk=err_risk,
                  err_utility=err_util, concavity=concave_min, err_qre=err_qre, qre_reference=ref_name,
                  nash_rate=rate)


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
