"""Sample-based robust factored Q-learners (robustgames.factorization._learners; DrIGM
arXiv 2602.11437, docs/theory.md section 6): the joint-table learner against the exact
target fixed points, seeds, exact evaluation of the greedy policy, argument checks."""

from __future__ import annotations

import numpy as np
import pytest

import robustgames as rg
from robustgames.factorization import robust_policy_value, target_fixed_point
from robustgames.factorization._learners import LEARNER_MIXERS, train_factored
from robustgames.games._building import building_climates, building_game


def tiny(seed=0, S=3, acts=(2, 2), gamma=0.6, offset=0.0):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S,) + acts)
    r = rng.random(size=(S,) + acts) + offset
    return rg.MarkovGame(P, np.repeat(r[..., None], len(acts), axis=-1), gamma=gamma)


TOL = 0.03  # sup-norm distance to the exact fixed point after 30000 samples (S*A = 12 rows)


@pytest.mark.parametrize("target,other", [("contamination_exact", "contamination"), ("tv_exact", "tv_dual")])
def test_joint_learner_approaches_exact_fixed_point(target, other):
    game = tiny(0, offset=-0.5)  # signed rewards: min V < 0 matters
    fp = target_fixed_point(game, target, 0.3)
    # the test discriminates: the dropped-term fixed point is far from the exact one
    assert np.abs(target_fixed_point(game, other, 0.3).Q - fp.Q).max() > 5 * TOL
    for seed in (0, 1):
        res = train_factored(game, target, 0.3, "joint", steps=30_000, rng=seed, igm=False)
        err = np.abs(res.Q.reshape(fp.Q.shape) - fp.Q).max()
        assert err <= TOL, (seed, err)
        assert res.history["robust_value"].shape == (10,)


def test_seeds_differ_and_reproduce():
    game = tiny(1)
    a = train_factored(game, "contamination", 0.2, "vdn", steps=2000, rng=0, igm=False)
    b = train_factored(game, "contamination", 0.2, "vdn", steps=2000, rng=np.random.default_rng(0), igm=False)
    c = train_factored(game, "contamination", 0.2, "vdn", steps=2000, rng=1, igm=False)
    assert np.array_equal(a.Q, b.Q)
    assert not np.allclose(a.Q, c.Q)


@pytest.mark.parametrize("mixer", LEARNER_MIXERS)
def test_greedy_policy_evaluated_exactly_and_igm(mixer):
    game = building_game()
    res = train_factored(game, "tv_exact", 0.2, mixer, steps=3000, rng=0)
    # the greedy policy is the per-agent argmax of the utilities
    greedy = np.stack([u.argmax(axis=1) for u in res.utilities], axis=1)
    assert np.array_equal(res.actions, np.ravel_multi_index(tuple(greedy.T), game.n_actions))
    V = rg.evaluate(game, rg.TV(0.2), res.policy)[:, 0]
    assert abs(game.initial @ V - res.robust_value) <= 1e-7
    assert res.robust_value <= res.optimum + 1e-8
    assert res.Q.shape == game.policy_shape
    assert res.igm is not None and res.igm.igm_given.shape == (9,)
    if mixer == "vdn":  # an additive Q: zero VDN residual, IGM of its own tables
        assert res.igm.vdn_residual_linf.max() <= 1e-6 and res.igm.all_igm_given
    if mixer == "monotone":  # monotone mixer: its per-agent greedy actions maximise Q
        assert res.igm.all_igm_given


def test_groupdr_and_g_network_run():
    game = building_game()
    K = building_climates()
    m = len(K)
    rewards = np.repeat(game.rewards[None, ..., 0], m, axis=0)
    group = (rewards, np.stack(list(K.values())))
    res = train_factored(game, "groupdr", 0.0, "vdn", steps=2000, rng=0, group=group, igm=False)
    ref = robust_policy_value(game, None, res.actions, group=(rewards.reshape(m, 9, 9),
                                                             group[1].reshape(m, 9, 9, 9)))
    assert abs(game.initial @ ref - res.robust_value) <= 1e-9 and res.robust_value <= res.optimum + 1e-8
    g = train_factored(tiny(2), "g_network", 0.3, "joint", steps=3000, rng=0, igm=False)
    assert np.all(g.eta == 0.0)  # V >= 0: the squared loss is 0 at g = 0 (docs/theory.md 6.3)


def test_bad_arguments():
    game = tiny(0)
    with pytest.raises(ValueError, match="target"):
        train_factored(game, "group_exact", 0.1)
    with pytest.raises(ValueError, match="mixer"):
        train_factored(game, "contamination", 0.1, "qtran")
    with pytest.raises(ValueError, match="rho"):
        train_factored(game, "contamination", 1.0)
    with pytest.raises(ValueError, match="rho > 0"):
        train_factored(game, "rfqi", 0.0)
    with pytest.raises(ValueError, match="steps"):
        train_factored(game, "contamination", 0.1, steps=0)
    with pytest.raises(TypeError, match="rng"):
        train_factored(game, "contamination", 0.1, rng="seed")
    with pytest.raises(ValueError, match="power"):
        train_factored(game, "contamination", 0.1, power=0.4)
    with pytest.raises(ValueError, match="epsilon"):
        train_factored(game, "contamination", 0.1, epsilon=2.0)
    with pytest.raises(ValueError, match="group"):
        train_factored(game, "groupdr", 0.1)
    with pytest.raises(ValueError, match="discounted"):
        train_factored(rg.MarkovGame(np.ones((2, 1, 2, 2, 1)), np.zeros((2, 1, 2, 2, 2))), "contamination", 0.1)
    with pytest.raises(TypeError, match="game"):
        train_factored("game", "contamination", 0.1)
