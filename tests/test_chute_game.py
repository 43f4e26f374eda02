"""The chute-mapping game: exact tables against independent computations."""

import itertools

import numpy as np
import pytest
from scipy.stats import binom

from robustgames.games._chute import chute_mapping_game, multinomial_outcomes, multinomial_pmf

GROUPS = np.array([[0.7, 0.3], [0.5, 0.5], [0.2, 0.8]])


@pytest.fixture(scope="module", params=["a", "b"])
def game(request):
    return chute_mapping_game(n_chutes=4, capacity=2, volume=6, steps=3, variant=request.param,
                              max_new=2, n_levels=3, groups=GROUPS)


def test_multinomial_pmf_matches_scipy():
    from scipy.stats import multinomial

    X = multinomial_outcomes(5, 3)
    assert len(X) == 21 and (X.sum(1) == 5).all()
    p = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    pmf = multinomial_pmf(X, p)
    for g in range(2):
        np.testing.assert_allclose(pmf[g], multinomial.pmf(X, 5, p[g]), atol=1e-14)


def test_encode_decode_round_trip(game):
    for s in range(game.n_states):
        c, lv = game.decode(s)
        assert game.encode(c, lv) == s
        assert c.sum() <= game.n_chutes
    with pytest.raises(ValueError, match="chutes"):
        game.encode((5, 5), (0, 0))


def test_feasible_mask(game):
    for s in range(game.n_states):
        for a in range(game.n_joint_actions):
            assert game.feasible[s, a] == (game.chutes[s].sum() + game.joint[a].sum() <= game.n_chutes)


def test_exact_throughput_from_binomial_marginals(game):
    """E[min(X_i + b_i, K_i)] with X_i ~ Bin(V, p_i): independent exact marginal formula."""
    V, kappa = game.volume, game.capacity
    x = np.arange(V + 1)
    for g, p in enumerate(GROUPS):
        for s in range(game.n_states):
            c, lv = game.decode(s)
            for a in np.flatnonzero(game.feasible[s]):
                K = kappa * (c + game.joint[a])
                b = kappa * lv
                thr = sum(binom.pmf(x, V, p[i]) @ np.minimum(x + b[i], K[i]) for i in range(2))
                load = V + b.sum()
                rec = load - thr
                reward = (thr + game.rho * (game.max_load - rec)) / ((1 + game.rho) * game.max_load)
                assert game.throughput[g, s, a] == pytest.approx(thr, abs=1e-10)
                assert game.recirculated[g, s, a] == pytest.approx(rec, abs=1e-10)
                assert game.rewards[g, s, a] == pytest.approx(reward, abs=1e-12)
    assert game.rewards.min() >= 0 and game.rewards.max() <= 1


def _simulate(game, s, a, p, rng, n):
    """Independent re-implementation of the documented step dynamics."""
    c, lv = game.decode(s)
    new_c = c + game.joint[a]
    X = rng.multinomial(game.volume, p, size=n)
    load = X + game.capacity * lv
    over = load - np.minimum(load, game.capacity * new_c)
    if game.variant == "b":
        lv2 = np.minimum(over // game.capacity, game.n_levels - 1)
    else:
        lv2 = np.zeros_like(over)
    return np.array([game.encode(new_c, row) for row in lv2])


def test_transitions_against_simulation(game):
    rng = np.random.default_rng(1)
    n = 4000
    for s in [game.initial_state, game.encode((1, 0), (2, 1) if game.variant == "b" else (0, 0))]:
        for a in np.flatnonzero(game.feasible[s])[:3]:
            for g in range(len(GROUPS)):
                nxt = _simulate(game, s, a, GROUPS[g], rng, n)
                freq = np.bincount(nxt, minlength=game.n_states) / n
                tv = 0.5 * np.abs(freq - game.transitions[g, s, a]).sum()
                assert tv < 0.05, (s, a, g, tv)


def test_variant_a_transitions_are_group_free_and_deterministic():
    g = chute_mapping_game(variant="a", groups=GROUPS)
    assert np.array_equal(g.transitions[0], g.transitions[1])
    assert np.allclose(g.transitions.max(-1), 1.0, atol=1e-12)


def test_markov_game_export_void_rule_and_mixture():
    g = chute_mapping_game(variant="b", n_chutes=3, volume=4, steps=2, groups=GROUPS)
    w = np.array([0.2, 0.3, 0.5])
    mg = g.as_markov_game(w)
    assert mg.n_players == 2 and mg.horizon == 2 and mg.n_states == g.n_states
    assert mg.initial[g.initial_state] == 1.0
    flatP = mg.flat_transitions[0]
    flatR = mg.flat_rewards[0]
    np.testing.assert_allclose(flatP, np.tensordot(w, g.transitions, 1))
    np.testing.assert_allclose(flatR[..., 0], flatR[..., 1])
    zero = 0  # joint action (0, 0)
    for s in range(g.n_states):
        for a in np.flatnonzero(~g.feasible[s]):
            np.testing.assert_array_equal(flatP[s, a], flatP[s, zero])
            np.testing.assert_array_equal(flatR[s, a], flatR[s, zero])
    single = g.as_markov_game(1)
    np.testing.assert_allclose(single.flat_rewards[1, ..., 0], g.rewards[1])


def test_groups_are_kmeans_centroids_of_history():
    g = chute_mapping_game(n_groups=5, rng=3)
    assert g.groups.shape == (5, 2) and np.allclose(g.groups.sum(1), 1)
    for k in range(5):
        np.testing.assert_allclose(g.groups[k], g.history[g.history_labels == k].mean(0), atol=1e-12)
    np.testing.assert_allclose(g.group_weights, np.bincount(g.history_labels) / len(g.history))
    again = chute_mapping_game(n_groups=5, rng=3)
    np.testing.assert_array_equal(g.groups, again.groups)
    trend = chute_mapping_game(n_groups=4, history="trend", rng=0)
    assert trend.groups.shape == (4, 2)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"variant": "c"}, "variant"), ({"n_chutes": 0}, "n_chutes"), ({"initial_chutes": 3}, "initial_chutes"),
     ({"groups": [[0.5, 0.6]]}, "groups"), ({"rho": -1.0}, "rho"), ({"history": "x"}, "history")],
)
def test_invalid_input_names_argument(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        chute_mapping_game(**kwargs)


def test_state_count():
    g = chute_mapping_game(n_destinations=3, n_chutes=4, variant="b", n_levels=2, groups=[[0.2, 0.3, 0.5]])
    n_chute_vectors = sum(1 for c in itertools.product(range(5), repeat=3) if sum(c) <= 4)
    assert g.n_states == n_chute_vectors * 8
