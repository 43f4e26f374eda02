"""The learn() runner and the baselines: exact gaps, reproducibility, input errors."""

import numpy as np
import pytest

import robustgames as rg
from robustgames.games._random import random_game
from robustgames.learning import DRNVI, MORNAVI, OptimisticNashVI, UniformPolicy, learn
from robustgames.learning import _kernels as K
from robustgames.uncertainty._kl import KL


def _kl(r):
    return getattr(rg, "KL", KL)(r)


@pytest.mark.parametrize("n_players,kind", [(1, "cce"), (2, "cce"), (2, "ce"), (2, "nash")])
@pytest.mark.parametrize("make_set", [lambda: rg.TV(0.2), lambda: _kl(0.3)])
def test_gap_is_the_planning_gap_of_each_policy(n_players, kind, make_set):
    U = make_set()
    game = random_game(3, 2, 3, n_players=n_players, rng=5)
    res = learn(game, MORNAVI(U, equilibrium=kind, c_b=0.05), 12, rng=2, keep_policies=True)
    assert res.gap.shape == res.bound.shape == res.regret.shape == (12,)
    assert res.gap_per_player.shape == (12, n_players)
    # res.gap is floored at 0; the signed per-player improvements are the real check:
    # >= 0 for Nash (product policies), CE (strategy modifications) and one player; under
    # CCE's fixed deviations a correlated policy can make them negative
    if kind != "cce" or n_players == 1:
        assert np.all(res.gap_per_player >= -1e-9)
    np.testing.assert_array_equal(res.gap, np.maximum(0.0, res.gap_per_player.max(axis=1)))
    for k in range(0, 12, 3):
        ref = rg.gap(game, U, res.policies[k], kind=kind)
        np.testing.assert_allclose(res.gap_per_player[k], ref.per_player, atol=1e-10, rtol=0)
        assert res.gap[k] == pytest.approx(ref.value, abs=1e-10)
    np.testing.assert_allclose(res.regret, np.cumsum(res.gap))


def test_compiled_gap_equals_planning_gap_every_episode():
    game = random_game(4, 2, 3, n_players=2, rng=1)
    for U in (rg.TV(0.15), _kl(0.2)):
        a = learn(game, MORNAVI(U, c_b=0.02), 30, rng=3)
        b = learn(game, MORNAVI(U, c_b=0.02), 30, rng=3, gap_method="planning")
        np.testing.assert_allclose(a.gap, b.gap, atol=1e-10, rtol=0)
        np.testing.assert_array_equal(a.bound, b.bound)


@pytest.mark.parametrize("kind", ["nash", "ce", "cce"])
def test_uniform_policy_gap_equals_rg_gap(kind):
    game = random_game(3, [2, 3], 3, rng=7)
    U = rg.TV(0.25)
    res = learn(game, UniformPolicy(equilibrium=kind), 4, rng=0, U=U)
    pol = [np.full((3, 3, 2), 0.5), np.full((3, 3, 3), 1 / 3)]
    ref = rg.gap(game, U, pol, kind=kind).value
    np.testing.assert_allclose(res.gap, max(ref, 0.0), atol=1e-10)
    assert np.isnan(res.bound).all()
    assert res.learner["name"] == "UniformPolicy"


def test_reproducible():
    game = random_game(4, 2, 3, n_players=2, rng=11)
    runs = [learn(game, MORNAVI(rg.TV(0.1), c_b=0.05), 25, rng=9) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].gap, runs[1].gap)
    np.testing.assert_array_equal(runs[0].bound, runs[1].bound)
    g = np.random.default_rng(4)
    d1 = learn(game, DRNVI(rg.TV(0.1), samples=5), 2, rng=np.random.default_rng(4))
    d2 = learn(game, DRNVI(rg.TV(0.1), samples=5), 2, rng=g)
    np.testing.assert_array_equal(d1.gap, d2.gap)
    other = learn(game, MORNAVI(rg.TV(0.1), c_b=0.05), 25, rng=10)
    assert not np.array_equal(other.gap, runs[0].gap)


