"""Policy iteration for discounted games (issue 12): robust PI for robust MDPs and team
games, Hoffman-Karp for zero-sum games at sigma = 0, against value iteration, brute force,
a linear program and the exact gap."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

import robustgames as rg
from robustgames.games import random_game
from robustgames.planning._policy_iteration import Counter, robust_policy_values


def _group(game, m=3, seed=0):
    """A row-indexed group set: m random vertices for every (s, a)."""
    rng = np.random.default_rng(seed)
    shape = (m,) + game.transitions.shape
    D = rng.random(shape)
    return rg.Group(D / D.sum(axis=-1, keepdims=True))


SETS = [lambda g: rg.TV(0.2), lambda g: rg.KL(0.3), lambda g: rg.Contamination(0.2),
        lambda g: rg.ChiSquare(0.2), _group,
        lambda g: rg.Group(np.random.default_rng(1).dirichlet(np.ones(g.n_states), size=2))]
SET_IDS = ["TV", "KL", "contamination", "chi-square", "group-per-row", "group-shared"]


@pytest.mark.parametrize("make", SETS, ids=SET_IDS)
def test_robust_mdp_pi_brute_force(make):
    """Tiny robust MDP: PI's values equal the best of all deterministic policies, each
    evaluated by robust value iteration (rg.evaluate)."""
    g = random_game(3, 2, gamma=0.9, n_players=1, rng=12)
    U = make(g)
    best = np.max(np.stack([
        rg.evaluate(g, U, rg.deterministic_policy(np.array(a), g.n_actions), tol=1e-12)[:, 0]
        for a in itertools.product(range(2), repeat=3)]), axis=0)
    pi = rg.solve(g, U, method="policy_iteration", tol=1e-10)
    assert pi.method == "policy_iteration" and pi.converged
    np.testing.assert_allclose(pi.values[:, 0], best, atol=1e-9)
    assert pi.gap <= 1e-9 and pi.gap_bound <= 1e-10


@pytest.mark.parametrize("gamma", [0.9, 0.99])
@pytest.mark.parametrize("make", SETS, ids=SET_IDS)
def test_robust_mdp_pi_matches_vi(make, gamma):
    g = random_game(10, 3, gamma=gamma, n_players=1, support=4, rng=3)
    U = make(g)
    vi = rg.solve(g, U, tol=1e-9)
    pi = rg.solve(g, U, method="policy_iteration", tol=1e-8)
    np.testing.assert_allclose(pi.values, vi.values, atol=1e-7)
    assert pi.gap <= pi.gap_bound + 1e-9 and pi.gap_bound <= 1e-8
    assert pi.backups < vi.backups  # far fewer sweeps than value iteration


@pytest.mark.parametrize("make", [SETS[0], SETS[1], SETS[3]], ids=["TV", "KL", "chi-square"])
def test_nature_policy_iteration_evaluates_a_policy(make):
    """Robust evaluation by nature's policy iteration (linear solves) = rg.evaluate (VI)."""
    g = random_game(12, 3, gamma=0.99, n_players=1, support=5, rng=4)
    U = make(g)
    S, A = 12, 3
    action = np.random.default_rng(0).integers(0, A, size=S)
    exact = rg.evaluate(g, U, rg.deterministic_policy(action, g.n_actions), tol=1e-10)[:, 0]
    rows = np.arange(S) * A + action
    W, settled = robust_policy_values(U, g.flat_transitions.reshape(S * A, S), g.flat_rewards[np.arange(S), action, 0],
                                      rows, 0.99, np.zeros(S), 1e-10, Counter())
    assert settled
    np.testing.assert_allclose(W, exact, atol=1e-8)


@pytest.mark.parametrize("U", [rg.TV(0.15), rg.KL(0.2)], ids=repr)
def test_team_game_pi_matches_vi(U):
    g0 = random_game(8, 2, gamma=0.95, n_players=2, support=3, rng=5)
    R = g0.rewards.copy()
    R[..., 1] = R[..., 0]
    g = rg.MarkovGame(g0.transitions, R, gamma=0.95)
    vi = rg.solve(g, U, tol=1e-9)
    pi = rg.solve(g, U, method="auto", tol=1e-8)
    assert pi.method == "policy_iteration"
    np.testing.assert_allclose(pi.values, vi.values, atol=1e-7)
    np.testing.assert_allclose(pi.values[:, 0], pi.values[:, 1])
    assert pi.gap <= pi.gap_bound + 1e-9 and pi.gap_bound <= 1e-8
    for kind in ("nash", "ce", "cce"):
        assert rg.gap(g, U, pi.policy, kind).value <= 1e-8


