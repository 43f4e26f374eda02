"""MarkovGame construction, validation messages, joint-action helpers and results."""

import pickle

import numpy as np
import pytest

import robustgames as rg
from robustgames.games._random import random_game


def _finite(H=2, S=3, acts=(2, 3), rng=0):
    return random_game(S, acts, H, rng=rng)


def test_shapes_finite_and_discounted():
    g = _finite()
    assert g.n_players == 2 and g.n_actions == (2, 3) and g.horizon == 2 and not g.discounted
    assert g.policy_shape == (2, 3, 2, 3) and g.value_shape == (3, 3, 2)
    assert g.flat_transitions.shape == (2, 3, 6, 3) and g.flat_rewards.shape == (2, 3, 6, 2)
    d = random_game(4, (2,), gamma=0.9, rng=1)
    assert d.discounted and d.horizon is None and d.n_players == 1
    assert d.policy_shape == (4, 2) and d.value_shape == (4, 1)
    np.testing.assert_array_equal(d.initial, [1, 0, 0, 0])


def test_flat_index_matches_multi_index():
    g = _finite()
    for a1 in range(2):
        for a2 in range(3):
            j = rg.joint_index((a1, a2), g.n_actions)
            assert rg.joint_actions(j, g.n_actions) == (a1, a2)
            np.testing.assert_array_equal(g.flat_transitions[:, :, j], g.transitions[:, :, a1, a2])
            np.testing.assert_array_equal(g.flat_rewards[:, :, j], g.rewards[:, :, a1, a2])


def test_arrays_are_read_only():
    g = _finite()
    with pytest.raises(ValueError):
        g.transitions[0, 0, 0, 0, 0] = 1.0


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda P, R: (P[..., :2], R), "transitions' last axis"),
        (lambda P, R: (P, R[..., :1]), "dimensions"),
        (lambda P, R: (P[:, :, :1], R), "does not match"),
    ],
)
def test_shape_errors(mutate, match):
    g = _finite()
    P, R = mutate(g.transitions.copy(), g.rewards.copy())
    with pytest.raises(ValueError, match=match):
        rg.MarkovGame(P, R)


def test_row_sum_error_names_first_index():
    g = _finite()
    P = g.transitions.copy()
    P[1, 2, 0, 1, 0] += 1e-6
    with pytest.raises(ValueError, match=r"transitions rows must sum to 1.*\(1, 2, 0, 1\)"):
        rg.MarkovGame(P, g.rewards)
    P[1, 2, 0, 1, 0] -= 1e-6
    P[1, 2, 0, 1, 0] += 5e-9  # within tolerance
    rg.MarkovGame(P, g.rewards)


@pytest.mark.parametrize("bad, match", [(-0.1, "negative"), (np.nan, "non-finite"), (np.inf, "non-finite")])
def test_bad_entries(bad, match):
    g = _finite()
    P = g.transitions.copy()
    P[0, 0, 0, 0, 0] = bad
    with pytest.raises(ValueError, match=f"transitions.*{match}|{match}.*transitions"):
        rg.MarkovGame(P, g.rewards)
    R = g.rewards.copy()
    R[0, 0, 0, 0, 1] = np.nan
    with pytest.raises(ValueError, match="rewards has a non-finite entry"):
        rg.MarkovGame(g.transitions, R)


@pytest.mark.parametrize("gamma", [1.0, -0.1, 1.5])
def test_gamma_range(gamma):
    d = random_game(3, 2, gamma=0.5, rng=0)
    with pytest.raises(ValueError, match="gamma must lie in"):
        rg.MarkovGame(d.transitions, d.rewards, gamma=gamma)
    with pytest.raises(TypeError, match="gamma"):
        rg.MarkovGame(d.transitions, d.rewards, gamma="0.5")


def test_finite_game_given_gamma_is_a_shape_error():
    g = _finite()
    with pytest.raises(ValueError, match="discounted"):
        rg.MarkovGame(g.transitions, g.rewards, gamma=0.9)


@pytest.mark.parametrize("initial, match", [([0.5, 0.5], "shape"), ([0.5, 0.6, -0.1], "negative"),
                                             ([0.5, 0.6, 0.0], "sum to 1")])
def test_initial_errors(initial, match):
    g = _finite()
    with pytest.raises(ValueError, match=f"initial.*{match}|{match}"):
        rg.MarkovGame(g.transitions, g.rewards, initial=initial)


def test_product_policy_and_marginals():
    rng = np.random.default_rng(0)
    p1 = rng.dirichlet(np.ones(2), size=(3, 4))
    p2 = rng.dirichlet(np.ones(3), size=(3, 4))
    joint = rg.product_policy([p1, p2])
    assert joint.shape == (3, 4, 2, 3)
    np.testing.assert_allclose(joint[1, 2], np.outer(p1[1, 2], p2[1, 2]))
    np.testing.assert_allclose(rg.marginal(joint, 0, 2), p1)
    np.testing.assert_allclose(rg.marginal(joint, 1, 2), p2)
    with pytest.raises(ValueError, match=r"policies\[1\] has leading shape"):
        rg.product_policy([p1, p2[:2]])
    with pytest.raises(ValueError, match=r"policies\[0\] rows must sum"):
        rg.product_policy([p1 * 2, p2])


def test_joint_index_errors():
    with pytest.raises(ValueError, match="actions\\[1\\]=3 is out of range"):
        rg.joint_index((0, 3), (2, 3))
    with pytest.raises(ValueError, match="index=6 is out of range"):
        rg.joint_actions(6, (2, 3))


def test_deterministic_policy():
    pol = rg.deterministic_policy(np.array([[0, 5], [3, 2]]), (2, 3))
    assert pol.shape == (2, 2, 2, 3)
    assert pol[0, 1, 1, 2] == 1.0 and pol.sum() == 4.0


def test_random_game_reproducible_and_supported():
    a, b, c = (random_game(5, 2, 3, support=2, rng=s) for s in (7, 7, 8))
    np.testing.assert_array_equal(a.transitions, b.transitions)
    assert not np.array_equal(a.transitions, c.transitions)
    assert ((a.transitions > 0).sum(axis=-1) <= 2).all()
    with pytest.raises(ValueError, match="exactly one of horizon"):
        random_game(3, 2)
    with pytest.raises(ValueError, match="support must be at most"):
        random_game(3, 2, 2, support=4)


def test_result_attribute_access_and_repr():
    res = rg.Result(values=np.zeros((10, 10)), policy=np.ones(2), gap=0.5)
    assert res.gap == 0.5 and res["gap"] == 0.5 and "values" in res
    assert res.values.shape == (10, 10)  # a field, not a dict method
    assert res.keys() == ["values", "policy", "gap"]
    text = repr(res)
    assert "shape=(10, 10)" in text and "gap: 0.5" in text
    with pytest.raises(AttributeError, match="no field 'nope'"):
        res.nope
    clone = pickle.loads(pickle.dumps(res))
    assert clone.gap == 0.5 and clone.keys() == res.keys()


def test_empty_horizon_is_rejected():
    with pytest.raises(ValueError, match="must be non-empty"):
        rg.MarkovGame(np.ones((0, 2, 2, 2)), np.zeros((0, 2, 2, 1)))
