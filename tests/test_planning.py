"""Robust planning: evaluation, best responses, gaps and robust value/policy iteration.

References are independent of the code under test: nominal backward induction in plain
numpy, the nominal value under the assembled worst-case kernel, random feasible kernels
(no feasible kernel may do worse than the robust value), and brute-force enumeration of
deterministic policies and deviations evaluated policy by policy.
"""

import itertools

import numpy as np
import pytest

import robustgames as rg
from robustgames.games._random import random_game


def nominal_values(game, pi):
    """Plain backward induction / linear solve under the nominal kernel (no robustness)."""
    P, R = game.flat_transitions, game.flat_rewards
    S, n = game.n_states, game.n_players
    if game.discounted:
        Ppi = np.einsum("sa,sat->st", pi, P)
        rpi = np.einsum("sa,sai->si", pi, R)
        return np.linalg.solve(np.eye(S) - game.gamma * Ppi, rpi)
    V = np.zeros((game.horizon + 1, S, n))
    for h in range(game.horizon - 1, -1, -1):
        V[h] = np.einsum("sa,sai->si", pi[h], R[h] + np.einsum("sat,ti->sai", P[h], V[h + 1]))
    return V


def flat(game, policy):
    lead = policy.shape[: policy.ndim - game.n_players]
    return policy.reshape(lead + (-1,))


def random_policy(game, rng):
    return rng.dirichlet(np.ones(game.n_joint_actions), size=game.policy_shape[: -game.n_players]).reshape(
        game.policy_shape)


SETS = [rg.TV(0.0), rg.TV(0.15), rg.TV(1.0)]


@pytest.mark.parametrize("discounted", [False, True])
def test_radius_zero_is_nominal(discounted):
    rng = np.random.default_rng(0)
    g = random_game(4, (2, 3), None if discounted else 3, gamma=0.8 if discounted else None, rng=1)
    pi = random_policy(g, rng)
    np.testing.assert_allclose(rg.evaluate(g, rg.TV(0.0), pi), nominal_values(g, flat(g, pi)), atol=1e-9)


@pytest.mark.parametrize("U", SETS, ids=repr)
def test_finite_horizon_worst_kernel_certificate(U):
    """Robust value = nominal value under the assembled worst kernel <= any feasible kernel."""
    rng = np.random.default_rng(2)
    g = random_game(4, (2, 2), 3, support=3, rng=3)
    pi = random_policy(g, rng)
    V = rg.evaluate(g, U, pi)
    for i in range(g.n_players):
        worst = np.empty_like(g.flat_transitions)
        for h in range(g.horizon):
            worst[h] = U.worst_distribution(g.flat_transitions[h], V[h + 1, :, i])
        gw = g.with_transitions(worst.reshape(g.transitions.shape))
        np.testing.assert_allclose(nominal_values(gw, flat(g, pi))[..., i], V[..., i], atol=1e-9)
        for _ in range(5):  # random feasible kernels: mix p0 with random rows inside the TV ball
            t = U.radius * rng.random(g.flat_transitions.shape[:-1] + (1,))
            q = rng.dirichlet(np.ones(g.n_states), size=g.flat_transitions.shape[:-1])
            other = g.with_transitions(((1 - t) * g.flat_transitions + t * q).reshape(g.transitions.shape))
            assert (nominal_values(other, flat(g, pi))[..., i] >= V[..., i] - 1e-9).all()


def test_agent_wise_radii():
    rng = np.random.default_rng(4)
    g = random_game(3, (2, 2), 2, rng=5)
    pi = random_policy(g, rng)
    V = rg.evaluate(g, [rg.TV(0.0), rg.TV(0.5)], pi)
    np.testing.assert_allclose(V[..., 0], rg.evaluate(g, rg.TV(0.0), pi)[..., 0])
    np.testing.assert_allclose(V[..., 1], rg.evaluate(g, rg.TV(0.5), pi)[..., 1])
    assert (rg.evaluate(g, rg.TV(0.5), pi) <= rg.evaluate(g, rg.TV(0.0), pi) + 1e-12).all()


def test_discounted_evaluation_meets_its_tolerance():
    rng = np.random.default_rng(6)
    g = random_game(5, 3, gamma=0.95, n_players=1, rng=7)
    pi = random_policy(g, rng)
    U = rg.TV(0.2)
    tight = rg.evaluate(g, U, pi, tol=1e-13)
    loose = rg.evaluate(g, U, pi, tol=1e-4)
    assert np.max(np.abs(loose - tight)) <= 1e-4
    # fixed point: V = sum_a pi (r + gamma sigma(V)) checked with the public operator
    q = g.flat_rewards[..., 0] + g.gamma * U.worst_value(g.flat_transitions, tight[:, 0])
    np.testing.assert_allclose((flat(g, pi) * q).sum(axis=1), tight[:, 0], atol=1e-11)


