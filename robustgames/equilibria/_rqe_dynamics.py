"""Projected simultaneous gradient play on the paired RQE game (docs/theory.md section 7.2).

The paired game of arXiv 2406.14156 (two players): player 1 (``x``) and its adversary
(``p_1``, over player 2's actions), player 2 (``y``) and its adversary (``p_2``, over
player 1's actions), with ``A = R_1``, ``B = R_2`` as ``(A_1, A_2)`` matrices:

* player 1 ascends  ``x^T A p_1 - eps_1 nu(x)``:         ``g_x = A p_1 - eps_1 nu'(x)``;
* adversary 1 descends ``x^T A p_1 + KL(p_1 || y)/tau_1``: ``g = A^T x + (log(p_1/y) + 1)/tau_1``;
* player 2 ascends  ``p_2^T B y - eps_2 nu(y)``:         ``g_y = B^T p_2 - eps_2 nu'(y)``;
* adversary 2 descends ``p_2^T B y + KL(p_2 || x)/tau_2``: ``g = B y + (log(p_2/x) + 1)/tau_2``.

Every variable takes a step of size ``lr`` and is projected (Euclidean) onto the simplex
truncated at ``floor`` (so the logarithms stay finite); all four move simultaneously.
Its rest points are exactly the RQE (each adversary's rest point is the Gibbs tilt, each
player's the regularised best response to it). This is the authors' solver (learning
rate 2e-4 in their code); it is used here as the baseline of ``benchmarks/rqe.py`` and in
the tractability claim. Stopping: every ``check_every`` steps the RQE first-order residual
of ``(x, y)`` (the same quantity :func:`robustgames.equilibria._rqe.rqe` reports) is
computed; the run stops when it is ``<= tol``.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import kernel
from ._rqe import _system

KL_FORWARD = 0  # gradient of KL(p || y) in p (correct)
KL_REVERSED = 1  # gradient of KL(y || p) in p (the mismatch found in the published code)


@kernel
def _project(v, floor, out):
    """Euclidean projection of ``v`` onto ``{z >= floor, sum z = 1}`` (sort-based)."""
    A = v.shape[0]
    u = np.sort(v - floor)[::-1]
    target = 1.0 - A * floor
    css = 0.0
    theta = 0.0
    for k in range(A):
        css += u[k]
        t = (css - target) / (k + 1)
        if u[k] - t > 0:
            theta = t
    for a in range(A):
        out[a] = max(v[a] - floor - theta, 0.0) + floor


@kernel
def _nu_grad(x, reg, a):
    return math.log(x[a]) + 1.0 if reg == 0 else -1.0 / x[a]


@kernel
def gradient_play(A, B, tau, eps, reg, x, y, p1, p2, lr, max_iter, tol, check_every, floor, kl_mode):
    """Projected simultaneous gradient play in place; returns ``(iterations, residual)``."""
    m, n = A.shape
    gx = np.empty(m)
    gy = np.empty(n)
    g1 = np.empty(n)
    g2 = np.empty(m)
    Q = np.empty((m * n, 2))
    for a in range(m):
        for b in range(n):
            Q[a * n + b, 0] = A[a, b]
            Q[a * n + b, 1] = B[a, b]
    n_actions = np.array([m, n], dtype=np.int64)
    strides = np.array([n, 1], dtype=np.int64)
    offsets = np.array([0, m], dtype=np.int64)
    active = np.ones(2, dtype=np.bool_)
    z = np.empty(m + n)
    F = np.empty(m + n)
    J = np.empty((1, 1))
    C = np.empty(m + n)
    pw = np.empty(m * n)
    ww = np.empty(m * n)
    res = np.inf
    for it in range(max_iter + 1):
        if it % check_every == 0:
            for a in range(m):
                z[a] = x[a]
            for b in range(n):
                z[m + b] = y[b]
            res = _system(Q, n_actions, strides, offsets, z, tau, eps, reg, active, F, J, False, C, pw, ww)
            if res <= tol or it == max_iter:
                return it, res
        for a in range(m):
            s = 0.0
            for b in range(n):
                s += A[a, b] * p1[b]
            gx[a] = x[a] + lr * (s - eps[0] * _nu_grad(x, reg, a))
            s = 0.0
            for b in range(n):
                s += B[a, b] * y[b]
            if kl_mode == 0:
                kl = (math.log(p2[a] / x[a]) + 1.0) / tau[1]
            else:
                kl = -x[a] / p2[a] / tau[1]
            g2[a] = p2[a] - lr * (s + kl)
        for b in range(n):
            s = 0.0
            for a in range(m):
                s += B[a, b] * p2[a]
            gy[b] = y[b] + lr * (s - eps[1] * _nu_grad(y, reg, b))
            s = 0.0
            for a in range(m):
                s += A[a, b] * x[a]
            if kl_mode == 0:
                kl = (math.log(p1[b] / y[b]) + 1.0) / tau[0]
            else:
                kl = -y[b] / p1[b] / tau[0]
            g1[b] = p1[b] - lr * (s + kl)
        _project(gx, floor, x)
        _project(gy, floor, y)
        _project(g1, floor, p1)
        _project(g2, floor, p2)
    return max_iter, res


def paired_gradient_play(payoffs, tau, epsilon, regularizer="entropy", *, lr=2e-4, max_iter=10_000,
                         tol=1e-9, check_every=50, x0=None, floor=1e-12, kl="forward"):
    """Run projected gradient play on the paired game of a 2-player matrix game.

    Parameters as :func:`robustgames.equilibria._rqe.rqe`; ``lr`` the step size (the
    authors use 2e-4), ``x0`` optional ``(x, y)`` start (default uniform; the adversaries
    start at the opponent's strategy), ``kl="reversed"`` plants the gradient of
    ``KL(y || p)`` (a check's planted bug). Returns ``(x, y, iterations, residual)``.
    """
    from ._rqe import REGULARIZERS, _per_player
    from ._checks import check_payoffs

    U, n_actions = check_payoffs(payoffs)
    if len(n_actions) != 2:
        raise ValueError("paired_gradient_play is implemented for two players")
    tau_a = _per_player(tau, "tau", 2, positive=True)
    eps_a = _per_player(epsilon, "epsilon", 2, positive=True)
    reg = REGULARIZERS[regularizer]
    A = np.ascontiguousarray(U[..., 0])
    B = np.ascontiguousarray(U[..., 1])
    if x0 is None:
        x = np.full(n_actions[0], 1.0 / n_actions[0])
        y = np.full(n_actions[1], 1.0 / n_actions[1])
    else:
        x, y = (np.array(v, dtype=np.float64) for v in x0)
    p1, p2 = y.copy(), x.copy()
    it, res = gradient_play(A, B, tau_a, eps_a, reg, x, y, p1, p2, float(lr), int(max_iter), float(tol),
                            int(check_every), float(floor), 0 if kl == "forward" else 1)
    return x, y, int(it), float(res)
