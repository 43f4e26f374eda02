"""Stage RQE (docs/theory.md section 7) against independent references: the inner minimum
as a convex programme (cvxpy), each player's regularised best response by scipy, and the
certificates' validity on non-equilibrium profiles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax

from robustgames.equilibria._rqe import _homotopy, rqe, rqe_tractable, rqe_utility


def _others_product(xs, i):
    q = np.ones(())
    for j, x in enumerate(xs):
        if j != i:
            q = np.multiply.outer(q, x)
    return q


def _primal_utility(U, xs, i, tau, eps, reg):
    """min over joint p of the others (cvxpy, exponential cone) of E R + KL(p||q)/tau, minus eps nu."""
    import cvxpy as cp

    Ri = np.moveaxis(U[..., i], i, 0)
    Z = np.tensordot(xs[i], Ri, axes=(0, 0)).reshape(-1)
    q = _others_product(xs, i).reshape(-1)
    p = cp.Variable(q.size, nonneg=True)
    prob = cp.Problem(cp.Minimize(Z @ p + cp.sum(cp.rel_entr(p, q)) / tau), [cp.sum(p) == 1])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9)
    x = xs[i]
    nu = np.sum(x * np.log(x)) if reg == "entropy" else -np.sum(np.log(x))
    return prob.value - eps * nu


def _utility_np(U, xs, i, tau, eps, reg):
    """Closed form written independently of the package: logsumexp over the others."""
    Ri = np.moveaxis(U[..., i], i, 0)
    Z = np.tensordot(xs[i], Ri, axes=(0, 0)).reshape(-1)
    q = _others_product(xs, i).reshape(-1)
    risk = -logsumexp(-tau * Z, b=q) / tau
    x = xs[i]
    nu = np.sum(x * np.log(x)) if reg == "entropy" else -np.sum(np.log(x))
    return risk - eps * nu


def _scipy_gain(U, xs, i, tau, eps, reg, starts=3, seed=0):
    """max over x_i' of U_i(x_i', x_-i) - U_i(x) by L-BFGS over softmax logits."""
    rng = np.random.default_rng(seed)
    base = _utility_np(U, xs, i, tau, eps, reg)
    A = xs[i].size
    best = -np.inf

    def neg(theta):
        ys = list(xs)
        ys[i] = softmax(np.concatenate([[0.0], theta]))
        return -_utility_np(U, ys, i, tau, eps, reg)

    inits = [np.log(xs[i][1:] / xs[i][0])] + [rng.normal(size=A - 1) for _ in range(starts)]
    for th in inits:
        r = minimize(neg, th, method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 2000})
        best = max(best, -r.fun)
    return best - base


@pytest.mark.parametrize("shape", [(2, 2, 2), (3, 2, 2), (2, 2, 2, 3)])
def test_inner_minimum_closed_form_matches_convex_programme(shape):
    rng = np.random.default_rng(sum(shape))
    U = rng.normal(size=shape)
    n = len(shape) - 1
    for _ in range(3):
        xs = [rng.dirichlet(np.ones(a)) for a in shape[:-1]]
        for reg in ("entropy", "log_barrier"):
            for i in range(n):
                tau = float(rng.uniform(0.2, 3))
                closed = rqe_utility(U, xs, i, tau, 0.7, reg)
                assert closed == pytest.approx(_primal_utility(U, xs, i, tau, 0.7, reg), abs=1e-6)
                assert closed == pytest.approx(_utility_np(U, xs, i, tau, 0.7, reg), abs=1e-12)
    # the per-action entropic risk is a different (larger) number
    xs = [np.array([0.5, 0.5]), np.array([0.5, 0.5])]
    M = np.stack([np.array([[1.0, -1.0], [-1.0, 1.0]]), np.zeros((2, 2))], axis=-1)
    per_action = np.mean([-np.log(0.5 * np.exp(-M[a, :, 0]).sum()) for a in range(2)])
    assert abs(rqe_utility(M, xs, 0, 1.0, 1e-9, "entropy") - per_action) > 0.1


@pytest.mark.parametrize("reg", ["entropy", "log_barrier"])
def test_rqe_certificates_inside_tractable_region(reg):
    rng = np.random.default_rng(5 if reg == "entropy" else 6)
    shapes = [(2, 2, 2), (3, 3, 2), (4, 2, 2), (5, 5, 2), (2, 2, 2, 3), (3, 2, 2, 3)]
    for shape in shapes:
        n = len(shape) - 1
        U = rng.uniform(-1, 1, size=shape)
        tau = rng.uniform(1.1, 3.0, size=n)
        eps = rng.uniform(1.0, 2.0, size=n)
        res = rqe(U, tau, eps, reg)
        assert res.converged and res.residual <= 1e-9
        assert res.exploitability.max() <= 1e-9 and res.exploitability_bound.max() <= 1e-9
        if n == 2:
            assert res.tractable and res.unique_certain
        else:
            assert res.tractable is None and not res.unique_certain
        for i in range(n):
            assert _scipy_gain(U, res.strategies, i, tau[i], eps[i], reg) <= 1e-9
            assert res.values[i] == pytest.approx(_utility_np(U, res.strategies, i, tau[i], eps[i], reg), abs=1e-12)


def test_certificates_are_valid_off_equilibrium():
    """On arbitrary profiles: scipy gain <= bound, and the solver's best-response gain equals scipy's."""
    from robustgames.equilibria._rqe import REGULARIZERS, _certificates, _layout

    rng = np.random.default_rng(9)
    for reg in ("entropy", "log_barrier"):
        for shape in [(3, 3, 2), (2, 3, 2, 3)]:
            U = rng.normal(size=shape)
            n = len(shape) - 1
            xs = [rng.dirichlet(np.ones(a)) for a in shape[:-1]]
            tau = np.full(n, 0.8)
            eps = np.full(n, 0.5)
            na = np.array(shape[:-1], dtype=np.int64)
            strides, offsets = _layout(na)
            gain, bound, vals = np.empty(n), np.empty(n), np.empty(n)
            _certificates(np.ascontiguousarray(U.reshape(-1, n)), na, strides, offsets, np.concatenate(xs),
                          tau, eps, REGULARIZERS[reg], gain, bound, vals)
            for i in range(n):
                ref = _scipy_gain(U, xs, i, tau[i], eps[i], reg)
                assert ref > 1e-4
                assert gain[i] == pytest.approx(ref, abs=1e-8)
                assert ref <= bound[i] + 1e-9


def test_outside_region_and_other_equilibria():
    """Coordination game, small epsilon and tau: several RQE; the solver reports it cannot be sure."""
    M = np.eye(2)
    U = np.stack([M, M], axis=-1)
    a = rqe(U, 0.05, 0.1)
    assert a.converged and not a.tractable and not a.unique_certain
    b = rqe(U, 0.05, 0.1, x0=[np.array([0.9, 0.1]), np.array([0.9, 0.1])])
    assert b.converged and b.exploitability.max() <= 1e-9
    assert np.abs(a.strategies[0] - b.strategies[0]).max() > 0.3  # a different equilibrium
    for res in (a, b):
        for i in range(2):
            assert _scipy_gain(U, res.strategies, i, 0.05, 0.1, "entropy") <= 1e-9


def test_homotopy_path_reaches_the_newton_solution():
    rng = np.random.default_rng(11)
    U = rng.uniform(-1, 1, size=(3, 3, 2))
    tau, eps = np.array([1.5, 2.0]), np.array([1.0, 0.8])
    direct = rqe(U, tau, eps)
    Q = np.ascontiguousarray(U.reshape(-1, 2))
    x, res, _, ok = _homotopy(Q, np.array([3, 3], dtype=np.int64), tau, eps, 0, None, 1e-13, 100, U)
    assert ok and res <= 1e-12
    assert np.abs(x - np.concatenate(direct.strategies)).max() <= 1e-10


def test_tractability_condition_and_errors():
    assert rqe_tractable(1.1, 1.0) and not rqe_tractable(0.9, 1.0)
    assert rqe_tractable([2.0, 1.0], [1.0, 0.6]) and not rqe_tractable([2.0, 1.0], [1.0, 0.4])
    U = np.zeros((2, 2, 2))
    with pytest.raises(ValueError, match="epsilon"):
        rqe(U, 1.0, 0.0)
    with pytest.raises(ValueError, match="tau"):
        rqe(U, -1.0, 1.0)
    with pytest.raises(ValueError, match="tau"):
        rqe(U, [1.0, 1.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="regularizer"):
        rqe(U, 1.0, 1.0, "l2")
    with pytest.raises(ValueError, match="payoffs"):
        rqe(np.zeros((2, 2, 3)), 1.0, 1.0)