def _deterministic_policies(game):
    """Every deterministic Markov policy of a single-agent game (tiny games only)."""
    lead = game.policy_shape[:-1]
    for acts in itertools.product(range(game.n_joint_actions), repeat=int(np.prod(lead))):
        yield rg.deterministic_policy(np.array(acts).reshape(lead), game.n_actions)


@pytest.mark.parametrize("U", [rg.TV(0.0), rg.TV(0.3), rg.TV(0.8)], ids=repr)
def test_robust_mdp_finite_horizon_matches_brute_force(U):
    g = random_game(2, 2, 3, n_players=1, rng=11)
    best = max(float(g.initial @ rg.evaluate(g, U, pol)[0, :, 0]) for pol in _deterministic_policies(g))
    sol = rg.solve(g, U)
    assert abs(float(g.initial @ sol.values[0, :, 0]) - best) <= 1e-10
    assert abs(sol.gap) <= 1e-10


@pytest.mark.parametrize("U", [rg.TV(0.1), rg.TV(0.6)], ids=repr)
def test_robust_mdp_discounted_vi_pi_brute_force(U):
    g = random_game(3, 2, gamma=0.9, n_players=1, rng=12)
    values = {}
    for pol in _deterministic_policies(g):
        V = rg.evaluate(g, U, pol, tol=1e-12)[:, 0]
        values[tuple(pol.argmax(-1))] = V
    best = np.max(np.stack(list(values.values())), axis=0)  # optimal robust value, state-wise
    vi = rg.solve(g, U, tol=1e-11)
    pi = rg.solve(g, U, method="policy_iteration", tol=1e-11)
    np.testing.assert_allclose(vi.values[:, 0], best, atol=1e-9)
    np.testing.assert_allclose(pi.values[:, 0], best, atol=1e-9)
    assert vi.converged and pi.converged and abs(vi.gap) <= 1e-9


def _pure_deviations(game, player):
    """All deterministic Markov policies of one player: arrays (H, S) of its actions."""
    H, S = game.horizon, game.n_states
    for acts in itertools.product(range(game.n_actions[player]), repeat=H * S):
        yield np.array(acts).reshape(H, S)


def _deviate(game, pi, player, acts):
    """Joint policy where `player` plays `acts[h, s]` and the others their marginal."""
    full = pi.copy()
    others = full.sum(axis=2 + player, keepdims=True)
    onehot = np.zeros(full.shape[:2] + (game.n_actions[player],))
    np.put_along_axis(onehot, acts[..., None], 1.0, axis=-1)
    shape = [1] * full.ndim
    shape[0], shape[1], shape[2 + player] = full.shape[0], full.shape[1], game.n_actions[player]
    return others * onehot.reshape(shape)


def _modify(game, pi, player, phi):
    """CE strategy modification: recommended a_i is replaced by phi[h, s, a_i]."""
    out = np.zeros_like(pi)
    for h in range(game.horizon):
        for s in range(game.n_states):
            src = np.moveaxis(pi[h, s], player, 0)
            dst = np.moveaxis(out[h, s], player, 0)
            for a in range(game.n_actions[player]):
                dst[phi[h, s, a]] += src[a]
    return out


@pytest.mark.parametrize("U", [rg.TV(0.0), rg.TV(0.25)], ids=repr)
def test_gap_matches_brute_force_deviations(U):
    rng = np.random.default_rng(13)
    g = random_game(2, (2, 2), 2, rng=14)
    pi = random_policy(g, rng)  # correlated
    own = np.array([g.initial @ rg.evaluate(g, U, pi)[0, :, i] for i in range(2)])
    res = rg.gap(g, U, pi, kind="cce")
    res_ce = rg.gap(g, U, pi, kind="ce")
    for i in range(2):
        br = max(float(g.initial @ rg.evaluate(g, U, _deviate(g, pi, i, a))[0, :, i])
                 for a in _pure_deviations(g, i))
        assert abs(res.per_player[i] - (br - own[i])) <= 1e-10
        maps = itertools.product(itertools.product(range(2), repeat=2), repeat=g.horizon * g.n_states)
        br_ce = max(float(g.initial @ rg.evaluate(g, U, _modify(g, pi, i, np.array(m).reshape(2, 2, 2)))[0, :, i])
                    for m in maps)
        assert abs(res_ce.per_player[i] - (br_ce - own[i])) <= 1e-10
    assert res_ce.per_player.min() >= -1e-12  # following the recommendation is a modification
    assert res_ce.value >= res.value - 1e-12  # CE deviations include all CCE deviations
    assert not res.is_product
    nash = rg.gap(g, U, rg.product_policy([rg.marginal(pi, 0, 2), rg.marginal(pi, 1, 2)]), kind="nash")
    assert nash.is_product and nash.per_player.min() >= -1e-12  # own policy is a deviation


