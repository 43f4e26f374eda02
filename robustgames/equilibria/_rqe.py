"""Risk-averse quantal response equilibria (RQE) of n-player matrix games
(docs/theory.md section 7; Mazumdar, Panaganti, Shi, arXiv 2406.14156).

The game. Payoffs ``R`` of shape ``(A_1, ..., A_n, n)`` are rewards (everyone maximises).
Player ``i`` with mixed strategy ``x_i`` facing the others' product strategy
``q_{-i} = prod_{j != i} x_j`` (a distribution over the joint actions ``b`` of the others)
has the utility

    U_i(x_i, x_{-i}) = min_{p in Delta(A_{-i})} [ sum_{a_i, b} x_i(a_i) p(b) R_i(a_i, b)
                                                   + (1/tau_i) KL(p || q_{-i}) ] - eps_i nu(x_i),

with ``nu(x) = sum_a x(a) log x(a)`` (``"entropy"``) or ``nu(x) = -sum_a log x(a)``
(``"log_barrier"``). For ``n > 2`` the adversary ``p`` ranges over ALL joint distributions
of the others (it may correlate them), while the reference ``q_{-i}`` is the product.

The inner minimum (derivation). The expectation over ``a_i ~ x_i`` is inside the minimum,
so write ``Z_i(b) = sum_{a_i} x_i(a_i) R_i(a_i, b) = (x_i^T R_i)(b)``, player ``i``'s
expected payoff when the others play ``b``. The bracket is ``E_p Z_i + KL(p || q)/tau_i``,
and by Donsker-Varadhan (docs/theory.md section 7.3; Lagrangian of the simplex
constraint: ``Z(b) + (log(p(b)/q(b)) + 1)/tau + mu = 0``)

    min_p [...] = rho_{tau_i}(Z_i) = -(1/tau_i) log sum_b q_{-i}(b) exp(-tau_i Z_i(b)),
    attained at  p*_i(b) = q_{-i}(b) exp(-tau_i Z_i(b)) / sum_b' q_{-i}(b') exp(-tau_i Z_i(b')).

This is the entropic risk of the payoff ``x_i^T R_i(., b)`` as a function of ``b ~ q_{-i}``,
NOT ``sum_{a_i} x_i(a_i) rho(R_i(a_i, .))`` (the per-action risk is larger by concavity and is
a different game). ``tau_i = 0`` is the limit ``p* = q_{-i}`` (risk neutral, the mean).
Because ``rho`` is concave in ``Z`` and ``Z`` is linear in ``x_i``, ``U_i`` is concave in
``x_i``, strictly when ``eps_i > 0``.

First-order conditions. With ``c_i = R_i p*_i`` (vector over ``a_i``; by the envelope
theorem ``c_i`` is the gradient of the entropic-risk term in ``x_i``), the unique maximiser
of ``U_i`` over ``x_i`` satisfies ``x_i = phi_i(c_i)``, the regularised best response to the
linear payoff ``c_i``:

* entropy: ``phi(c) = softmax(c / eps)``;
* log-barrier: ``phi(c)_a = eps / (lam - c_a)`` with ``lam > max c`` solving
  ``sum_a eps / (lam - c_a) = 1`` (monotone 1-D Newton from ``max c + eps``).

An RQE is a profile with ``x_i = phi_i(c_i(x))`` for every ``i``. The solver applies
Newton's method to ``F(x) = x - T(x)``, ``T_i(x) = phi_i(c_i(x))``, with the analytic
Jacobian ``I - Dphi_i Dc_i``:

* ``Dphi`` = ``(diag(s) - s s^T)/eps`` (entropy, ``s = phi(c)``) or
  ``(diag(s^2) - s^2 (s^2)^T / sum s^2)/eps`` (log-barrier);
* ``dc_i/dx_i = -tau_i Cov_{p*_i}(R_i(a, .), R_i(a', .))``;
* ``dc_i(a)/dx_k(d) = sum_{b: b_k = d} w_k(b) (R_i(a, b) - c_i(a))`` for ``k != i``, with
  ``w_k(b) = p*_i(b) / x_k(d)`` computed without the division.

Steps are damped (halved until the iterate stays positive and ``max|F|`` decreases) and
each block is renormalised. Stopping: ``residual = max_i max_a |x_i(a) - T_i(x)(a)| <= tol``.

Certificates (in the regularised game, per player):

* ``exploitability[i] = max_{x'} U_i(x', x_{-i}) - U_i(x)``, with the maximiser found by
  Newton on player ``i``'s own condition ``x' = phi_i(c_i(x', x_{-i}))`` (a strictly concave
  problem);
* ``exploitability_bound[i]``: linearising the concave risk term,
  ``U_i(x') <= U_i(x) + max_{x'} [c_i.x' - eps_i nu(x')] - [c_i.x_i - eps_i nu(x_i)]``; the
  right-hand maximum is ``eps lse(c/eps)`` (entropy; the bound is then
  ``eps_i KL(x_i || softmax(c_i/eps_i))``) or ``sum_a (c_a s_a + eps log s_a)`` at
  ``s = phi(c)`` (log-barrier). It needs no optimisation and is always valid.

Tractability (2 players, as checked in the authors' notebook; docs/theory.md section 7.2):
``eps_1 tau_1 eps_2 tau_2 > 1``, invariant under payoff scaling (``R -> kR`` is
``eps -> eps/k``, ``tau -> k tau``). Inside it the paired game is monotone and the RQE
unique; the solver then reports ``unique_certain=True``. Outside (and for every ``n > 2``,
where no payoff-independent condition is known to us) several RQE may exist:
``unique_certain=False``. When Newton from the uniform profile fails, a homotopy in
``epsilon`` is followed from ``eps * 2^k`` (large ``epsilon``: near-uniform, unique solution)
down to the target, Newton at every step from the previous solution, halving the step on
failure (``method="homotopy"``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._jit import kernel
from .._result import Result
from .._validation import as_float_array, check_choice, check_positive_int, check_tolerance
from ._checks import check_payoffs

REGULARIZERS = {"entropy": 0, "log_barrier": 1}

__all__ = ["rqe", "rqe_utility", "rqe_tractable", "solve_rqe_stage", "REGULARIZERS"]


# --------------------------------------------------------------------------- kernels
@kernel
def _digit(u, j, strides, n_actions):
    return (u // strides[j]) % n_actions[j]


@kernel
def _tilt(Q, n_actions, strides, offsets, x, i, tau, p, exclude):
    """Adversary of player ``i``: writes ``p[u]`` (at every flat ``u`` with ``u_i = 0``; 0
    elsewhere) proportional to ``prod_{j != i, exclude} x_j(u_j) exp(-tau Z_i(u))``, normalised
    by the FULL product's sum (so with ``exclude = -1`` it is ``p*_i``; with ``exclude = k`` it
    is ``p*_i / x_k(u_k)``). Returns ``(log normaliser, mean-Z)``: the entropic risk is
    ``-lognorm / tau`` (``tau > 0``)."""
    N = Q.shape[0]
    n = n_actions.shape[0]
    si = strides[i]
    Ai = n_actions[i]
    oi = offsets[i]
    big = -np.inf
    for u in range(N):
        p[u] = 0.0
    # first pass: log weights of the full product (for the normaliser)
    for u in range(N):
        if _digit(u, i, strides, n_actions) != 0:
            continue
        z = 0.0
        for a in range(Ai):
            z += x[oi + a] * Q[u + a * si, i]
        lq = 0.0
        for j in range(n):
            if j != i:
                lq += math.log(x[offsets[j] + _digit(u, j, strides, n_actions)])
        val = lq - tau * z
        p[u] = val
        if val > big:
            big = val
    total = 0.0
    for u in range(N):
        if _digit(u, i, strides, n_actions) == 0:
            total += math.exp(p[u] - big)
    lognorm = big + math.log(total)
    for u in range(N):
        if _digit(u, i, strides, n_actions) == 0:
            val = p[u]
            if exclude >= 0:
                val -= math.log(x[offsets[exclude] + _digit(u, exclude, strides, n_actions)])
            p[u] = math.exp(val - lognorm)
    return lognorm


@kernel
def _risk_value(Q, n_actions, strides, offsets, x, i, tau, p):
    """The inner minimum ``rho_tau(Z_i)`` (``tau = 0``: the mean ``E_q Z_i``)."""
    lognorm = _tilt(Q, n_actions, strides, offsets, x, i, tau, p, -1)
    if tau > 0.0:
        return -lognorm / tau
    N = Q.shape[0]
    si = strides[i]
    oi = offsets[i]
    total = 0.0
    for u in range(N):
        if _digit(u, i, strides, n_actions) == 0:
            for a in range(n_actions[i]):
                total += p[u] * x[oi + a] * Q[u + a * si, i]
    return total


@kernel
def _nu(x, lo, hi, reg):
    total = 0.0
    for a in range(lo, hi):
        if reg == 0:
            if x[a] > 0.0:
                total += x[a] * math.log(x[a])
        else:
            total -= math.log(x[a])
    return total


@kernel
def _response(c, eps, reg, out):
    """Regularised best response ``phi(c)`` into ``out``; returns ``max_x [c.x - eps nu(x)]``."""
    A = c.shape[0]
    m = c[0]
    for a in range(1, A):
        if c[a] > m:
            m = c[a]
    if reg == 0:
        total = 0.0
        for a in range(A):
            out[a] = math.exp((c[a] - m) / eps)
            total += out[a]
        for a in range(A):
            out[a] /= total
        return m + eps * math.log(total)
    lam = m + eps
    for _ in range(200):
        g = -1.0
        dg = 0.0
        for a in range(A):
            d = lam - c[a]
            g += eps / d
            dg -= eps / (d * d)
        step = g / dg
        lam -= step
        if abs(step) <= 1e-16 * max(1.0, abs(lam)):
            break
    value = 0.0
    total = 0.0
    for a in range(A):
        out[a] = eps / (lam - c[a])
        total += out[a]
    for a in range(A):
        out[a] /= total
        value += c[a] * out[a] + eps * math.log(out[a])
    return value


@kernel
def _system(Q, n_actions, strides, offsets, x, tau, eps, reg, active, F, J, with_jac, C, p, w):
    """Residual ``F = x - T(x)`` (rows of inactive players: 0) and, if ``with_jac``, its
    Jacobian ``J`` (rows of inactive players: identity). ``C`` receives ``c_i`` per block.
    Returns ``max |F|``."""
    N = Q.shape[0]
    n = n_actions.shape[0]
    D = x.shape[0]
    res = 0.0
    if with_jac:
        for r in range(D):
            for s in range(D):
                J[r, s] = 0.0
            J[r, r] = 1.0
    for i in range(n):
        oi = offsets[i]
        Ai = n_actions[i]
        si = strides[i]
        _tilt(Q, n_actions, strides, offsets, x, i, tau[i], p, -1)
        for a in range(Ai):
            c = 0.0
            for u in range(N):
                if _digit(u, i, strides, n_actions) == 0:
                    c += p[u] * Q[u + a * si, i]
            C[oi + a] = c
        T = np.empty(Ai)
        _response(C[oi:oi + Ai], eps[i], reg, T)
        if not active[i]:
            for a in range(Ai):
                F[oi + a] = 0.0
            continue
        for a in range(Ai):
            F[oi + a] = x[oi + a] - T[a]
            if abs(F[oi + a]) > res:
                res = abs(F[oi + a])
        if not with_jac:
            continue
        # Dphi (Ai x Ai)
        Dphi = np.empty((Ai, Ai))
        if reg == 0:
            for a in range(Ai):
                for b in range(Ai):
                    Dphi[a, b] = -T[a] * T[b] / eps[i]
                Dphi[a, a] += T[a] / eps[i]
        else:
            s2 = 0.0
            for a in range(Ai):
                s2 += T[a] * T[a]
            for a in range(Ai):
                for b in range(Ai):
                    Dphi[a, b] = -(T[a] * T[a]) * (T[b] * T[b]) / (s2 * eps[i])
                Dphi[a, a] += T[a] * T[a] / eps[i]
        # dc_i/dx_i = -tau Cov
        Dc = np.zeros((Ai, Ai))
        if tau[i] > 0.0:
            for u in range(N):
                if _digit(u, i, strides, n_actions) != 0 or p[u] == 0.0:
                    continue
                for a in range(Ai):
                    ra = Q[u + a * si, i] - C[oi + a]
                    for b in range(Ai):
                        Dc[a, b] -= tau[i] * p[u] * ra * (Q[u + b * si, i] - C[oi + b])
        for a in range(Ai):
            for b in range(Ai):
                acc = 0.0
                for k in range(Ai):
                    acc += Dphi[a, k] * Dc[k, b]
                J[oi + a, oi + b] -= acc
        for kk in range(n):
            if kk == i:
                continue
            ok = offsets[kk]
            Ak = n_actions[kk]
            _tilt(Q, n_actions, strides, offsets, x, i, tau[i], w, kk)
            Dk = np.zeros((Ai, Ak))
            for u in range(N):
                if _digit(u, i, strides, n_actions) != 0 or w[u] == 0.0:
                    continue
                d = _digit(u, kk, strides, n_actions)
                for a in range(Ai):
                    Dk[a, d] += w[u] * (Q[u + a * si, i] - C[oi + a])
            for a in range(Ai):
                for d in range(Ak):
                    acc = 0.0
                    for k in range(Ai):
                        acc += Dphi[a, k] * Dk[k, d]
                    J[oi + a, ok + d] -= acc
    return res


@kernel
def _solve_linear(J, rhs, out):
    """Gaussian elimination with partial pivoting; returns False if (numerically) singular."""
    D = rhs.shape[0]
    M = J.copy()
    b = rhs.copy()
    scale = 0.0
    for r in range(D):
        for s in range(D):
            scale = max(scale, abs(M[r, s]))
    for col in range(D):
        piv = col
        for r in range(col + 1, D):
            if abs(M[r, col]) > abs(M[piv, col]):
                piv = r
        if abs(M[piv, col]) <= 1e-14 * max(scale, 1e-300):
            return False
        if piv != col:
            for s in range(D):
                t = M[col, s]
                M[col, s] = M[piv, s]
                M[piv, s] = t
            t = b[col]
            b[col] = b[piv]
            b[piv] = t
        for r in range(col + 1, D):
            f = M[r, col] / M[col, col]
            if f != 0.0:
                for s in range(col, D):
                    M[r, s] -= f * M[col, s]
                b[r] -= f * b[col]
    for r in range(D - 1, -1, -1):
        acc = b[r]
        for s in range(r + 1, D):
            acc -= M[r, s] * out[s]
        out[r] = acc / M[r, r]
    return True


@kernel
def _newton(Q, n_actions, strides, offsets, x, tau, eps, reg, active, tol, max_iter):
    """Damped Newton on ``F(x) = x - T(x)`` in place on ``x``; returns
    ``(residual, iterations, converged)``."""
    N = Q.shape[0]
    D = x.shape[0]
    n = n_actions.shape[0]
    F = np.empty(D)
    Fn = np.empty(D)
    J = np.empty((D, D))
    C = np.empty(D)
    p = np.empty(N)
    w = np.empty(N)
    step = np.empty(D)
    trial = np.empty(D)
    res = _system(Q, n_actions, strides, offsets, x, tau, eps, reg, active, F, J, True, C, p, w)
    it = 0
    while it < max_iter:
        if res <= tol:
            return res, it, True
        it += 1
        for r in range(D):
            Fn[r] = -F[r]
        if not _solve_linear(J, Fn, step):
            return res, it, False
        t = 1.0
        accepted = False
        for _ in range(60):
            ok = True
            for r in range(D):
                trial[r] = x[r] + t * step[r]
                if not trial[r] > 0.0:
                    ok = False
            if ok:
                for i in range(n):
                    s = 0.0
                    for a in range(n_actions[i]):
                        s += trial[offsets[i] + a]
                    for a in range(n_actions[i]):
                        trial[offsets[i] + a] /= s
                new = _system(Q, n_actions, strides, offsets, trial, tau, eps, reg, active, Fn, J, False, C, p, w)
                if new < (1.0 - 1e-4 * t) * res or new <= tol:
                    accepted = True
                    break
            t *= 0.5
        if not accepted:
            return res, it, False
        for r in range(D):
            x[r] = trial[r]
        res = _system(Q, n_actions, strides, offsets, x, tau, eps, reg, active, F, J, True, C, p, w)
    return res, it, res <= tol


@kernel
def _utility(Q, n_actions, strides, offsets, x, i, tau, eps, reg, p):
    lo = offsets[i]
    return _risk_value(Q, n_actions, strides, offsets, x, i, tau, p) - eps * _nu(x, lo, lo + n_actions[i], reg)


@kernel
def _certificates(Q, n_actions, strides, offsets, x, tau, eps, reg, gain, bound, values):
    """Per player: exploitability (best response by Newton), the linearisation bound and
    the regularised utility. Returns the residual ``max|x - T(x)|``."""
    N = Q.shape[0]
    D = x.shape[0]
    n = n_actions.shape[0]
    p = np.empty(N)
    w = np.empty(N)
    F = np.empty(D)
    J = np.empty((1, 1))
    C = np.empty(D)
    active = np.ones(n, dtype=np.bool_)
    res = _system(Q, n_actions, strides, offsets, x, tau, eps, reg, active, F, J, False, C, p, w)
    for i in range(n):
        oi = offsets[i]
        Ai = n_actions[i]
        u0 = _utility(Q, n_actions, strides, offsets, x, i, tau[i], eps[i], reg, p)
        values[i] = u0
        T = np.empty(Ai)
        top = _response(C[oi:oi + Ai], eps[i], reg, T)
        lin = 0.0
        for a in range(Ai):
            lin += C[oi + a] * x[oi + a]
        bound[i] = max(0.0, top - (lin - eps[i] * _nu(x, oi, oi + Ai, reg)))
        y = x.copy()
        mask = np.zeros(n, dtype=np.bool_)
        mask[i] = True
        _newton(Q, n_actions, strides, offsets, y, tau, eps, reg, mask, 1e-14, 100)
        gain[i] = max(0.0, _utility(Q, n_actions, strides, offsets, y, i, tau[i], eps[i], reg, p) - u0)
    return res


@kernel
def solve_rqe_stage(Q, n_actions, tau, eps, reg, x, tol, max_iter):
    """Compiled entry (nopython-callable): Newton from the profile in ``x`` (flat,
    concatenated per player, overwritten). ``Q`` (N, n) flat payoffs (C order, last player
    fastest). Returns ``(residual, iterations, converged)``."""
    n = n_actions.shape[0]
    strides = np.empty(n, dtype=np.int64)
    offsets = np.empty(n, dtype=np.int64)
    s = 1
    for j in range(n - 1, -1, -1):
        strides[j] = s
        s *= n_actions[j]
    o = 0
    for j in range(n):
        offsets[j] = o
        o += n_actions[j]
    active = np.ones(n, dtype=np.bool_)
    return _newton(Q, n_actions, strides, offsets, x, tau, eps, reg, active, tol, max_iter)


# --------------------------------------------------------------------------- public layer
def _layout(n_actions):
    n = len(n_actions)
    strides = np.empty(n, dtype=np.int64)
    s = 1
    for j in range(n - 1, -1, -1):
        strides[j] = s
        s *= int(n_actions[j])
    offsets = np.concatenate([[0], np.cumsum(n_actions)[:-1]]).astype(np.int64)
    return strides, offsets


def _per_player(value, name, n, *, positive):
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a real number or a sequence of {n}, got a bool")
    if isinstance(value, numbers.Real):
        arr = np.full(n, float(value))
    else:
        arr = as_float_array(value, name, ndim=1)
        if arr.shape != (n,):
            raise ValueError(f"{name} must be a number or have one entry per player ({n}), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, got {arr}")
    if positive and not (arr > 0).all():
        raise ValueError(f"{name} must be > 0 for every player, got {arr}")
    if not positive and not (arr >= 0).all():
        raise ValueError(f"{name} must be >= 0 for every player, got {arr}")
    return np.ascontiguousarray(arr)


def rqe_tractable(tau, epsilon):
    """The tractability condition of 2406.14156 as checked in the authors' notebook
    (docs/theory.md section 7.2): ``eps_1 tau_1 eps_2 tau_2 > 1``.

    Two players only: for ``n > 2`` no payoff-independent condition is confirmed (the paper's
    monotonicity argument pairs each player with one adversary; we do not know a stated
    n-player form), so a ``ValueError`` is raised. ``tau`` and ``epsilon``: a number or one
    entry per player (2).
    """
    tau = _per_player(tau, "tau", 2, positive=False)
    eps = _per_player(epsilon, "epsilon", 2, positive=True)
    return bool(eps[0] * tau[0] * eps[1] * tau[1] > 1.0)


def rqe_utility(payoffs, strategies, player, tau, epsilon, regularizer="entropy"):
    """Player ``player``'s regularised RQE utility ``U_i(x)`` by the closed form (numpy).

    ``U_i = -(1/tau_i) log sum_b q_{-i}(b) exp(-tau_i (x_i^T R_i)(b)) - eps_i nu(x_i)``
    (docs/theory.md section 7.1; the inner minimum over the adversary's joint distribution
    of the others, see the module docstring). ``tau_i = 0`` gives the mean.
    """
    U, n_actions = check_payoffs(payoffs)
    n = len(n_actions)
    reg = check_choice(regularizer, "regularizer", tuple(REGULARIZERS))
    xs = _strategies(strategies, n_actions)
    tau = _per_player(tau, "tau", n, positive=False)
    eps = _per_player(epsilon, "epsilon", n, positive=True)
    i = int(player)
    Ri = np.moveaxis(U[..., i], i, 0)  # (A_i, others...)
    Z = np.tensordot(xs[i], Ri, axes=(0, 0))  # over the others' joint actions
    q = np.ones(())
    for j in range(n):
        if j != i:
            q = np.multiply.outer(q, xs[j])
    if tau[i] == 0:
        risk = float((q * Z).sum())
    else:
        L = np.where(q > 0, np.log(np.where(q > 0, q, 1.0)) - tau[i] * Z, -np.inf)
        m = L.max()
        risk = float(-(m + np.log(np.exp(L - m).sum())) / tau[i])
    x = xs[i]
    if reg == "entropy":
        nu = float(np.sum(np.where(x > 0, x * np.log(np.where(x > 0, x, 1.0)), 0.0)))
    else:
        nu = float(-np.sum(np.log(x)))
    return risk - eps[i] * nu


def _strategies(strategies, n_actions):
    if len(strategies) != len(n_actions):
        raise ValueError(f"strategies must give one strategy per player ({len(n_actions)}), got {len(strategies)}")
    out = []
    for i, (s, a) in enumerate(zip(strategies, n_actions)):
        arr = as_float_array(s, f"strategies[{i}]", ndim=1)
        if arr.shape != (a,):
            raise ValueError(f"strategies[{i}] must have {a} entries, got {arr.shape}")
        if (arr < 0).any() or abs(arr.sum() - 1) > 1e-8:
            raise ValueError(f"strategies[{i}] must be a probability vector")
        out.append(arr)
    return out


def rqe(payoffs, tau, epsilon, regularizer: str = "entropy", *, tol: float = 1e-13, max_iter: int = 100,
        x0=None) -> Result:
    """Risk-averse quantal response equilibrium of an n-player matrix game.

    Player ``i`` maximises
    ``min_p [E_{a_i ~ x_i, a_-i ~ p} R_i + (1/tau_i) KL(p || x_-i)] - epsilon_i nu(x_i)``
    (docs/theory.md section 7; arXiv 2406.14156), ``nu(x) = sum x log x`` (``"entropy"``)
    or ``-sum log x`` (``"log_barrier"``). Compiled damped Newton on the first-order
    conditions ``x_i = phi_i(R_i p*_i)`` from the uniform profile (or ``x0``), falling back
    to a homotopy in ``epsilon`` when Newton fails; see the module docstring for the
    derivation, the Jacobian and the certificates.

    Parameters
    ----------
    payoffs : array_like (A_1, ..., A_n, n)
        Rewards, player on the last axis.
    tau : float or sequence of n floats
        Risk aversion ``tau_i >= 0`` (KL price ``1/tau_i``; ``0`` = risk neutral).
    epsilon : float or sequence of n floats
        Bounded rationality ``epsilon_i > 0``.
    regularizer : {"entropy", "log_barrier"}
    tol : float
        Target first-order residual ``max_i ||x_i - phi_i(c_i(x))||_inf``.
    max_iter : int
        Newton iterations per solve.
    x0 : sequence of n strategies, optional
        Start (default uniform); used to find other equilibria outside the tractable region.

    Returns
    -------
    Result
        ``strategies`` (list of arrays), ``policy`` (product, ``(A_1, ..., A_n)``),
        ``adversaries`` (list: ``p*_i`` over the others' joint actions, shape
        ``(A_1..A_n without A_i)``), ``values`` (regularised utilities ``U_i``),
        ``residual``, ``exploitability`` (per player, best regularised deviation gain),
        ``exploitability_bound`` (per player, linearisation bound, always valid),
        ``tractable`` (2 players: ``eps_1 tau_1 eps_2 tau_2 > 1``; ``None`` for n != 2),
        ``unique_certain`` (True only when tractable and converged), ``converged``,
        ``method`` (``"newton"`` or ``"homotopy"``), ``iterations``.
    """
    U, n_actions = check_payoffs(payoffs)
    n = len(n_actions)
    reg_name = check_choice(regularizer, "regularizer", tuple(REGULARIZERS))
    reg = REGULARIZERS[reg_name]
    tau_a = _per_player(tau, "tau", n, positive=False)
    eps_a = _per_player(epsilon, "epsilon", n, positive=True)
    tol = check_tolerance(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    Q = np.ascontiguousarray(U.reshape(-1, n))
    na = np.ascontiguousarray(n_actions, dtype=np.int64)
    if x0 is None:
        start = np.concatenate([np.full(a, 1.0 / a) for a in n_actions])
    else:
        start = np.concatenate(_strategies(x0, n_actions))
        if not (start > 0).all():
            raise ValueError("x0 must have positive entries (the regularised equilibrium is interior)")
    x = start.copy()
    res, iters, ok = solve_rqe_stage(Q, na, tau_a, eps_a, reg, x, tol, max_iter)
    method = "newton"
    if not ok:
        x, res, iters, ok = _homotopy(Q, na, tau_a, eps_a, reg, start, tol, max_iter, U)
        method = "homotopy"
    strides, offsets = _layout(na)
    gain = np.empty(n)
    bound = np.empty(n)
    values = np.empty(n)
    residual = _certificates(Q, na, strides, offsets, x, tau_a, eps_a, reg, gain, bound, values)
    xs = [x[offsets[i]:offsets[i] + n_actions[i]].copy() for i in range(n)]
    adversaries = []
    p = np.empty(Q.shape[0])
    for i in range(n):
        _tilt(Q, na, strides, offsets, x, i, tau_a[i], p, -1)
        full = p.reshape(tuple(n_actions))
        adversaries.append(np.take(full, 0, axis=i).copy())
    policy = xs[0]
    for s in xs[1:]:
        policy = np.multiply.outer(policy, s)
    tractable = bool(eps_a[0] * tau_a[0] * eps_a[1] * tau_a[1] > 1.0) if n == 2 else None
    return Result(
        strategies=xs,
        policy=policy,
        adversaries=adversaries,
        values=values,
        residual=float(residual),
        exploitability=gain,
        exploitability_bound=bound,
        tractable=tractable,
        unique_certain=bool(tractable and ok),
        converged=bool(ok),
        method=method,
        iterations=int(iters),
        regularizer=reg_name,
    )


def _homotopy(Q, na, tau, eps, reg, start, tol, max_iter, U):
    """Follow the solution from large epsilon (near uniform) down to ``eps``."""
    spread = max(float(U.max() - U.min()), 1e-12)
    k = max(0.0, math.ceil(math.log2(10.0 * spread * (1.0 + tau.max() * spread) / eps.min())))
    x = np.concatenate([np.full(a, 1.0 / a) for a in na])
    level = float(k)
    step = 1.0
    total = 0
    res = np.inf
    while True:
        cur = eps * 2.0 ** level
        trial = x.copy()
        res, it, ok = solve_rqe_stage(Q, na, tau, cur, reg, trial, tol if level == 0 else 1e-10, max_iter)
        total += it
        if ok:
            x = trial
            if level == 0:
                return x, res, total, True
            step = min(step * 1.5, 1.0)
            level = max(0.0, level - step)
        else:
            if level == k:  # even the start failed
                return trial, res, total, False
            level += step
            step /= 2.0
            level -= step
            if step < 1e-6:
                return x, res, total, False
