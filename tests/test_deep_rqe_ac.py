"""The RQE actor-critic (robustgames.deep._rqe_ac): its tilted advantage against an
independent numerical inner minimum and finite differences, its fixed point against
rg.rqe's stage RQE, and the agent on the one-shot penalty game where the RQE is unique."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import robustgames as rg  # noqa: E402
from robustgames.deep import entropic_loss, tilted_advantage, train_rqe_actor_critic  # noqa: E402
from robustgames.risk import entropic_risk  # noqa: E402
from robustgames.games import penalty_game  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


T = lambda x: torch.tensor(np.asarray(x)[None], dtype=torch.float64)  # noqa: E731


def _inner_min_numeric(Q, x, q, tau):
    """min_p [E_p Z + KL(p || q)/tau] over the simplex, by scipy (independent of the closed form)."""
    from scipy.optimize import minimize

    Z = x @ Q

    def f(w):
        p = np.exp(w - w.max())
        p /= p.sum()
        return p @ Z + (p * np.log(p / q)).sum() / tau

    best = min((minimize(f, np.random.default_rng(k).normal(size=len(q)), method="Nelder-Mead",
                         options=dict(xatol=1e-12, fatol=1e-14, maxiter=20000)) for k in range(3)),
               key=lambda r: r.fun)
    return best.fun


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("tau", [0.5, 3.0])
def test_tilted_advantage_is_the_inner_minimum_and_its_gradient(seed, tau):
    rng = np.random.default_rng(seed)
    Q = rng.normal(size=(3, 4))
    x, q = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(4))
    c, rho = tilted_advantage(T(Q), T(x), T(q), tau)
    assert float(rho[0]) == pytest.approx(_inner_min_numeric(Q, x, q, tau), abs=1e-6)
    # c = d rho / d x (x as a free vector; the envelope theorem), by central differences
    def rho_of(xv):
        return float(tilted_advantage(T(Q), T(xv), T(q), tau)[1][0])
    h = 1e-6
    fd = [(rho_of(x + h * e) - rho_of(x - h * e)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(c[0].numpy(), fd, atol=1e-7)
    # tau = 0: the plain mean over the opponent's strategy
    c0, rho0 = tilted_advantage(T(Q), T(x), T(q), 0.0)
    np.testing.assert_allclose(c0[0].numpy(), Q @ q, atol=1e-12)
    assert float(rho0[0]) == pytest.approx(x @ Q @ q, abs=1e-12)


@pytest.mark.parametrize("tau", [0.3, 2.0])
def test_entropic_loss_minimiser_is_the_entropic_risk(tau):
    from scipy.optimize import minimize_scalar

    rng = np.random.default_rng(1)
    v = rng.normal(2.0, 1.5, size=7)
    p = rng.dirichlet(np.ones(7))
    vt, pt = torch.tensor(v), torch.tensor(p)
    res = minimize_scalar(lambda m: float((pt * entropic_loss(torch.tensor(m), vt, tau)).sum()),
                          bracket=(-5, 5), tol=1e-12)
    assert res.x == pytest.approx(entropic_risk(v, p, tau), abs=1e-6)
    # small tau: the squared loss; the linear continuation past the cap keeps value and slope
    small = entropic_loss(torch.tensor(1.3, dtype=torch.float64), torch.tensor(0.2, dtype=torch.float64), 1e-4)
    assert float(small) == pytest.approx(0.5 * 1.1 ** 2, rel=1e-3)
    m = torch.tensor([20.0 / tau - 1e-9, 20.0 / tau + 1e-9], dtype=torch.float64, requires_grad=True)
    out = entropic_loss(m, torch.zeros(2, dtype=torch.float64), tau)
    out.sum().backward()
    assert torch.isfinite(out).all() and float(m.grad[1] - m.grad[0]) == pytest.approx(0.0, abs=1e-3 * float(m.grad[0]))


def test_fixed_point_is_rgs_stage_rqe():
    # at rg.rqe's stage RQE of the one-shot penalty game, softmax(c_i / eps) = x_i for both players
    R = penalty_game(horizon=1).rewards[0, 0]  # (3, 3, 2)
    tau, eps = 10.0, 0.15
    sol = rg.rqe(R, tau, eps)
    x1, x2 = sol.strategies
    c1, _ = tilted_advantage(T(R[..., 0]), T(x1), T(x2), tau)
    c2, _ = tilted_advantage(T(R[..., 1].T), T(x2), T(x1), tau)
    np.testing.assert_allclose(torch.softmax(c1[0] / eps, -1).numpy(), x1, atol=1e-10)
    np.testing.assert_allclose(torch.softmax(c2[0] / eps, -1).numpy(), x2, atol=1e-10)
    # and not at the logit QRE (the risk is what moves it)
    q1, q2 = rg.rqe(R, 0.0, eps).strategies
    c1q, _ = tilted_advantage(T(R[..., 0]), T(q1), T(q2), tau)
    assert np.abs(torch.softmax(c1q[0] / eps, -1).numpy() - q1).max() > 1e-3


def test_actor_critic_reaches_the_unique_rqe_one_shot_penalty():
    # tau eps = 1.5 > 1 for both players: the RQE is unique (rg reports unique_certain)
    g = penalty_game(horizon=1)
    res = train_rqe_actor_critic(g, 10.0, 0.15, iterations=80, episodes=16, track_every=40, seed=0)
    assert rg.solve_rqe(g, 10.0, 0.15).unique_certain
    assert res.history["iteration"] == [0, 40, 80]
    assert res.distance_rqe < 0.05 and res.exploitability < 5e-3
    assert res.Q.shape == (1, g.n_states, 3, 3, 2)


def test_actor_critic_bad_arguments_named():
    with pytest.raises(ValueError, match="horizon"):
        train_rqe_actor_critic(penalty_game(gamma=0.9), 1.0, 0.5)
    with pytest.raises(ValueError, match="epsilon"):
        train_rqe_actor_critic(penalty_game(horizon=1), 1.0, 0.0)
