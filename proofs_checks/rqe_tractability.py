"""RQE tractability: inside ``eps_1 tau_1 eps_2 tau_2 > 1`` gradient play on the paired game
converges to the unique RQE; outside it need not.

Claim (docs/theory.md section 7.2; arXiv 2406.14156 Theorem 3 in the form checked by the
authors' notebook): for two players with the entropy regulariser, when
``eps_1 tau_1 eps_2 tau_2 > 1`` the paired game (each player against a KL-penalised
adversary) is monotone, its equilibrium (the RQE) is unique and projected simultaneous
gradient play converges to it from any start. Outside the region this can fail.

How it is checked: seeded random 3x3 games with ``(tau_i, eps_i)`` drawn so that the
condition holds; projected gradient play (``robustgames.equilibria._rqe_dynamics``, step
0.05) from four random starts must reach the RQE computed by the Newton solver
``rqe()`` (first-order residual and both exploitabilities <= 1e-9) to 1e-7. Outside:
the coordination game ``eye(2)`` for both players at ``tau = 0.05, eps = 0.1``
(product 2.5e-5): two certified RQE at distance > 0.5 (Newton from two starts, each with
exploitability <= 1e-9), and gradient play from the two starts ends near different ones.
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, fmt, result

CLAIM = ("2 players, entropy regulariser: if eps_1 tau_1 eps_2 tau_2 > 1, projected gradient play on the paired "
         "game converges to the unique RQE from every start; outside the region an instance has several RQE "
         "and the dynamics' limit depends on the start")
SOURCE = "docs/theory.md sec. 7.2; arXiv 2406.14156 Theorem 3 (condition as in the authors' notebook)"
METHOD = ("Random 3x3 games inside the region: gradient play (lr 0.05) from 4 starts vs the Newton RQE "
          "(certificates <= 1e-9); outside: coordination game at tau=0.05, eps=0.1, two certified RQE and "
          "start-dependent dynamics.")

TOL = 1e-7


def _condition(tau, eps):
    from robustgames.equilibria._rqe import rqe_tractable

    return rqe_tractable(tau, eps)


def check(quick: bool = True, *, condition=None, kl: str = "forward", seed: int = 3, n_games=None, **_):
    """``condition(tau, eps) -> bool`` replaces the tractability test; ``kl="reversed"`` plants
    the reversed-KL adversary gradient in the dynamics."""
    from robustgames.equilibria._rqe import rqe
    from robustgames.equilibria._rqe_dynamics import paired_gradient_play

    cond = _condition if condition is None else condition
    rng = np.random.default_rng(seed)
    n = n_games or (3 if quick else 10)
    inside_err = 0.0
    cert = 0.0
    flagged_bad = 0
    instances = []
    for _ in range(n):
        U = rng.uniform(-1, 1, size=(3, 3, 2))
        tau = rng.uniform(1.0, 2.0, size=2)
        eps = rng.uniform(1.0, 2.0, size=2)
        instances.append((U, tau, eps, None))
    M = np.eye(2)
    outside = (np.stack([M, M], axis=-1), np.full(2, 0.05), np.full(2, 0.1), "outside")
    instances.append(outside)
    separation = 0.0
    for U, tau, eps, tag in instances:
        tractable = bool(cond(tau, eps))
        if tag == "outside":
            if tractable:
                flagged_bad += 1
            starts = [(np.array([0.9, 0.1]), np.array([0.9, 0.1])), (np.array([0.1, 0.9]), np.array([0.1, 0.9]))]
            eqs = [rqe(U, tau, eps, x0=list(s)) for s in starts]
            cert = max(cert, *(float(e.exploitability.max()) for e in eqs), *(e.residual for e in eqs))
            separation = float(np.abs(eqs[0].strategies[0] - eqs[1].strategies[0]).max())
            ends = [paired_gradient_play(U, tau, eps, lr=0.002, max_iter=100_000, tol=1e-10, x0=s, kl=kl)[0]
                    for s in starts]
            near = [int(np.argmin([np.abs(e - q.strategies[0]).max() for q in eqs])) for e in ends]
            if near[0] == near[1]:
                separation = 0.0
            if tractable:  # a claimed-tractable instance must have a unique RQE reached from every start
                inside_err = max(inside_err, separation)
            continue
        if not tractable:
            continue
        ref = rqe(U, tau, eps)
        cert = max(cert, float(ref.exploitability.max()), ref.residual)
        for _s in range(4):
            x0 = (rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3)))
            x, y, _, _ = paired_gradient_play(U, tau, eps, lr=0.05, max_iter=200_000, tol=1e-11, x0=x0, kl=kl)
            inside_err = max(inside_err, float(np.abs(x - ref.strategies[0]).max()),
                             float(np.abs(y - ref.strategies[1]).max()))
    measured = inside_err
    passed = inside_err <= TOL and cert <= 1e-9 and separation > 0.5 and flagged_bad == 0
    evidence = (f"inside the region ({n} random 3x3 games, 4 starts): largest distance of gradient play to the "
                f"Newton RQE {fmt(inside_err)}; certificates {fmt(cert)}; outside (coordination, tau=0.05, "
                f"eps=0.1): two certified RQE {fmt(separation)} apart, reached from different starts; "
                f"outside instance flagged tractable: {bool(flagged_bad)}")
    return result(passed, evidence, measured=measured, threshold=TOL, certificates=cert,
                  outside_separation=separation, games=n)


def self_test() -> bool:
    """Planted: the condition with tau read as the KL coefficient (eps_1 eps_2 > tau_1 tau_2,
    the xi/tau confusion), and the adversary's gradient of KL(y || p) instead of KL(p || y)."""
    def swapped(tau, eps):
        return bool(eps[0] * eps[1] > tau[0] * tau[1])

    return detects(check, condition=swapped, n_games=1) and detects(check, kl="reversed", n_games=1)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
