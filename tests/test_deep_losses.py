"""The deep agents' targets (robustgames.deep._losses) against their formulas on
hand-made batches, and against the exact tabular operators of
robustgames.factorization._targets on tabular batches (every (row, next state) pair
weighted by P0: the mean of the sample target must be the exact operator)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from robustgames.deep import losses as L  # noqa: E402
from robustgames.deep._mappo import c51_project_torch, entropic_risk_torch  # noqa: E402
from robustgames.factorization import g_network_eta, target_values, tv_dual_eta  # noqa: E402
from robustgames.risk import c51_project, entropic_risk  # noqa: E402

T = lambda x: torch.tensor(x, dtype=torch.float64)  # noqa: E731


# -- hand-made batch: numbers worked out by hand --------------------------------------
R_ = [1.0, 0.0, -1.0]
V_ = [2.0, -3.0, 5.0]
D_ = [0.0, 0.0, 1.0]  # the third next state is a pinned terminal: V = 0 there
G, RHO = 0.5, 0.2


def test_contamination_exact_hand():
    # masked v = (2, -3, 0); batch minimum -3
    y = L.contamination_exact_target(T(R_), T(V_), T(D_), G, RHO)
    want = [1 + 0.5 * (0.8 * 2 + 0.2 * -3), 0 + 0.5 * (0.8 * -3 + 0.2 * -3), -1 + 0.5 * (0 + 0.2 * -3)]
    np.testing.assert_allclose(y.numpy(), want, atol=1e-14)
    assert float(L.batch_min(T(V_), T(D_))) == -3.0
    y2 = L.contamination_exact_target(T(R_), T(V_), T(D_), G, RHO, v_min=-10.0)
    np.testing.assert_allclose(y2.numpy(), [1 + 0.5 * (1.6 - 2), 0.5 * (-2.4 - 2), -1 + 0.5 * -2], atol=1e-14)


def test_batch_min_per_step_hand():
    # next steps (1, 2, 1, 2); row 4's next state is terminal (masked to 0)
    v = T([3.0, 1.0, 2.0, 5.0])
    d = T([0.0, 0.0, 0.0, 1.0])
    m = L.batch_min_per_step(v, d, [1, 2, 1, 2])
    np.testing.assert_allclose(m.numpy(), [2.0, 0.0, 2.0, 0.0], atol=0)
    # one step only: every row gets the plain batch minimum
    np.testing.assert_allclose(L.batch_min_per_step(v, d, [3, 3, 3, 3]).numpy(), [0.0] * 4, atol=0)
    # used as v_min, per row: y = r + c [(1 - rho) v + rho m_row]
    y = L.contamination_exact_target(T([0.0] * 4), v, d, 1.0, 0.5, v_min=m)
    np.testing.assert_allclose(y.numpy(), [0.5 * 3 + 0.5 * 2, 0.5 * 1 + 0, 0.5 * 2 + 0.5 * 2, 0.0], atol=1e-14)


def test_contamination_code_and_nonrobust_hand():
    np.testing.assert_allclose(L.contamination_target(T(R_), T(V_), T(D_), G, RHO).numpy(),
                               [1 + 0.5 * 0.8 * 2, 0.5 * 0.8 * -3, -1.0], atol=1e-14)
    np.testing.assert_allclose(L.nonrobust_target(T(R_), T(V_), T(D_), G).numpy(), [2.0, -1.5, -1.0], atol=1e-14)


def test_g_network_hand():
    g = T([1.0, 1.0, -1.0])
    # (g - v)_+ = (0, 4, 0); target r + G [(0.8 g) - (g - v)_+]
    np.testing.assert_allclose(L.g_network_target(T(R_), T(V_), T(D_), g, G, RHO).numpy(),
                               [1 + 0.5 * 0.8, 0.5 * (0.8 - 4), -1 + 0.5 * -0.8], atol=1e-14)
    # loss: mean of ((g - v)_+ - 0.8 g)^2 = mean(0.64, 10.24, 0.64)
    assert float(L.g_network_loss(g, T(V_), T(D_), RHO)) == pytest.approx((0.64 + 3.2 ** 2 + 0.64) / 3, abs=1e-14)


def test_tv_dual_hand():
    eta = T([3.0, -4.0, 1.0])
    # (eta - v)_+ = (1, 0, 1); with min: + G rho (-3)
    base = [1 + 0.5 * (0.8 * 3 - 1), 0.5 * (0.8 * -4), -1 + 0.5 * (0.8 - 1)]
    np.testing.assert_allclose(L.tv_dual_target(T(R_), T(V_), T(D_), eta, G, RHO, with_min=False).numpy(), base,
                               atol=1e-14)
    np.testing.assert_allclose(L.tv_dual_target(T(R_), T(V_), T(D_), eta, G, RHO).numpy(),
                               np.array(base) + 0.5 * 0.2 * -3, atol=1e-14)
    assert float(L.tv_dual_objective(eta, T(V_), T(D_), RHO)) == pytest.approx((1.4 - 3.2 - 0.2) / 3, abs=1e-14)
    assert float(L.tv_dual_loss(eta, T(V_), T(D_), RHO)) == pytest.approx(-(1.4 - 3.2 - 0.2) / 3, abs=1e-14)


def test_groupdr_and_td_hand():
    gr = T([[1.0, 0.5], [0.0, 2.0], [-1.0, -2.0]])
    np.testing.assert_allclose(L.groupdr_target(gr, T(V_), T(D_), G).numpy(), [1.5, -1.5, -2.0], atol=1e-14)
    q = T([0.0, 1.0]).requires_grad_()
    loss = L.td_loss(q, T([1.0, 3.0]))
    assert float(loss.detach()) == pytest.approx((1 + 4) / 4)
    loss.backward()
    np.testing.assert_allclose(q.grad.numpy(), [-0.5, -1.0])


# -- tabular batches against the exact operators -------------------------------------
def _tabular(rng, R=6, S=5, rho=0.3, gamma=0.9, signs=True):
    P = rng.dirichlet(np.full(S, 0.7), size=R)
    P[0, 1] = 0.0  # a zero-probability pair stays in the batch with weight 0
    P[0] /= P[0].sum()
    V = rng.normal(size=S) * 3 + (0.0 if signs else 10.0)
    r = rng.normal(size=R)
    # batch: every (row k, next state s') with weight P[k, s']
    k, sp = np.meshgrid(np.arange(R), np.arange(S), indexing="ij")
    return P, V, r, rho, gamma, k.ravel(), sp.ravel()


def _mean_per_row(y, P, R):
    return (y.numpy().reshape(R, -1) * P).sum(axis=1)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("signs", [True, False])
def test_contamination_targets_equal_exact_operators(seed, signs):
    rng = np.random.default_rng(seed)
    P, V, r, rho, gamma, k, sp = _tabular(rng, signs=signs)
    R = P.shape[0]
    done = T(np.zeros(k.size))
    y = L.contamination_exact_target(T(r[k]), T(V[sp]), done, gamma, rho)  # batch covers every state
    np.testing.assert_allclose(_mean_per_row(y, P, R),
                               target_values("contamination_exact", P, V, rho, c=gamma, r=r), atol=1e-12)
    y = L.contamination_target(T(r[k]), T(V[sp]), done, gamma, rho)
    np.testing.assert_allclose(_mean_per_row(y, P, R), target_values("contamination", P, V, rho, c=gamma, r=r),
                               atol=1e-12)
    y = L.nonrobust_target(T(r[k]), T(V[sp]), done, gamma)
    np.testing.assert_allclose(_mean_per_row(y, P, R), target_values("contamination", P, V, 0.0, c=gamma, r=r),
                               atol=1e-12)


def test_batch_minimum_is_optimistic_when_the_minimiser_is_missing():
    rng = np.random.default_rng(7)
    P, V, r, rho, gamma, k, sp = _tabular(rng)
    keep = sp != int(np.argmin(V))
    y = L.contamination_exact_target(T(r[k[keep]]), T(V[sp[keep]]), T(np.zeros(keep.sum())), gamma, rho)
    exact = L.contamination_exact_target(T(r[k[keep]]), T(V[sp[keep]]), T(np.zeros(keep.sum())), gamma, rho,
                                         v_min=V.min())
    assert (y.numpy() > exact.numpy()).all()


@pytest.mark.parametrize("seed", range(5))
def test_tv_targets_equal_exact_operators(seed):
    rng = np.random.default_rng(seed)
    P, V, r, rho, gamma, k, sp = _tabular(rng)
    R = P.shape[0]
    done = T(np.zeros(k.size))
    eta, phi = tv_dual_eta(P, V, rho)
    w = T(P.ravel())
    for with_min, name in ((True, "tv_exact"), (False, "tv_dual")):
        y = L.tv_dual_target(T(r[k]), T(V[sp]), done, T(eta[k]), gamma, rho, with_min=with_min)
        np.testing.assert_allclose(_mean_per_row(y, P, R), target_values(name, P, V, rho, c=gamma, r=r), atol=1e-12)
    # the torch objective is the dual: its value at eta* is phi, and eta* maximises it (grid)
    for row in range(R):
        sel = k == row
        obj = lambda e: float(L.tv_dual_objective(T(np.full(sel.sum(), e)), T(V[sp[sel]]),  # noqa: E731
                                                  T(np.zeros(sel.sum())), rho, weights=T(P[row])))
        assert obj(eta[row]) == pytest.approx(phi[row], abs=1e-12)
        grid = np.linspace(V.min() - 2, V.max() + 2, 401)
        assert max(obj(e) for e in grid) <= phi[row] + 1e-12
    assert float(L.tv_dual_loss(T(eta[k]), T(V[sp]), done, rho, weights=w)) == pytest.approx(-phi.sum(), abs=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_g_network_target_and_loss_equal_exact_operator(seed):
    rng = np.random.default_rng(seed)
    P, V, r, rho, gamma, k, sp = _tabular(rng)
    R = P.shape[0]
    done = T(np.zeros(k.size))
    g, term, best = g_network_eta(P, V, rho)
    y = L.g_network_target(T(r[k]), T(V[sp]), done, T(g[k]), gamma, rho)
    np.testing.assert_allclose(_mean_per_row(y, P, R), target_values("g_network", P, V, rho, c=gamma, r=r),
                               atol=1e-12)
    # the published squared loss at the exact minimiser, and brute force over a grid (independent)
    for row in range(R):
        sel = k == row
        loss = lambda e: float(L.g_network_loss(T(np.full(sel.sum(), e)), T(V[sp[sel]]),  # noqa: E731
                                                T(np.zeros(sel.sum())), rho, weights=T(P[row])))
        assert loss(g[row]) == pytest.approx(best[row], abs=1e-12)
        grid = np.linspace(V.min() - 3, V.max() + 3, 2001)
        assert min(loss(e) for e in grid) >= best[row] - 1e-12


def test_g_network_ignores_the_future_when_values_are_nonnegative():
    # docs/theory.md 6.2: V >= 0 on the support -> g = 0, target = r
    V = T([0.5, 2.0, 1.0])
    gs = np.linspace(-2, 3, 501)
    losses = [float(L.g_network_loss(T(np.full(3, e)), V, None, 0.2)) for e in gs]
    assert abs(gs[int(np.argmin(losses))]) < 1e-12
    assert float(L.g_network_target(T([0.7]), T([2.0]), None, T([0.0]), 0.9, 0.2)[0]) == pytest.approx(0.7)


@pytest.mark.parametrize("seed", range(3))
def test_groupdr_target_equals_exact_operator(seed):
    rng = np.random.default_rng(seed)
    P, V, r, rho, gamma, k, sp = _tabular(rng)
    R = P.shape[0]
    grp = rng.normal(size=(3, R))
    y = L.groupdr_target(T(grp[:, k].T), T(V[sp]), T(np.zeros(k.size)), gamma)
    np.testing.assert_allclose(_mean_per_row(y, P, R),
                               target_values("groupdr", P, V, rho, c=gamma, r=r, group_rewards=grp), atol=1e-12)


def test_terminal_mask_pins_next_value():
    y = L.contamination_exact_target(T([0.0]), T([5.0]), T([1.0]), 0.9, 0.5)
    assert float(y[0]) == 0.0


# -- the MAPPO critic's helpers against robustgames.risk (independent numpy code) ------
@pytest.mark.parametrize("tau", [0.0, 0.3, 2.0])
def test_entropic_risk_torch(tau):
    rng = np.random.default_rng(1)
    z = np.linspace(-3, 4, 11)
    p = rng.dirichlet(np.ones(11))
    got = float(entropic_risk_torch(T(z), T(np.log(p)), tau))
    assert got == pytest.approx(float(entropic_risk(z, p, tau)), abs=1e-12)


def test_c51_projection_torch_matches_numpy():
    rng = np.random.default_rng(2)
    grid = np.linspace(-2, 2, 9)
    for _ in range(20):
        atoms = rng.uniform(-1.9, 1.9, size=9)
        atoms[0] = grid[3]  # an atom on a grid point keeps its mass there
        p = rng.dirichlet(np.ones(9))
        got = c51_project_torch(T(atoms)[None], T(p)[None], T(grid))[0].numpy()
        np.testing.assert_allclose(got, c51_project(atoms, p, grid), atol=1e-12)