def test_best_response_discounted_is_optimal_deviation():
    rng = np.random.default_rng(15)
    g = random_game(3, (2, 2), gamma=0.8, rng=16)
    pi = random_policy(g, rng)
    U = rg.TV(0.2)
    br = rg.best_response(g, U, pi, 1, kind="nash", tol=1e-12)
    dev = _deviate(g.__class__(g.transitions[None], g.rewards[None]), pi[None], 1, br.deviation[None])[0]
    V = rg.evaluate(g, U, dev, tol=1e-12)
    np.testing.assert_allclose(V[:, 1], br.values, atol=1e-9)
    assert br.converged


def test_planning_input_errors():
    g = random_game(3, (2, 2), 2, rng=0)
    pi = np.full(g.policy_shape, 0.25)
    with pytest.raises(TypeError, match="game must be a MarkovGame"):
        rg.evaluate("game", rg.TV(0.1), pi)
    with pytest.raises(ValueError, match="policy must have shape"):
        rg.evaluate(g, rg.TV(0.1), pi[0])
    with pytest.raises(ValueError, match="policy .*sum to 1"):
        rg.evaluate(g, rg.TV(0.1), pi * 2)
    with pytest.raises(ValueError, match="U lists 3 sets but the game has 2 players"):
        rg.evaluate(g, [rg.TV(0.1)] * 3, pi)
    with pytest.raises(TypeError, match="U must be an uncertainty set"):
        rg.evaluate(g, 0.1, pi)
    with pytest.raises(ValueError, match="unknown kind"):
        rg.gap(g, rg.TV(0.1), pi, kind="bogus")
    with pytest.raises(ValueError, match="unknown equilibrium"):
        rg.solve(g, rg.TV(0.1), equilibrium="bogus")
    with pytest.raises(ValueError, match="player must be"):
        rg.best_response(g, rg.TV(0.1), pi, 2)
    with pytest.raises(ValueError, match="policy_iteration"):
        rg.solve(g, rg.TV(0.1), method="policy_iteration")
    g3 = random_game(2, (2, 2, 2), 2, rng=0)
    with pytest.raises(ValueError, match="use equilibrium='ce' or 'cce'"):
        rg.solve(g3, rg.TV(0.1), equilibrium="nash")


def test_product_policy_list_is_accepted():
    rng = np.random.default_rng(17)
    g = random_game(3, (2, 3), 2, rng=18)
    p1 = rng.dirichlet(np.ones(2), size=(2, 3))
    p2 = rng.dirichlet(np.ones(3), size=(2, 3))
    np.testing.assert_allclose(rg.evaluate(g, rg.TV(0.1), [p1, p2]),
                               rg.evaluate(g, rg.TV(0.1), rg.product_policy([p1, p2])))


@pytest.mark.parametrize("equilibrium", ["nash", "ce", "cce"])
@pytest.mark.parametrize("U", [rg.TV(0.0), rg.TV(0.3)], ids=repr)
def test_solve_two_players_is_certified_by_brute_force(equilibrium, U):
    """The returned policy's gap, recomputed by enumerating deviations, is ~0."""
    g = random_game(2, (2, 2), 2, rng=21)
    sol = rg.solve(g, U, equilibrium=equilibrium)
    assert sol.gap <= 1e-9
    pi = sol.policy
    own = [float(g.initial @ rg.evaluate(g, U, pi)[0, :, i]) for i in range(2)]
    for i in range(2):
        best = max(float(g.initial @ rg.evaluate(g, U, _deviate(g, pi, i, a))[0, :, i])
                   for a in _pure_deviations(g, i))
        assert best - own[i] <= 1e-9
        if equilibrium == "ce":
            maps = itertools.product(itertools.product(range(2), repeat=2), repeat=4)
            best_ce = max(float(g.initial @ rg.evaluate(g, U, _modify(g, pi, i, np.array(m).reshape(2, 2, 2)))[0, :, i])
                          for m in maps)
            assert best_ce - own[i] <= 1e-9
    if equilibrium == "nash":
        assert rg.gap(g, U, pi, kind="nash").is_product