def test_drnvi_with_many_samples_approaches_solve_n1():
    game = random_game(4, 3, 3, n_players=1, rng=2)
    U = rg.TV(0.2)
    sol = rg.solve(game, U, "cce")
    small = learn(game, DRNVI(U, samples=2), 1, rng=0, keep_policies=True)
    big = learn(game, DRNVI(U, samples=50_000), 1, rng=0, keep_policies=True)
    v_big = rg.evaluate(game, U, big.policies[0])[0, 0, 0]
    assert v_big == pytest.approx(sol.values[0, 0, 0], abs=2e-2)
    assert big.gap[0] <= 2e-2
    assert big.gap[0] <= small.gap[0] + 1e-12


def test_drnvi_with_many_samples_approaches_solve_n2():
    game = random_game(3, 2, 3, n_players=2, rng=4)
    U = rg.TV(0.2)
    sol = rg.solve(game, U, "cce")
    big = learn(game, DRNVI(U, samples=50_000), 1, rng=0, keep_policies=True)
    v_big = rg.evaluate(game, U, big.policies[0])[0, 0]
    np.testing.assert_allclose(v_big, sol.values[0, 0], atol=5e-2)


def test_drnvi_exact_model_equals_solve():
    """With the empirical model equal to P0 (deterministic kernel), DR-NVI's planning is
    robust value iteration: same values as rg.solve."""
    rng = np.random.default_rng(0)
    H, S, A = 3, 4, 3
    P = np.zeros((H, S, A, S))
    nxt = rng.integers(0, S, size=(H, S, A))
    np.put_along_axis(P, nxt[..., None], 1.0, axis=-1)
    game = rg.MarkovGame(P, rng.random((H, S, A, 1)))
    for U in (rg.TV(0.3), _kl(0.5)):
        sol = rg.solve(game, U, "cce")
        res = learn(game, DRNVI(U, samples=3), 1, rng=0, keep_policies=True)
        v = rg.evaluate(game, U, res.policies[0])
        np.testing.assert_allclose(v[0], sol.values[0], atol=1e-10)
        assert res.gap[0] <= 1e-10


def test_optimistic_nash_vi_needs_U_and_certifies_nothing_robust():
    game = random_game(3, 2, 3, n_players=2, rng=1)
    with pytest.raises(ValueError, match="U must be given"):
        learn(game, OptimisticNashVI(), 3)
    res = learn(game, OptimisticNashVI(c_b=0.1), 20, rng=0, U=rg.TV(0.2), keep_policies=True)
    assert np.isnan(res.bound).all()
    assert np.isfinite(res.learner_bound).all()
    np.testing.assert_array_equal(res.gap, np.maximum(0.0, res.gap_per_player.max(axis=1)))
    for k in (0, 7, 19):
        ref = rg.gap(game, rg.TV(0.2), res.policies[k], kind="cce")
        np.testing.assert_allclose(res.gap_per_player[k], ref.per_player, atol=1e-10, rtol=0)
        assert res.gap[k] == pytest.approx(ref.value, abs=1e-10)


def test_bound_nan_when_objective_differs_from_learner_sets():
    game = random_game(3, 2, 3, n_players=1, rng=1)
    res = learn(game, MORNAVI(rg.TV(0.1)), 3, rng=0, U=rg.TV(0.3))
    assert np.isnan(res.bound).all()
    res = learn(game, MORNAVI(rg.TV(0.1)), 3, rng=0, U=rg.TV(0.1))
    assert np.isfinite(res.bound).all()


def test_progress_bar_runs():
    game = random_game(3, 2, 2, n_players=1, rng=1)
    res = learn(game, MORNAVI(rg.TV(0.1)), 3, rng=0, progress=True)
    assert res.episodes == 3 and res.seconds >= 0