def _zero_sum(S, A, gamma, rng):
    g = random_game(S, A, gamma=gamma, n_players=2, support=max(1, S // 3), rng=rng)
    R = g.rewards.copy()
    R[..., 1] = -R[..., 0]
    return rg.MarkovGame(g.transitions, R, gamma=gamma)


@pytest.mark.parametrize("gamma", [0.9, 0.99])
def test_zero_sum_hoffman_karp_matches_vi(gamma):
    g = _zero_sum(10, 3, gamma, 6)
    vi = rg.solve(g, rg.TV(0.0), tol=1e-11)
    tol = 1e-8
    pi = rg.solve(g, rg.TV(0.0), method="policy_iteration", tol=tol)
    assert pi.converged and pi.gap_bound <= tol
    np.testing.assert_allclose(pi.values, vi.values, atol=1e-8)
    assert rg.gap(g, rg.TV(0.0), pi.policy).value <= tol
    assert pi.backups < vi.backups


def test_zero_sum_one_state_equals_matrix_game_lp():
    """One absorbing state: the value is val(A) / (1 - gamma), val by scipy's LP."""
    A = np.random.default_rng(7).uniform(-1, 1, size=(4, 3))
    gamma = 0.95
    R = np.stack([A, -A], axis=-1)[None]
    g = rg.MarkovGame(np.ones((1, 4, 3, 1)), R, gamma=gamma)
    # max v s.t. x^T A >= v, sum x = 1, x >= 0   (variables x, v)
    res = linprog(np.r_[np.zeros(4), -1.0], A_ub=np.c_[-A.T, np.ones(3)], b_ub=np.zeros(3),
                  A_eq=np.r_[np.ones(4), 0.0][None], b_eq=[1.0], bounds=[(0, None)] * 4 + [(None, None)])
    pi = rg.solve(g, rg.KL(0.0), method="policy_iteration", tol=1e-10)
    assert abs(pi.values[0, 0] - (-res.fun) / (1 - gamma)) <= 1e-8
    assert pi.values[0, 1] == -pi.values[0, 0]


@pytest.mark.filterwarnings("ignore:.*did not reach tol:RuntimeWarning")
def test_gap_bound_bounds_the_exact_gap_when_stopped_early():
    """Stopped after one or two improvement steps, the exact gap of what policy iteration
    returns must still lie under the reported bound (the certificate, not just the
    converged answer). Without the 1/(1 - gamma) amplification the bound (about 1/20 of
    it here) falls below the exact gap on these instances."""
    tight = 0.0
    for seed in range(6):
        for max_iter in (1, 2):
            g = _zero_sum(12, 3, 0.95, 20 + seed)
            pi = rg.solve(g, rg.TV(0.0), method="policy_iteration", tol=1e-12, max_iter=max_iter)
            m = random_game(12, 4, gamma=0.95, n_players=1, support=3, rng=30 + seed)
            pm = rg.solve(m, rg.KL(0.5), method="policy_iteration", tol=1e-12, max_iter=max_iter)
            for res in (pi, pm):
                assert not res.converged
                assert res.gap <= res.gap_bound + 1e-9
                tight = max(tight, res.gap / res.gap_bound)
    assert tight > 0.06  # the check has teeth: some exact gap is a sizeable part of its bound


def test_value_iteration_reports_the_same_certificate():
    g = random_game(8, 3, gamma=0.9, n_players=1, rng=8)
    vi = rg.solve(g, rg.TV(0.1), tol=1e-4)
    assert vi.gap <= vi.gap_bound + 1e-12 <= 2 * 0.9 * 1e-4 + 1e-12
    gs = random_game(6, 2, gamma=0.9, n_players=2, rng=8)  # general-sum: no certificate
    assert rg.solve(gs, rg.TV(0.1)).gap_bound is None


def test_auto_and_errors():
    gs = random_game(5, 2, gamma=0.9, n_players=2, rng=9)
    assert rg.solve(gs, rg.TV(0.1), method="auto").method == "value_iteration"
    with pytest.raises(ValueError, match="method='policy_iteration' supports robust MDPs, team games"):
        rg.solve(gs, rg.TV(0.1), method="policy_iteration")
    zs = _zero_sum(5, 2, 0.9, 9)
    with pytest.raises(ValueError, match="needs sigma = 0"):
        rg.solve(zs, rg.TV(0.1), method="policy_iteration")
    assert rg.solve(zs, rg.TV(0.1), method="auto").method == "value_iteration"
    assert rg.solve(zs, [rg.TV(0.0), rg.KL(0.0)], method="auto").method == "policy_iteration"
    team = rg.MarkovGame(gs.transitions, np.repeat(gs.rewards[..., :1], 2, axis=-1), gamma=0.9)
    # a team game whose players have different sets is not one agent
    with pytest.raises(ValueError, match="different sets"):
        rg.solve(team, [rg.TV(0.1), rg.TV(0.2)], method="policy_iteration")
    fh = random_game(3, 2, 2, n_players=1, rng=9)
    with pytest.raises(ValueError, match="needs a discounted game"):
        rg.solve(fh, rg.TV(0.1), method="policy_iteration")
    assert rg.solve(fh, rg.TV(0.1), method="auto").method == "value_iteration"
    with pytest.raises(ValueError, match="unknown method"):
        rg.solve(fh, rg.TV(0.1), method="pi")


def test_solver_benchmark_game():
    g = rg.solver_benchmark_game(50, 3, 0.99, kind="zero_sum", rng=0)
    assert g.n_players == 2 and g.n_actions == (3, 3) and g.gamma == 0.99
    assert np.all((g.transitions > 0).sum(axis=-1) == 10)
    assert -10 <= g.rewards.min() and g.rewards.max() <= 10 and g.rewards.min() < -9
    np.testing.assert_array_equal(g.rewards[..., 1], -g.rewards[..., 0])
    t = rg.solver_benchmark_game(20, 2, 0.9, kind="team", rng=1)
    np.testing.assert_array_equal(t.rewards[..., 1], t.rewards[..., 0])
    assert rg.solver_benchmark_game(20, 5, 0.9, rng=1).n_players == 1
    with pytest.raises(ValueError, match="unknown kind"):
        rg.solver_benchmark_game(20, 2, 0.9, kind="bogus")
    with pytest.raises(ValueError, match="support_fraction"):
        rg.solver_benchmark_game(20, 2, 0.9, support_fraction=0.0)


def test_discounted_benchmark_records():
    from robustgames.benchmarks import discounted

    records = discounted.run(quick=True, sizes=(12,), gammas=(0.9,))
    assert records
    assert any("anderson" in rec["case"] for rec in records)
    for rec in records:
        assert rec["ratio_backups"] > 0 and rec["ratio_time"] > 0
        if "anderson" in rec["case"]:
            continue
        assert rec["converged"]
        assert rec["vi_gap_bound"] <= discounted.TOL and rec["pi_gap_bound"] <= discounted.TOL


# -- safeguarded Anderson acceleration --------------------------------------------------------
@pytest.mark.parametrize("U", [rg.TV(0.2), rg.KL(0.3)], ids=repr)
def test_anderson_robust_mdp_matches_vi(U):
    g = random_game(15, 4, gamma=0.99, n_players=1, support=5, rng=13)
    vi = rg.solve(g, U, tol=1e-8)
    aa = rg.solve(g, U, method="anderson", tol=1e-8)
    assert aa.converged and aa.method == "anderson"
    np.testing.assert_allclose(aa.values, vi.values, atol=1e-7)
    assert aa.gap <= aa.gap_bound + 1e-9 and aa.backups < vi.backups / 5


def test_anderson_general_sum_reaches_a_robust_nash_equilibrium():
    """Agent-wise robust (so general-sum) game: Anderson's returned policy has an exact
    robust Nash gap (rg.gap, by value iteration) as small as plain VI's."""
    g = rg.solver_benchmark_game(20, 2, 0.95, kind="zero_sum", rng=3)
    U = rg.TV(0.1)  # sigma > 0: each player its own worst case
    vi = rg.solve(g, U, tol=1e-7)
    aa = rg.solve(g, U, method="anderson", tol=1e-7)
    assert vi.converged and aa.converged and aa.gap_bound is None
    assert aa.gap <= 1e-5 and vi.gap <= 1e-5
    assert rg.gap(g, U, aa.policy).value <= 1e-5
    assert aa.backups < vi.backups


def test_anderson_safeguard_keeps_a_contraction_convergent():
    """With memory 1 the candidate is plain VI; with the safeguard forced on (factor 0) every
    step falls back to the plain step: both must still converge to VI's fixed point."""
    from robustgames.planning import _anderson

    g = random_game(10, 3, gamma=0.9, n_players=1, support=4, rng=14)
    vi = rg.solve(g, rg.TV(0.2), tol=1e-9)
    old = _anderson.SAFEGUARD
    try:
        _anderson.SAFEGUARD = 0.0
        aa = rg.solve(g, rg.TV(0.2), method="anderson", tol=1e-9)
    finally:
        _anderson.SAFEGUARD = old
    assert aa.converged
    np.testing.assert_allclose(aa.values, vi.values, atol=1e-8)
    with pytest.raises(ValueError, match="method='anderson' needs a discounted game"):
        rg.solve(random_game(3, 2, 2, n_players=1, rng=0), rg.TV(0.1), method="anderson")
