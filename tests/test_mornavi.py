"""MORNAVI: certified bounds, the optimism/pessimism inequalities, sublinear regret."""

import numpy as np
import pytest

import robustgames as rg
from robustgames.games._random import random_game
from robustgames.learning import MORNAVI, learn
from robustgames.learning import _kernels as K
from robustgames.uncertainty._kl import KL


def _kl(r):
    return getattr(rg, "KL", KL)(r)


@pytest.mark.parametrize("n_players,kind", [(1, "cce"), (2, "cce"), (2, "ce"), (2, "nash")])
@pytest.mark.parametrize("seed", [0, 1])
def test_certified_bound_holds_tv(n_players, kind, seed):
    game = random_game(3, 2, 3, n_players=n_players, rng=seed)
    res = learn(game, MORNAVI(rg.TV(0.2), equilibrium=kind, c_b=1.0), 60, rng=seed + 10)
    assert np.all(res.gap >= -1e-9)
    assert np.all(res.gap <= res.bound + 1e-8)
    assert np.all(res.bound <= game.horizon + 1e-12)


def test_certified_bound_holds_kl_and_per_player_radii():
    game = random_game(3, 2, 3, n_players=2, rng=3)
    for U in (_kl(0.2), [rg.TV(0.05), rg.TV(0.4)], [rg.TV(0.1), _kl(0.3)]):
        res = learn(game, MORNAVI(U, c_b=1.0), 40, rng=1)
        assert np.all(res.gap >= -1e-9)
        assert np.all(res.gap <= res.bound + 1e-8)


@pytest.mark.parametrize("kind", ["cce", "ce", "nash"])
@pytest.mark.parametrize("make_set", [lambda: rg.TV(0.3), lambda: rg.TV(0.7), lambda: _kl(0.4)])
def test_optimism_and_pessimism_componentwise(kind, make_set):
    """Vlow <= V^pi (robust) and Vbar >= V^BR at every step and state, every episode."""
    U = make_set()
    game = random_game(3, 2, 3, n_players=2, rng=4)
    learner = MORNAVI(U, equilibrium=kind, c_b=1.0)
    episodes = 40
    rng = np.random.default_rng(0)
    state = learner._start(game, episodes, rng)
    H, S, A, n = game.horizon, game.n_states, game.n_joint_actions, game.n_players
    P0 = np.ascontiguousarray(game.flat_transitions.reshape(H, S * A, S))
    R = np.ascontiguousarray(game.flat_rewards.reshape(H, S * A, n))
    st, ac, rw = np.empty(H + 1, dtype=np.int64), np.empty(H, dtype=np.int64), np.empty((H, n))
    for k in range(episodes):
        pi, cert = state.plan()
        policy = pi.reshape(game.policy_shape)
        if k % 4 == 0:
            V = rg.evaluate(game, U, policy)  # (H+1, S, n)
            for i in range(n):
                br = rg.best_response(game, U, policy, i, kind=kind).values  # (H+1, S)
                assert np.all(state.Vlow[:, i, :] <= V[:, :, i] + 1e-9)
                assert np.all(state.Vbar[:, i, :] >= br - 1e-8)
        K.sample_episode(P0, R, game.initial, pi, rng.random(2 * H + 1), st, ac, rw)
        state.observe(st, ac, rw)


def test_theory_cap_never_below_true_values_without_fail_state():
    """A large TV radius makes 1/sigma < H; the cap min(H-h, min Vbar + 1/sigma) must stay
    optimistic on a game with rewards near 1 everywhere (no fail state)."""
    rng = np.random.default_rng(0)
    H, S, A = 6, 3, 2
    P = rng.dirichlet(np.ones(S), size=(H, S, A))
    game = rg.MarkovGame(P, 0.9 + 0.1 * rng.random((H, S, A, 1)))
    res = learn(game, MORNAVI(rg.TV(0.8), c_b=1.0), 60, rng=0)
    assert np.all(res.gap <= res.bound + 1e-8)


def test_regret_sublinear_on_tiny_game():
    game = random_game(2, 2, 2, n_players=1, rng=3)
    res = learn(game, MORNAVI(rg.TV(0.1), c_b=0.1), 600, rng=0)
    first = res.gap[:120].mean()
    last = res.gap[-120:].mean()
    assert first > 0
    assert last < 0.25 * first
    assert res.regret[-1] < 600 * first


def test_regret_sublinear_two_players():
    game = random_game(2, 2, 2, n_players=2, rng=5)
    res = learn(game, MORNAVI(rg.TV(0.1), c_b=0.05), 600, rng=0)
    assert res.gap[-120:].mean() < 0.3 * res.gap[:120].mean()


def test_generic_set_path_matches_compiled_path():
    class MyTV(rg.TV):
        """Same set, unknown to the compiled kernels: exercises the `_values` hook path."""

    game = random_game(3, 2, 3, n_players=2, rng=2)
    a = learn(game, MORNAVI(rg.TV(0.2), c_b=0.05), 20, rng=1)
    b = learn(game, MORNAVI(MyTV(0.2), c_b=0.05), 20, rng=1, U=MyTV(0.2))
    np.testing.assert_allclose(a.gap, b.gap, atol=1e-9)
    np.testing.assert_allclose(a.bound, b.bound, atol=1e-9)


def test_other_sets_through_hooks():
    ChiSquare = getattr(rg, "ChiSquare", None)
    if ChiSquare is None:
        try:
            from robustgames.uncertainty._chi_square import ChiSquare
        except ImportError:
            pytest.skip("ChiSquare not available")
    game = random_game(3, 2, 2, n_players=2, rng=2)
    res = learn(game, MORNAVI(ChiSquare(0.3), c_b=1.0), 15, rng=1)
    assert np.all(res.gap >= -1e-9)
    assert np.all(res.gap <= res.bound + 1e-8)


def test_bernstein_bonus_runs_and_learns():
    game = random_game(2, 2, 2, n_players=1, rng=3)
    res = learn(game, MORNAVI(rg.TV(0.1), bonus="bernstein", c_b=0.3), 400, rng=0)
    assert np.all(res.gap >= -1e-9)
    assert res.gap[-80:].mean() <= res.gap[:80].mean()
    assert res.learner["bonus"] == "bernstein"


def test_bound_shrinks_with_data():
    game = random_game(2, 2, 2, n_players=1, rng=1)
    res = learn(game, MORNAVI(rg.TV(0.2), c_b=0.2), 400, rng=0)
    assert res.bound[-1] < 0.5 * res.bound[0]