def test_invalid_inputs():
    game = random_game(3, 2, 3, n_players=2, rng=1)
    disc = random_game(3, 2, gamma=0.9, n_players=2, rng=1)
    with pytest.raises(ValueError, match="finite-horizon"):
        learn(disc, MORNAVI(rg.TV(0.1)), 3)
    with pytest.raises(ValueError, match="sets"):
        learn(game, MORNAVI([rg.TV(0.1)] * 3), 3)
    with pytest.raises(ValueError, match="episodes"):
        learn(game, MORNAVI(rg.TV(0.1)), 0)
    with pytest.raises(TypeError, match="episodes"):
        learn(game, MORNAVI(rg.TV(0.1)), 2.5)
    with pytest.raises(TypeError, match="learner"):
        learn(game, "mornavi", 3)
    with pytest.raises(TypeError, match="game"):
        learn("game", MORNAVI(rg.TV(0.1)), 3)
    with pytest.raises(ValueError, match="bonus"):
        MORNAVI(rg.TV(0.1), bonus="azuma")
    with pytest.raises(ValueError, match="equilibrium"):
        MORNAVI(rg.TV(0.1), equilibrium="qre")
    with pytest.raises(ValueError, match="c_b"):
        MORNAVI(rg.TV(0.1), c_b=-1.0)
    with pytest.raises(ValueError, match="delta"):
        MORNAVI(rg.TV(0.1), delta=1.5)
    with pytest.raises(TypeError, match="U"):
        MORNAVI(0.1)
    with pytest.raises(ValueError, match="samples"):
        DRNVI(rg.TV(0.1), samples=0)
    three = random_game(2, 2, 2, n_players=3, rng=0)
    with pytest.raises(ValueError, match="nash"):
        learn(three, MORNAVI(rg.TV(0.1), equilibrium="nash"), 2)


def test_kernel_support_rows_match_set_hooks():
    """Every set's row kernel (the engine's interface, what the learners' kernels call)
    against the set's own batched hook, on rows with zeros and a tie in v."""
    from robustgames.uncertainty import Group
    from robustgames.uncertainty._engine import values_by_rows

    rng = np.random.default_rng(3)
    P = rng.dirichlet(np.ones(6) * 0.5, size=40)
    P[:5, 2] = 0.0
    P[:5] /= P[:5].sum(axis=1, keepdims=True)
    v = rng.random(6) * 4
    v[1] = v[3]  # a tie
    sets = [rg.TV(0.0), rg.TV(0.2), rg.TV(1.0), _kl(0.0), _kl(0.05), _kl(3.0), rg.Contamination(0.3),
            rg.ChiSquare(0.0), rg.ChiSquare(0.3), rg.ChiSquare(20.0),
            Group(rng.dirichlet(np.ones(6), size=3)), Group(rng.dirichlet(np.ones(6), size=(3, 40)))]
    for U in sets:
        ref = np.empty(len(P))
        U._values(P, v, ref)
        out = np.empty(len(P))
        values_by_rows(U.row_kernel(), P, v, out)
        np.testing.assert_allclose(out, ref, atol=1e-12, rtol=0, err_msg=repr(U))


def test_episode_sampling_frequencies():
    """The sampler draws s_1 ~ mu, a ~ pi, s' ~ P0: empirical frequencies match."""
    game = rg.MarkovGame(np.array([[[[0.3, 0.7], [1.0, 0.0]], [[0.5, 0.5], [0.0, 1.0]]]]),
                         np.zeros((1, 2, 2, 1)), initial=[0.6, 0.4])
    P0 = np.ascontiguousarray(game.flat_transitions.reshape(1, 4, 2))
    R = np.zeros((1, 4, 1))
    pi = np.array([[[0.25, 0.75], [1.0, 0.0]]])
    rng = np.random.default_rng(0)
    states = np.empty(2, dtype=np.int64)
    actions = np.empty(1, dtype=np.int64)
    rewards = np.empty((1, 1))
    n = 20000
    tally = np.zeros((2, 2, 2))
    for _ in range(n):
        K.sample_episode(P0, R, game.initial, pi, rng.random(3), states, actions, rewards)
        tally[states[0], actions[0], states[1]] += 1
    expected = game.initial[:, None, None] * pi[0][:, :, None] * game.transitions[0]
    np.testing.assert_allclose(tally / n, expected, atol=0.015)
