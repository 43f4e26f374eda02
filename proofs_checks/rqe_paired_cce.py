"""RQE as coarse correlated equilibria of the paired game (docs/theory.md section 7.2; arXiv 2406.14156).

Claim: for two players with the entropy regulariser inside the tractable region
``eps_1 tau_1 eps_2 tau_2 > 1``, pair each player ``i`` with an adversary choosing ``p_i`` (a
distribution over the OTHER player's actions) whose loss is ``x_i^T R_i p_i + KL(p_i || x_-i)/tau_i``.
The time-average of no-regret play in this 4-player game is an (approximate) CCE, and its
marginals for the original players are the (unique) RQE.

How it is checked: seeded random 3x3 games with ``tau_i, eps_i`` in ``[1, 2]`` (product > 1);
every variable runs entropic mirror descent (multiplicative weights with the regulariser /
KL price handled exactly in the mirror step; step 0.1), simultaneously, for ``N`` steps; the
time-averaged ``(x, y)`` is compared with the Newton RQE ``robustgames.rqe`` (certificates
<= 1e-9). Threshold: max-norm distance <= 1e-3 (the averaging error of ``N = 4000`` steps
from a non-equilibrium start is O(1/N) here; measured, not a proof).
Planted bug (self-test): the adversary's KL price dropped (``1/tau -> 0``: the adversary plays
its unregularised worst case).
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, fmt, result

CLAIM = ("2 players, entropy regulariser, eps_1 tau_1 eps_2 tau_2 > 1: the time-average of no-regret (mirror "
         "descent) play in the paired game (each player vs a KL-penalised adversary over the other's actions) has "
         "marginals equal to the RQE")
SOURCE = "docs/theory.md sec. 7.2; arXiv 2406.14156 (paired game, CCE = RQE)"
METHOD = ("Random 3x3 games with tau, eps in [1, 2]; entropic mirror descent for x, p_1, y, p_2 (step 0.1, N steps), "
          "time-averaged marginals vs the Newton RQE (certificates <= 1e-9); distance <= 1e-3.")
TOL = 1e-3


def _md(A, B, tau, eps, steps, lr, kl_price=True):
    """Entropic mirror descent on the paired game; returns the time averages of x and y.
    Step for a variable z with linear payoff g and regulariser c KL(z || r) (c >= 0):
    log z' = [(log z) + lr (g + c log r)] / (1 + lr c) (the exact prox step), renormalised."""
    m, n = A.shape
    x, y = np.full(m, 1.0 / m), np.full(n, 1.0 / n)
    x = np.linspace(1, 2, m) / np.linspace(1, 2, m).sum()
    p1, p2 = y.copy(), x.copy()
    sx, sy = np.zeros(m), np.zeros(n)

    def prox(z, g, c, ref):
        lz = (np.log(z) + lr * (g + c * np.log(ref))) / (1.0 + lr * c)
        lz -= lz.max()
        w = np.exp(lz)
        return w / w.sum()

    u = np.full(m, 1.0 / m), np.full(n, 1.0 / n)
    for _ in range(steps):
        gx, gy = A @ p1, B.T @ p2
        g1, g2 = -(A.T @ x), -(B @ y)  # adversaries minimise player payoffs
        c1 = 1.0 / tau[0] if kl_price else 0.0
        c2 = 1.0 / tau[1] if kl_price else 0.0
        x, y, p1, p2 = (prox(x, gx, eps[0], u[0]), prox(y, gy, eps[1], u[1]),
                        prox(p1, g1, c1, y) if c1 else prox(p1, g1, 0.0, y), prox(p2, g2, c2, x) if c2 else prox(p2, g2, 0.0, x))
        sx += x
        sy += y
    return sx / steps, sy / steps


def check(quick: bool = True, *, kl_price: bool = True, seed: int = 5, n_games=None, steps=None, **_):
    from robustgames.equilibria._rqe import rqe

    rng = np.random.default_rng(seed)
    n = n_games or (2 if quick else 8)
    N = steps or (4000 if quick else 20000)
    worst, cert = 0.0, 0.0
    for _ in range(n):
        U = rng.uniform(-1, 1, size=(3, 3, 2))
        tau, eps = rng.uniform(1, 2, 2), rng.uniform(1, 2, 2)
        ref = rqe(U, tau, eps)
        cert = max(cert, ref.residual, float(ref.exploitability.max()))
        x, y = _md(U[..., 0], U[..., 1], tau, eps, N, 0.1, kl_price)
        worst = max(worst, float(np.abs(x - ref.strategies[0]).max()), float(np.abs(y - ref.strategies[1]).max()))
    passed = worst <= TOL and cert <= 1e-9
    return result(passed, f"{n} random 3x3 games inside the region, {N} mirror-descent steps: largest distance of the "
                  f"time-averaged marginals to the certified RQE {fmt(worst)} (RQE certificates {fmt(cert)})",
                  measured=worst, threshold=TOL, certificates=cert, steps=N, games=n)


def self_test() -> bool:
    """Planted: the adversary's KL price dropped (it best-responds without the 1/tau KL term)."""
    return detects(check, kl_price=False, n_games=1)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
