"""Plumbing of the deep agents at tiny size: tracker records, igm_report, exact
measurements, reproducible seeds; the QMIX mixer is monotone; the regularised
exploitability is 0 at the exact Markov RQE (its certificate) and positive elsewhere."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import robustgames as rg  # noqa: E402
from robustgames.deep import QMixer, regularised_exploitability, train_factorised, train_rqe_mappo  # noqa: E402
from robustgames.games import climbing_game, penalty_game  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.parametrize("mixer", ["vdn", "qmix"])
@pytest.mark.parametrize("target", ["contamination_exact", "g_network"])
def test_factorised_plumbing(mixer, target):
    game = climbing_game(gamma=0.8)
    res = train_factorised(game, target, 0.1, mixer, steps=200, track_every=100, seed=1)
    assert res.history["step"] == [0, 100, 200]
    assert len(res.tracker.records) == 3
    assert [r["step"] for r in res.tracker.records] == [0, 100, 200]
    # the tracker's exact value equals the history's (same policy, same set, no terminals)
    assert res.tracker.records[-1]["values"][0] == pytest.approx(res.history["robust_value"][-1], abs=1e-8)
    assert res.robust_value <= res.optimum + 1e-9
    assert res.igm is not None and res.igm.igm_given.shape == (game.n_states,)
    assert res.Q.shape == game.policy_shape
    # the greedy decentralised policy of the utilities is what was evaluated
    a = np.ravel_multi_index(tuple(u.argmax(axis=1) for u in res.utilities), game.n_actions)
    np.testing.assert_array_equal(a, res.actions)


@pytest.mark.parametrize("mixer", ["vdn", "qmix"])
def test_factorised_finite_horizon_chute(mixer):
    # the chute-mapping game of the DrIGM study (finite horizon 4, 21 states)
    game = rg.chute_mapping_game(rng=0).as_markov_game()
    res = train_factorised(game, "contamination_exact", 0.1, mixer, steps=120, track_every=60, seed=0)
    H, S = game.horizon, game.n_states
    assert res.history["step"] == [0, 60, 120]
    assert res.Q.shape == game.policy_shape == (H, S, 2, 2)
    assert res.actions.shape == (H, S) and all(u.shape == (H, S, 2) for u in res.utilities)
    a = np.ravel_multi_index(tuple(u.argmax(axis=-1) for u in res.utilities), game.n_actions)
    np.testing.assert_array_equal(a, res.actions)
    # the tracker (policy callables reading the (h, s) one-hot -> assess) agrees with the
    # backward-induction value of the greedy (H, S) actions
    assert res.tracker.records[-1]["values"][0] == pytest.approx(res.history["robust_value"][-1], abs=1e-8)
    # the optimum: backward induction over the contamination set
    U = rg.Contamination(0.1)
    from robustgames.factorization import robust_policy_value, team_robust_q

    assert res.optimum == pytest.approx(float(game.initial @ team_robust_q(game, U).V[0]), abs=1e-12)
    assert res.robust_value == pytest.approx(float(game.initial @ robust_policy_value(game, U, res.actions)[0]))
    assert res.robust_value <= res.optimum + 1e-9
    assert res.igm.igm_given.shape == (H * S,)
    with pytest.raises(ValueError, match="groupdr"):
        train_factorised(game, "groupdr", 0.1, mixer, steps=10)


def test_factorised_seeds_reproducible():
    game = penalty_game(gamma=0.8)
    a = train_factorised(game, "tv_exact", 0.2, "qmix", steps=150, track_every=150, seed=3, tracker=False, igm=False)
    b = train_factorised(game, "tv_exact", 0.2, "qmix", steps=150, track_every=150, seed=3, tracker=False, igm=False)
    c = train_factorised(game, "tv_exact", 0.2, "qmix", steps=150, track_every=150, seed=4, tracker=False, igm=False)
    np.testing.assert_array_equal(a.Q, b.Q)
    assert not np.array_equal(a.Q, c.Q)


def test_factorised_groupdr_and_terminal():
    from robustgames.games._building import building_climates, building_game

    b = building_game()
    K = building_climates()
    group = (np.repeat(b.rewards[None, ..., 0], len(K), axis=0), np.stack(list(K.values())))
    res = train_factorised(b, "groupdr", 0.1, "vdn", steps=100, track_every=100, group=group, igm=False)
    assert len(res.history["robust_value"]) == 2 and res.robust_value <= res.optimum + 1e-9
    with pytest.raises(ValueError, match="group"):
        train_factorised(b, "groupdr", 0.1, "vdn", steps=10)
    # a pinned terminal: measured by robust_policy_value, no tracker
    P = np.zeros((2, 2, 2, 2))
    P[0, ..., 1] = 0.5
    P[0, ..., 0] = 0.5
    P[1, ..., 1] = 1.0
    R = np.zeros((2, 2, 2, 2))
    R[0, 0, 0] = 1.0
    R[0, 1, 1] = -1.0
    g = rg.MarkovGame(P, R, gamma=0.9)
    res = train_factorised(g, "contamination", 0.2, "vdn", steps=100, track_every=50, terminal=[1], igm=False)
    assert res.tracker is None and len(res.history["step"]) == 3


def test_bad_arguments_named():
    game = penalty_game(gamma=0.8)
    with pytest.raises(ValueError, match="target"):
        train_factorised(game, "nope", 0.1)
    with pytest.raises(ValueError, match="mixer"):
        train_factorised(game, "contamination", 0.1, "qtran")
    with pytest.raises(ValueError, match="horizon"):
        train_rqe_mappo(penalty_game(gamma=0.9), 1.0, 0.5)


def test_qmix_mixer_monotone():
    torch.manual_seed(0)
    mix = QMixer(3, 4, embed=5)
    qs = torch.randn(64, 3, requires_grad=True)
    state = torch.eye(4)[torch.randint(4, (64,))]
    mix(qs, state).sum().backward()
    assert (qs.grad >= 0).all()


def test_mappo_plumbing_and_seeds():
    game = penalty_game(horizon=1)
    a = train_rqe_mappo(game, 1.0, 0.5, iterations=4, episodes=4, track_every=2, seed=0)
    b = train_rqe_mappo(game, 1.0, 0.5, iterations=4, episodes=4, track_every=2, seed=0)
    assert a.history["iteration"] == [0, 2, 4]
    for x, y in zip(a.strategies, b.strategies):
        np.testing.assert_array_equal(x, y)
    assert 0.0 <= a.distance_rqe <= 1.0 and a.exploitability >= 0.0
    assert len(a.critic["w1"]) == 2 and all(w >= 0 for w in a.critic["w1"])
    assert a.rqe_exploitability < 1e-9


def test_regularised_exploitability_zero_at_the_exact_rqe():
    game = rg.rqe_grid_world(horizon=3)
    sol = rg.solve_rqe(game, 0.5, 0.8)
    gain, V = regularised_exploitability(game, sol.strategies, 0.5, 0.8)
    assert gain.max() < 1e-8
    np.testing.assert_allclose(V, sol.values, atol=1e-9)  # same recursion as solve_rqe (regularized)
    uniform = [np.full_like(x, 1.0 / x.shape[-1]) for x in sol.strategies]
    assert regularised_exploitability(game, uniform, 0.5, 0.8)[0].max() > 1e-3
