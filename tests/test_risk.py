"""Risk measures, C51 projection and exact return distributions (docs/theory.md section 7)
against independent references: direct formulas, the Rockafellar-Uryasev LP, brute-force
enumeration of trajectories and exact policy evaluation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from robustgames.games import MarkovGame
from robustgames.risk import c51_grid, c51_project, cvar, entropic_risk, mean_variance, return_distribution


def _random_dist(rng, N, zero_prob=0.3):
    p = rng.dirichlet(np.full(N, 0.7))
    p[rng.random(N) < zero_prob] = 0.0
    if p.sum() == 0:
        p[0] = 1.0
    return rng.normal(size=N) * 2, p / p.sum()


def _w1(z1, p1, z2, p2):
    """Wasserstein-1 distance of two categoricals on the line (integral of |F1 - F2|)."""
    pts = np.union1d(z1, z2)
    F1 = np.array([p1[z1 <= t].sum() for t in pts])
    F2 = np.array([p2[z2 <= t].sum() for t in pts])
    return float(np.sum(np.abs(F1 - F2)[:-1] * np.diff(pts)))


def test_entropic_risk_formula_and_limits():
    rng = np.random.default_rng(0)
    for _ in range(50):
        z, p = _random_dist(rng, 6)
        s = p > 0
        for tau in (0.1, 1.0, 3.0):
            direct = -np.log(np.sum(p * np.exp(-tau * z))) / tau
            assert entropic_risk(z, p, tau) == pytest.approx(direct, abs=1e-12)
        mean, var = p @ z, p @ (z - p @ z) ** 2
        t = 1e-4
        assert abs(entropic_risk(z, p, t) - (mean - t * var / 2)) <= 1e-6 * (1 + abs(z).max() ** 3)
        assert entropic_risk(z, p, 0.0) == pytest.approx(mean, abs=1e-14)
        # tau -> inf: min over the support (zero-probability atoms ignored), no overflow
        big = entropic_risk(z, p, 1e6)
        assert np.isfinite(big) and abs(big - z[s].min()) <= 1e-4
        assert entropic_risk(z, p, np.inf) == z[s].min()
        taus = [0.0, 0.01, 0.1, 1, 10, 100]
        vals = [entropic_risk(z, p, t) for t in taus]
        assert all(a >= b - 1e-12 for a, b in zip(vals, vals[1:]))  # non-increasing in tau


def test_entropic_risk_batch_and_errors():
    z = np.array([[0.0, 1.0], [2.0, 3.0]])
    p = np.array([[0.5, 0.5], [1.0, 0.0]])
    out = entropic_risk(z, p, 2.0)
    assert out.shape == (2,) and out[1] == 2.0
    with pytest.raises(ValueError, match="tau"):
        entropic_risk(z, p, -1.0)
    with pytest.raises(ValueError, match="p"):
        entropic_risk([0, 1], [0.5, 0.6], 1.0)
    with pytest.raises(ValueError, match="same shape"):
        entropic_risk([0, 1, 2], [0.5, 0.5], 1.0)


def _cvar_lp(z, p, alpha):
    """Rockafellar-Uryasev: max_c c - E[(c - Z)_+]/alpha as an LP in (c, u)."""
    N = z.size
    cost = np.concatenate([[-1.0], p / alpha])  # minimise -c + sum p u / alpha
    A_ub = np.hstack([np.ones((N, 1)), -np.eye(N)])  # c - u_j <= z_j
    res = linprog(cost, A_ub=A_ub, b_ub=z, bounds=[(None, None)] + [(0, None)] * N, method="highs")
    assert res.status == 0
    return -res.fun


def test_cvar_matches_rockafellar_uryasev_lp():
    rng = np.random.default_rng(1)
    for _ in range(60):
        z, p = _random_dist(rng, int(rng.integers(1, 8)))
        if rng.random() < 0.3:
            z = np.round(z)  # ties
        for alpha in (1e-3, 0.05, 0.3, 0.5, 0.999, 1.0):
            assert cvar(z, p, alpha) == pytest.approx(_cvar_lp(z, p, alpha), abs=1e-8)
        assert cvar(z, p, 1.0) == pytest.approx(p @ z, abs=1e-12)
    with pytest.raises(ValueError, match="alpha"):
        cvar([0.0], [1.0], 0.0)


def test_mean_variance():
    z, p = np.array([0.0, 2.0]), np.array([0.5, 0.5])
    assert mean_variance(z, p, 0.5) == pytest.approx(1.0 - 0.5 * 1.0)
    with pytest.raises(ValueError, match="lam"):
        mean_variance(z, p, -1)


def test_c51_projection_mass_mean_exact_hits_and_w1():
    rng = np.random.default_rng(2)
    grid = c51_grid(-5, 5, 51)
    dz = grid[1] - grid[0]
    for _ in range(50):
        z, p = _random_dist(rng, 7)
        z = np.clip(z, -5, 5)
        q = c51_project(z, p, grid)
        assert q.sum() == pytest.approx(1.0, abs=1e-14)
        assert q @ grid == pytest.approx(p @ z, abs=1e-12)
        assert _w1(z, p, grid, q) <= dz / 2 + 1e-12
    # an atom exactly on a grid point keeps all its mass there
    q = c51_project(grid[[3, 10]], [0.25, 0.75], grid)
    assert q[3] == 0.25 and q[10] == 0.75 and q.sum() == 1.0
    # clipped atoms go to the ends (mean then not preserved, mass still is)
    q = c51_project([100.0, -100.0], [0.5, 0.5], grid)
    assert q[0] == 0.5 and q[-1] == 0.5
    with pytest.raises(ValueError, match="evenly spaced"):
        c51_project([0.0], [1.0], [0.0, 1.0, 3.0])


def _small_game(rng, H=3, S=3, acts=(2, 2), integer=True):
    P = rng.dirichlet(np.full(S, 0.6), size=(H, S) + acts)
    P[P < 0.15] = 0.0
    P /= P.sum(axis=-1, keepdims=True)
    R = rng.integers(-2, 3, size=(H, S) + acts + (len(acts),)).astype(float)
    if not integer:
        R = rng.normal(size=R.shape)
    return MarkovGame(P, R)


def _brute_force(game, policy, player):
    H, S, A = game.horizon, game.n_states, game.n_joint_actions
    P, r = game.flat_transitions, game.flat_rewards[..., player]
    pol = policy.reshape(H, S, A)
    dist = {}
    for s0 in range(S):
        for path in itertools.product(range(A), range(S), repeat=H):
            prob, s, g = game.initial[s0], s0, 0.0
            for h in range(H):
                a, s2 = path[2 * h], path[2 * h + 1]
                prob *= pol[h, s, a] * P[h, s, a, s2]
                g += r[h, s, a]
                s = s2
            if prob > 0:
                dist[round(g, 9)] = dist.get(round(g, 9), 0.0) + prob
    z = np.array(sorted(dist))
    return z, np.array([dist[k] for k in z])


def test_return_distribution_matches_trajectory_enumeration_and_evaluation():
    import robustgames as rg

    rng = np.random.default_rng(3)
    for integer in (True, False):
        game = _small_game(rng, integer=integer)
        policy = rng.dirichlet(np.ones(4), size=(3, 3)).reshape(game.policy_shape)
        values = rg.evaluate(game, rg.TV(0.0), policy)
        for player in (0, 1):
            res = return_distribution(game, policy, player)
            z, p = _brute_force(game, policy, player)
            assert res.exact and res.atoms.shape == z.shape
            assert np.abs(res.atoms - z).max() <= 1e-9 and np.abs(res.probs - p).max() <= 1e-12
            assert res.mean == pytest.approx(values[0, 0, player], abs=1e-12)
            assert res.probs @ res.atoms == pytest.approx(res.mean, abs=1e-12)


def test_return_distribution_with_cap_projects_with_bound():
    rng = np.random.default_rng(4)
    game = _small_game(rng, H=4, integer=False)
    policy = rng.dirichlet(np.ones(4), size=(4, 3)).reshape(game.policy_shape)
    exact = return_distribution(game, policy, 0)
    R = game.rewards[..., 0]
    lo = min(0.0, *np.cumsum(R.min(axis=(1, 2, 3))))
    hi = max(0.0, *np.cumsum(R.max(axis=(1, 2, 3))))
    grid = c51_grid(lo - 0.1, hi + 0.1, 51)
    capped = return_distribution(game, policy, 0, grid=grid, max_atoms=5)
    assert not capped.exact and capped.atoms is None
    assert capped.mean == pytest.approx(exact.mean, abs=1e-12)
    assert capped.projected @ grid == pytest.approx(exact.mean, abs=1e-10)  # mean preserved
    w1 = _w1(exact.atoms, exact.probs, grid, capped.projected)
    assert w1 <= capped.w1_bound + 1e-12
    once = return_distribution(game, policy, 0, grid=grid)
    assert once.exact and _w1(exact.atoms, exact.probs, grid, once.projected) <= once.w1_bound + 1e-12
    with pytest.raises(ValueError, match="max_atoms"):
        return_distribution(game, policy, 0, max_atoms=2)
    with pytest.raises(ValueError, match="grid"):
        return_distribution(game, policy, 0, grid=c51_grid(0, 0.5, 11), max_atoms=2)
    with pytest.raises(ValueError, match="player"):
        return_distribution(game, policy, 2)
