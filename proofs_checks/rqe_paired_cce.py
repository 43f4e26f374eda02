"""RQE as coarse correlated equilibria of the paired game (docs/theory.md section 7.2; arXiv 2406.14156).

The paired game (two players, entropy regulariser; ``A = R_1``, ``B = R_2`` as
``(A_1, A_2)`` matrices). Four players with continuous strategies in simplices:

* ``x`` (player 1) maximises ``u_x = x^T A p_1 - eps_1 nu(x)``;
* ``p_1`` (player 1's adversary, over player 2's actions) minimises
  ``l_1 = x^T A p_1 + KL(p_1 || y) / tau_1``;
* ``y`` (player 2) maximises ``u_y = p_2^T B y - eps_2 nu(y)``;
* ``p_2`` (player 2's adversary, over player 1's actions) minimises
  ``l_2 = p_2^T B y + KL(p_2 || x) / tau_2``;

``nu(z) = sum z log z``. Each utility is concave (each loss convex) in its own variable.

Claim: inside the tractable region ``eps_1 tau_1 eps_2 tau_2 > 1``, the time average of
no-regret play in the paired game is an approximate coarse correlated equilibrium (CCE) of
the paired game, its CCE gap tends to 0, and the marginals of that CCE for ``x`` and ``y``
(the time-averaged strategies) are the RQE.

The CCE gap, exactly. The empirical joint distribution puts mass ``1/N`` on each profile
``(x_t, p_{1,t}, y_t, p_{2,t})``. A player's gain from its best FIXED deviation ``z`` against
it is concave in ``z`` and has a closed form (``lse`` = log-sum-exp, bars = time averages):

* ``x``: ``max_z E_t[z^T A p_{1,t}] - eps_1 nu(z) = eps_1 lse(A pbar_1 / eps_1)``, gain
  ``= that - E_t[u_x(t)]``;
* ``p_1``: ``min_q E_t[x_t^T A q + KL(q || y_t)/tau_1] = -(1/tau_1) lse(-tau_1 A^T xbar + E_t log y_t)``
  (``KL(q || y_t)`` is linear in ``log y_t``; Gibbs variational principle), gain
  ``= E_t[l_1(t)] - that``;
* ``y``, ``p_2`` likewise. CCE gap = the largest of the four gains (>= 0 up to rounding).

How it is checked: seeded random 3x3 games with ``tau_i, eps_i`` in ``[1, 2]`` (product > 1);
every variable runs entropic mirror descent (the regulariser / KL price handled exactly in
the mirror step; step 0.1), simultaneously, for ``N`` steps from a non-equilibrium start;
the exact CCE gap of the time-averaged joint play is computed at ``N/4`` and ``N``, and the
time-averaged ``(x, y)`` is compared with the Newton RQE ``robustgames.rqe`` (certificates
<= 1e-9). Thresholds: CCE gap at ``N`` <= 1e-3 and at most half the gap at ``N/4`` (it
decreases like ``1/N`` here: the play converges and the average carries the transient);
distance of the marginals to the RQE <= 1e-3. Measured, not a proof.

Planted bugs (self-test), the characteristic mistakes of this claim:

* ``kl_price=False``: the paired game without the adversary's KL price (each adversary plays
  its plain worst case). The play still reaches an approximate CCE, but of another game:
  its marginals are not the RQE.
* ``regularized=False``: the CCE gap measured with the unregularised payoffs
  (``x^T A p_1`` without ``- eps_1 nu(x)``): the RQE is a CCE of the regularised paired game
  only, so this gap stays large.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from robustgames.proofs_checks._claim import detects, fmt, result

CLAIM = ("2 players, entropy regulariser, eps_1 tau_1 eps_2 tau_2 > 1: the time average of no-regret (mirror "
         "descent) play in the paired game (each player vs a KL-priced adversary over the other's actions) is a "
         "CCE of the paired game up to an exact gap that goes to 0, and its marginals are the RQE")
SOURCE = "docs/theory.md sec. 7.2, 7.5; arXiv 2406.14156 (paired game, CCE = RQE)"
METHOD = ("Random 3x3 games with tau, eps in [1, 2]; entropic mirror descent for x, p_1, y, p_2 (step 0.1, N steps); "
          "exact CCE gap of the time-averaged joint play (closed-form best fixed deviations) at N/4 and N: <= 1e-3 "
          "and halving; time-averaged marginals vs the Newton RQE (certificates <= 1e-9): distance <= 1e-3.")
TOL = 1e-3  # CCE gap at N and distance of the marginals to the RQE


def _nu(z):
    return float(np.sum(z * np.log(z)))


class _Averages:
    """Running sums of the empirical joint distribution of the paired game that the exact
    CCE gap needs (everything is linear in these)."""

    def __init__(self, m, n):
        self.N = 0
        self.x, self.y, self.p1, self.p2 = np.zeros(m), np.zeros(n), np.zeros(n), np.zeros(m)
        self.logx, self.logy = np.zeros(m), np.zeros(n)
        self.ux = self.uy = self.l1 = self.l2 = 0.0  # realised utilities / losses
        self.ax = self.ay = 0.0  # realised unregularised payoffs of x and y

    def add(self, A, B, tau, eps, x, p1, y, p2, c1, c2):
        self.N += 1
        self.x += x
        self.y += y
        self.p1 += p1
        self.p2 += p2
        self.logx += np.log(x)
        self.logy += np.log(y)
        ax, ay = float(x @ A @ p1), float(p2 @ B @ y)
        self.ax += ax
        self.ay += ay
        self.ux += ax - eps[0] * _nu(x)
        self.uy += ay - eps[1] * _nu(y)
        self.l1 += ax + c1 * float(np.sum(p1 * np.log(p1 / y)))
        self.l2 += ay + c2 * float(np.sum(p2 * np.log(p2 / x)))

    def marginals(self):
        return self.x / self.N, self.y / self.N

    def cce_gap(self, A, B, eps, c1, c2, regularized=True):
        """Exact CCE gap of the empirical joint play (module docstring): the largest gain of
        a best fixed deviation over the four players of the paired game. ``c_i`` is the KL
        price (``1/tau_i``; 0: the unpriced adversary's linear loss)."""
        N = self.N
        xb, yb, p1b, p2b = self.x / N, self.y / N, self.p1 / N, self.p2 / N
        if regularized:
            gx = eps[0] * logsumexp(A @ p1b / eps[0]) - self.ux / N
            gy = eps[1] * logsumexp(B.T @ p2b / eps[1]) - self.uy / N
        else:  # the characteristic mistake: the plain payoffs
            gx = float((A @ p1b).max()) - self.ax / N
            gy = float((B.T @ p2b).max()) - self.ay / N

        def best_loss(lin, c, mean_log_ref):
            # min_q lin.q + c (sum q log q - q.mean_log_ref) over the simplex
            if c == 0:
                return float(lin.min())
            return float(-c * logsumexp(-lin / c + mean_log_ref))

        g1 = self.l1 / N - best_loss(A.T @ xb, c1, self.logy / N)
        g2 = self.l2 / N - best_loss(B @ yb, c2, self.logx / N)
        return float(max(gx, gy, g1, g2))


def _md(A, B, tau, eps, steps, lr, kl_price=True, regularized=True, checkpoints=()):
    """Entropic mirror descent on the paired game. Step for a variable ``z`` with linear
    payoff ``g`` and regulariser ``c KL(z || r)`` (``c >= 0``):
    ``log z' = [(log z) + lr (g + c log r)] / (1 + lr c)`` (the exact prox step), renormalised.
    The players' ``eps nu(z)`` is ``eps KL(z || uniform)`` up to a constant. Returns the
    running averages and the CCE gap at each step count in ``checkpoints``."""
    m, n = A.shape
    x = np.linspace(1, 2, m) / np.linspace(1, 2, m).sum()  # a non-equilibrium start
    y = np.full(n, 1.0 / n)
    p1, p2 = y.copy(), x.copy()
    c1 = 1.0 / tau[0] if kl_price else 0.0
    c2 = 1.0 / tau[1] if kl_price else 0.0
    avg = _Averages(m, n)
    gaps = {}

    def prox(z, g, c, ref):
        lz = (np.log(z) + lr * (g + c * np.log(ref))) / (1.0 + lr * c)
        lz -= lz.max()
        w = np.exp(lz)
        return w / w.sum()

    u = np.full(m, 1.0 / m), np.full(n, 1.0 / n)
    for t in range(1, steps + 1):
        gx, gy = A @ p1, B.T @ p2
        g1, g2 = -(A.T @ x), -(B @ y)  # adversaries minimise the players' payoffs
        x, y, p1, p2 = prox(x, gx, eps[0], u[0]), prox(y, gy, eps[1], u[1]), prox(p1, g1, c1, y), prox(p2, g2, c2, x)
        avg.add(A, B, tau, eps, x, p1, y, p2, c1, c2)
        if t in checkpoints:
            gaps[t] = avg.cce_gap(A, B, eps, c1, c2, regularized)
    return avg, gaps


def check(quick: bool = True, *, kl_price: bool = True, regularized: bool = True, seed: int = 5, n_games=None,
          steps=None, **_):
    """Overrides (planted bugs): ``kl_price=False`` (the adversaries' KL price dropped from
    the paired game), ``regularized=False`` (the CCE gap measured with the plain payoffs)."""
    from robustgames.equilibria._rqe import rqe

    rng = np.random.default_rng(seed)
    n = n_games or (2 if quick else 8)
    N = steps or (4000 if quick else 20000)
    worst, cert, gap_end, ratio = 0.0, 0.0, 0.0, 0.0
    for _ in range(n):
        U = rng.uniform(-1, 1, size=(3, 3, 2))
        tau, eps = rng.uniform(1, 2, 2), rng.uniform(1, 2, 2)
        ref = rqe(U, tau, eps)
        cert = max(cert, ref.residual, float(ref.exploitability.max()))
        A, B = U[..., 0], U[..., 1]
        avg, gaps = _md(A, B, tau, eps, N, 0.1, kl_price, regularized, checkpoints=(N // 4, N))
        x, y = avg.marginals()
        worst = max(worst, float(np.abs(x - ref.strategies[0]).max()), float(np.abs(y - ref.strategies[1]).max()))
        gap_end = max(gap_end, gaps[N])
        ratio = max(ratio, gaps[N] / max(gaps[N // 4], 1e-300))
    passed = gap_end <= TOL and ratio <= 0.5 and worst <= TOL and cert <= 1e-9
    return result(passed, f"{n} random 3x3 games inside the region, {N} mirror-descent steps: exact CCE gap of the "
                  f"time-averaged joint play {fmt(gap_end)} (at most {fmt(TOL)}; gap(N) / gap(N/4) {fmt(ratio)}, at "
                  f"most 0.5); largest distance of its marginals to the certified RQE {fmt(worst)} (at most "
                  f"{fmt(TOL)}; RQE certificates {fmt(cert)})",
                  measured=max(gap_end, worst), threshold=TOL, cce_gap=gap_end, gap_ratio=ratio,
                  marginal_distance=worst, certificates=cert, steps=N, games=n)


def self_test() -> bool:
    """Planted: the adversaries' KL price dropped; the CCE gap with the unregularised payoffs."""
    return detects(check, kl_price=False, n_games=1) and detects(check, regularized=False, n_games=1)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
