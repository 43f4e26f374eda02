"""Markov RQE (docs/theory.md section 7): backward induction against an independent slow
implementation (numpy loops + scipy root solves), the single-agent limit against ordinary
dynamic programming, stage certificates at every state, and the authors' grid world."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import brentq, root
from scipy.special import logsumexp, softmax

import robustgames as rg
from robustgames.equilibria._rqe import rqe
from robustgames.games._rqe_grid import RQE_GRID_MOVES, rqe_grid_cells, rqe_grid_world
from robustgames.planning._rqe_markov import solve_rqe


def _random_game(rng, H, S, actions, gamma=None):
    n = len(actions)
    lead = (S,) if gamma is not None else (H, S)
    P = rng.dirichlet(np.ones(S) * 0.7, size=lead + tuple(actions))
    P[P < 0.05] = 0.0  # some zero entries: the risk must use the support only
    P /= P.sum(-1, keepdims=True)
    R = rng.uniform(-1, 1, size=lead + tuple(actions) + (n,))
    return rg.MarkovGame(P, R, gamma=gamma)


# ------------------------------------------------------------------ slow reference
def _ce(p, v, t):
    if t == 0:
        return float(p @ v)
    m = p > 0
    return float(-logsumexp(-t * v[m], b=p[m]) / t)


def _phi(c, eps, reg):
    if reg == "entropy":
        return softmax(c / eps)
    lam = brentq(lambda L: np.sum(eps / (L - c)) - 1.0, c.max() + 1e-14, c.max() + eps * len(c) + 1.0,
                 xtol=1e-15, rtol=1e-15)
    return eps / (lam - c)


def _stage_slow(A, B, tau, eps, reg):
    """2-player stage RQE by scipy root on the first-order conditions in logits.
    A, B: (m, n) payoffs of players 0 and 1."""
    m, n = A.shape

    def adversary(Z, q, t):
        w = np.log(q) - t * Z
        return np.exp(w - logsumexp(w))

    def F(v):
        x, y = softmax(v[:m]), softmax(v[m:])
        c1 = A @ adversary(x @ A, y, tau)
        c2 = B.T @ adversary(B @ y, x, tau)
        return np.concatenate([np.log(x) - np.log(_phi(c1, eps, reg)), np.log(y) - np.log(_phi(c2, eps, reg))])

    sol = root(F, np.zeros(m + n), method="hybr", tol=1e-14)
    x, y = softmax(sol.x[:m]), softmax(sol.x[m:])
    assert np.abs(F(sol.x)).max() < 1e-9
    nu = (lambda z: np.sum(z * np.log(z))) if reg == "entropy" else (lambda z: -np.sum(np.log(z)))
    rho1 = -logsumexp(-tau * (x @ A), b=y) / tau
    rho2 = -logsumexp(-tau * (B @ y), b=x) / tau
    return x, y, np.array([rho1, rho2]), np.array([rho1 - eps * nu(x), rho2 - eps * nu(y)])


def _backward_slow(game, tau, eps, reg, value):
    P, R = game.transitions, game.rewards
    H, S = game.horizon, game.n_states
    m, n = game.n_actions
    V = np.zeros((H + 1, S, 2))
    X = np.zeros((H, S, m))
    for h in reversed(range(H)):
        for s in range(S):
            Q = np.zeros((m, n, 2))
            for a in range(m):
                for b in range(n):
                    for i in range(2):
                        Q[a, b, i] = R[h, s, a, b, i] + _ce(P[h, s, a, b], V[h + 1, :, i], tau)
            x, _, pay, reg_val = _stage_slow(Q[..., 0], Q[..., 1], tau, eps, reg)
            V[h, s] = reg_val if value == "regularized" else pay
            X[h, s] = x
    return V, X


@pytest.mark.parametrize("reg", ["entropy", "log_barrier"])
@pytest.mark.parametrize("value", ["regularized", "payoff"])
def test_backward_induction_matches_slow_reference(reg, value):
    rng = np.random.default_rng(3)
    game = _random_game(rng, H=3, S=3, actions=(2, 3))
    tau, eps = 1.5, 1.0  # eps^2 tau^2 = 2.25 > 1: tractable, unique stage RQE
    res = solve_rqe(game, tau, eps, regularizer=reg, value=value)
    V_ref, X_ref = _backward_slow(game, tau, eps, reg, value)
    assert res.unique_certain
    np.testing.assert_allclose(res.values, V_ref, atol=1e-9)
    np.testing.assert_allclose(res.strategies[0], X_ref, atol=1e-8)
    # the two conventions differ (the regulariser matters), so the test can tell them apart
    other = "payoff" if value == "regularized" else "regularized"
    assert np.abs(solve_rqe(game, tau, eps, regularizer=reg, value=other).values[0] - V_ref[0]).max() > 1e-3


@pytest.mark.parametrize("value", ["regularized", "payoff"])
def test_stage_certificates_at_every_state(value):
    rng = np.random.default_rng(7)
    game = _random_game(rng, H=3, S=4, actions=(3, 2))
    tau, eps = np.array([2.0, 0.5]), np.array([1.0, 1.5])
    res = solve_rqe(game, tau, eps, value=value)
    assert res.residual < 1e-9 and res.exploitability < 1e-9
    H, S = game.horizon, game.n_states
    V = res.values
    for h in range(H):
        for s in range(S):
            # stage payoffs recomputed from the returned values, independently
            Q = np.empty((3, 2, 2))
            for a in range(3):
                for b in range(2):
                    for i in range(2):
                        Q[a, b, i] = game.rewards[h, s, a, b, i] + _ce(game.transitions[h, s, a, b], V[h + 1, :, i],
                                                                        tau[i])
            np.testing.assert_allclose(res.Q[h, s], Q, atol=1e-12)
            st = rqe(Q, tau, eps)
            assert st.residual < 1e-9 and st.exploitability.max() < 1e-9
            np.testing.assert_allclose(res.strategies[0][h, s], st.strategies[0], atol=1e-9)
            np.testing.assert_allclose(res.policy[h, s], st.policy, atol=1e-9)
            expected = st.values if value == "regularized" else res.payoff_values[h, s]
            np.testing.assert_allclose(V[h, s], expected, atol=1e-10)


@pytest.mark.parametrize("tau", [0.0, 1e-6])
def test_single_agent_limit_is_optimal_value(tau):
    rng = np.random.default_rng(11)
    H, S, A = 5, 4, 3
    game = _random_game(rng, H=H, S=S, actions=(A,))
    opt = rg.solve(game, rg.TV(0.0)).values[..., 0]  # ordinary optimal values (H+1, S)
    eps = 1e-3
    steps = (H - np.arange(H + 1))[:, None]  # stages left
    bias = steps * eps * np.log(A)
    # Hoeffding: E Z - tau span^2/8 <= rho_tau(Z) <= E Z, spans of values <= 2H here
    risk = steps * tau * (2.0 * H) ** 2 / 8
    pay = solve_rqe(game, tau, eps, value="payoff").values[..., 0]
    reg = solve_rqe(game, tau, eps, value="regularized").values[..., 0]
    assert np.all(pay <= opt + 1e-9) and np.all(pay >= opt - bias - risk - 1e-9)
    assert np.all(reg <= opt + bias + 1e-9) and np.all(reg >= opt - risk - 1e-9)
    assert np.abs(pay - opt).max() < 0.05  # close to the optimal values
    # planted bug: a policy that ignores the continuation values is far from optimal
    myopic = np.zeros((H + 1, S))
    assert np.abs(myopic - opt).max() > 0.1


def test_discounted_single_agent_matches_soft_value_iteration():
    rng = np.random.default_rng(5)
    S, A, gamma, eps = 4, 3, 0.8, 0.3
    game = _random_game(rng, H=None, S=S, actions=(A,), gamma=gamma)
    res = solve_rqe(game, 0.0, eps, value="regularized", vi_tol=1e-12)
    P, R = game.transitions, game.rewards[..., 0]
    V = np.zeros(S)
    for _ in range(2000):  # soft Bellman: V = eps lse((r + gamma P V)/eps)
        V = eps * logsumexp((R + gamma * P @ V) / eps, axis=1)
    assert res.converged
    np.testing.assert_allclose(res.values[:, 0], V, atol=1e-10)


def test_discounted_two_player_warns_when_not_converged():
    rng = np.random.default_rng(2)
    game = _random_game(rng, H=None, S=3, actions=(2, 2), gamma=0.9)
    with pytest.warns(RuntimeWarning, match="RQE value iteration"):
        res = solve_rqe(game, 2.0, 1.0, vi_max_iter=2)
    assert not res.converged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = solve_rqe(game, 2.0, 1.0, vi_tol=1e-10)
    assert res.converged and res.residual < 1e-9 and res.exploitability < 1e-9


def test_bad_input():
    rng = np.random.default_rng(0)
    game = _random_game(rng, H=2, S=2, actions=(2, 2))
    with pytest.raises(TypeError, match="game"):
        solve_rqe(np.zeros(3), 1.0, 1.0)
    with pytest.raises(ValueError, match="value"):
        solve_rqe(game, 1.0, 1.0, value="soft")
    with pytest.raises(ValueError, match="epsilon"):
        solve_rqe(game, 1.0, 0.0)
    with pytest.raises(ValueError, match="tau"):
        solve_rqe(game, -1.0, 1.0)
    with pytest.raises(ValueError, match="regularizer"):
        solve_rqe(game, 1.0, 1.0, regularizer="l2")


# ------------------------------------------------------------------ grid world
def test_grid_world_rules():
    g = rqe_grid_world()
    assert g.n_players == 2 and g.n_actions == (4, 4) and g.n_states == 144 and g.horizon == 15
    P = g.transitions[0]
    np.testing.assert_allclose(P.sum(-1), 1.0, atol=1e-12)
    s0 = int(np.argmax(g.initial))
    assert rqe_grid_cells(s0) == ((0, 0), (3, 0))
    names = [m[0] for m in RQE_GRID_MOVES]
    right, up, down = names.index("right"), names.index("up"), names.index("down")
    # far apart: both move right with 0.9; noise 0.1 over 2 x 2 in-grid neighbours
    assert P[s0, right, right, 1 * 12 + 10] == pytest.approx(0.9 + 0.1 / 4)
    assert P[s0, right, right].max() == pytest.approx(0.925)
    # off-grid move keeps the player in place (staying is not among the noise outcomes)
    assert P[s0, up, right, 0 * 12 + 10] == pytest.approx(0.9)
    # adjacent players (Chebyshev distance 1): 0.5
    s = (1 * 3 + 1) * 12 + (2 * 3 + 2)
    assert P[s, down, up].max() == pytest.approx(0.5 + 0.5 / 12)  # 4 x 3 in-grid neighbours
    # player 0 on its goal (row 3, col 0) is absorbed and collects +1; player 1 on a hazard -2
    s = (3 * 3 + 0) * 12 + (1 * 3 + 0)
    assert P[s, up, right, s] == pytest.approx(1.0)
    np.testing.assert_allclose(g.rewards[0, s, 0, 0], [1.0, -2.0])
    np.testing.assert_allclose(g.rewards[0, s0, 0, 0], [0.1, 0.1])
    with pytest.raises(ValueError, match="start"):
        rqe_grid_world(start=((4, 0), (0, 0)))
    with pytest.raises(ValueError, match="success"):
        rqe_grid_world(success=1.5)


def test_grid_world_solved_with_certificates():
    g = rqe_grid_world()
    res = solve_rqe(g, 1.0, 0.5)
    assert res.residual < 1e-9 and res.exploitability < 1e-9
    # the map is symmetric under the vertical flip that swaps the two players (and their
    # goals, and up with down): player 0's solution at s is player 1's at the mirrored state
    names = [m[0] for m in RQE_GRID_MOVES]
    swap = [names.index({"up": "down", "down": "up"}.get(a, a)) for a in names]

    def mirror(s):
        (r0, k0), (r1, k1) = rqe_grid_cells(s)
        return ((3 - r1) * 3 + k1) * 12 + (3 - r0) * 3 + k0

    for s in range(g.n_states):
        t = mirror(s)
        np.testing.assert_allclose(res.values[:, s, 0], res.values[:, t, 1], atol=1e-9)
        np.testing.assert_allclose(res.strategies[0][:, s], res.strategies[1][:, t][:, swap], atol=1e-8)
    # planted bug: the mirror without swapping the players fails
    assert np.abs(res.values[:, :, 0] - res.values[:, [mirror(s) for s in range(144)], 0]).max() > 1e-3
    s0 = int(np.argmax(g.initial))
    assert res.strategies[0][0, s0, names.index("down")] < 0.05  # never step into the hazard