def _maxmin_lp(A):
    """Value of max_x min_y x^T A y by scipy's HiGHS LP."""
    from scipy.optimize import linprog

    m, k = A.shape
    c = np.r_[np.zeros(m), -1.0]
    A_ub = np.c_[-A.T, np.ones(k)]
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(k), A_eq=np.r_[np.ones(m), 0.0][None], b_eq=[1.0],
                  bounds=[(0, None)] * m + [(None, None)], method="highs")
    return -res.fun


def test_zero_sum_nash_value_is_maxmin_at_radius_zero():
    """Shapley backward induction with an LP per state equals robust Nash VI at sigma = 0."""
    rng = np.random.default_rng(22)
    H, S = 3, 3
    base = random_game(S, (3, 2), H, rng=23)
    R1 = rng.random((H, S, 3, 2))
    g = rg.MarkovGame(base.transitions, np.stack([R1, -R1], axis=-1))
    sol = rg.solve(g, rg.TV(0.0), equilibrium="nash")
    V = np.zeros(S)
    for h in range(H - 1, -1, -1):
        Qh = R1[h] + np.einsum("sabt,t->sab", g.transitions[h], V)
        V = np.array([_maxmin_lp(Qh[s]) for s in range(S)])
    np.testing.assert_allclose(sol.values[0, :, 0], V, atol=1e-8)
    np.testing.assert_allclose(sol.values[0, :, 1], -V, atol=1e-8)
    # with sigma > 0 each player meets its own worst case: the game is no longer zero-sum
    robust = rg.solve(g, rg.TV(0.3), equilibrium="nash")
    assert robust.gap <= 1e-9
    assert np.max(np.abs(robust.values[0, :, 0] + robust.values[0, :, 1])) > 1e-6


def test_iteration_arguments_are_validated():
    g = random_game(3, (2, 2), gamma=0.9, rng=0)
    pi = np.full(g.policy_shape, 0.25)
    for call in (lambda **kw: rg.evaluate(g, rg.TV(0.1), pi, **kw),
                 lambda **kw: rg.gap(g, rg.TV(0.1), pi, **kw),
                 lambda **kw: rg.best_response(g, rg.TV(0.1), pi, 0, **kw),
                 lambda **kw: rg.solve(g, rg.TV(0.1), "cce", **kw)):
        with pytest.raises(ValueError, match="max_iter must be at least 1"):
            call(max_iter=0)
        for bad in (-1.0, 0.0, float("nan"), float("inf")):
            with pytest.raises(ValueError, match="tol must be a finite positive number"):
                call(tol=bad)
        with pytest.raises(TypeError, match="tol must be a real number"):
            call(tol="1e-8")


def test_max_iter_one_warns_and_still_returns_a_certified_gap():
    g = random_game(3, 2, gamma=0.95, n_players=1, rng=1)
    with pytest.warns(RuntimeWarning, match="robust value iteration .* did not reach"):
        sol = rg.solve(g, rg.TV(0.1), max_iter=1)
    assert not sol.converged and sol.iterations == 1
    assert sol.gap >= 0.0


def test_group_sets_must_fit_the_game():
    g = random_game(3, (2, 2), 2, rng=2)
    pi = np.full(g.policy_shape, 0.25)
    shared = rg.Group(np.full((2, 3), 1 / 3))
    per_row = rg.Group(np.broadcast_to(g.transitions, (2,) + g.transitions.shape))
    rg.evaluate(g, shared, pi)
    np.testing.assert_allclose(rg.evaluate(g, per_row, pi), rg.evaluate(g, rg.TV(0.0), pi), atol=1e-12)
    with pytest.raises(ValueError, match=r"U\.distributions has shape \(2, 5, 3\)"):
        rg.evaluate(g, rg.Group(np.full((2, 5, 3), 1 / 3)), pi)
    with pytest.raises(ValueError, match=r"U\[1\]\.distributions"):
        rg.evaluate(g, [shared, rg.Group(np.full((2, 7, 3, 2, 2, 3), 1 / 3))], pi)


def test_discounted_solution_q_is_the_backup_of_its_values():
    g = random_game(4, (2, 2), gamma=0.8, rng=3)
    sol = rg.solve(g, rg.TV(0.2), "cce", tol=1e-6)
    q = g.flat_rewards + g.gamma * np.stack(
        [rg.TV(0.2).worst_value(g.flat_transitions, sol.values[:, i]) for i in range(2)], axis=-1)
    np.testing.assert_allclose(sol.Q.reshape(q.shape), q, atol=1e-12)
