"""The two-robot intersection game: encoding, dynamics, symmetry, equilibrium structure."""

import itertools

import numpy as np
import pytest

import robustgames as rg
from robustgames.games import MarkovGame
from robustgames.games._coordination import intersection_game, intersection_index, intersection_state

CLIMBING_NE = {(0, 0), (1, 1)}
PENALTY_NE = {(0, 0), (1, 1), (2, 2)}


def stationary(game):
    """(P (S, 3, 3, S), R (S, 3, 3, 2)), checking finite-horizon games are stationary."""
    if game.discounted:
        return game.transitions, game.rewards
    for h in range(1, game.horizon):
        np.testing.assert_array_equal(game.transitions[h], game.transitions[0])
        np.testing.assert_array_equal(game.rewards[h], game.rewards[0])
    return game.transitions[0], game.rewards[0]


def team_pure_nash(Q):
    """Pure Nash equilibria of a 2-player identical-payoff matrix, by brute force."""
    return {
        (i, j)
        for i, j in itertools.product(range(Q.shape[0]), range(Q.shape[1]))
        if Q[i, j] >= Q[:, j].max() and Q[i, j] >= Q[i, :].max()
    }


@pytest.mark.parametrize("length", [2, 3, 4])
@pytest.mark.parametrize("slip", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("payoff", ["climbing", "penalty"])
def test_builds_valid_small_team_game(length, slip, payoff):
    g = intersection_game(length=length, slip=slip, payoff=payoff)
    assert isinstance(g, MarkovGame) and g.name == f"intersection_{payoff}"
    assert g.n_states == (length + 1) ** 2 + 1 <= 30
    assert g.n_actions == (3, 3) and g.horizon == 2 * length + 2
    P, R = stationary(g)
    np.testing.assert_allclose(P.sum(axis=-1), 1.0, atol=1e-12)
    assert (R >= 0).all() and (R <= 1).all()
    np.testing.assert_array_equal(R[..., 0], R[..., 1])  # cooperative
    crash = g.n_states - 1
    np.testing.assert_array_equal(P[crash, ..., crash], 1.0)
    np.testing.assert_array_equal(R[crash], 0.0)
    # only the conflict state can crash
    conflict = intersection_index(length - 1, length - 1, length=length)
    others = [s for s in range(crash) if s != conflict]
    np.testing.assert_array_equal(P[others][..., crash], 0.0)
    assert g.initial[intersection_index(0, 0, length=length)] == 1.0


@pytest.mark.parametrize("length", [2, 3])
def test_encoding_roundtrip(length):
    g = intersection_game(length=length)
    seen = set()
    for s in range(g.n_states):
        d = intersection_state(s, length=length)
        seen.add(d)
        if d == "crash":
            assert s == g.n_states - 1
        else:
            assert intersection_index(*d, length=length) == s
    assert len(seen) == g.n_states


@pytest.mark.parametrize("payoff", ["climbing", "penalty"])
def test_slip_zero_is_deterministic_and_follows_the_rules(payoff):
    L = 3
    g = intersection_game(length=L, slip=0.0, payoff=payoff)
    P, R = stationary(g)
    assert set(np.unique(P)) <= {0.0, 1.0}
    nxt = P.argmax(axis=-1)
    crash = g.n_states - 1
    conflict = intersection_index(L - 1, L - 1, length=L)
    M = R[conflict, :, :, 0]
    for s in range(crash):
        x1, x2 = intersection_state(s, length=L)
        for a1, a2 in itertools.product(range(3), range(3)):
            if s == conflict:
                expect = crash if M[a1, a2] == M.min() else intersection_index(L, L, length=L)
            else:
                expect = intersection_index(min(x1 + 1, L), min(x2 + 1, L), length=L)
                assert R[s, a1, a2, 0] == ((x1 == L) + (x2 == L)) / 2
            assert nxt[s, a1, a2] == expect, (s, a1, a2)
    # with slip 0 the robots meet at the conflict after L - 1 steps
    mu = g.initial
    for _ in range(L - 1):
        mu = np.einsum("s,st->t", mu, P[:, 0, 0])
    assert mu[conflict] == 1.0


def test_slip_probabilities():
    L, slip = 3, 0.2
    g = intersection_game(length=L, slip=slip)
    P, _ = stationary(g)
    s = intersection_index(0, 1, length=L)
    row = P[s, 0, 0]
    assert row[intersection_index(1, 2, length=L)] == pytest.approx((1 - slip) ** 2)
    assert row[intersection_index(0, 1, length=L)] == pytest.approx(slip**2)
    assert row[intersection_index(1, 1, length=L)] == pytest.approx((1 - slip) * slip)
    conflict = intersection_index(L - 1, L - 1, length=L)
    # climbing collision (a, b): crash only if both enter
    assert P[conflict, 0, 1, -1] == pytest.approx((1 - slip) ** 2)
    assert P[conflict, 0, 0, -1] == 0.0


@pytest.mark.parametrize("slip", [0.0, 0.3])
def test_penalty_version_symmetric_under_swapping_robots(slip):
    L = 3
    n_pos = L + 1
    S = n_pos**2 + 1
    swap = np.array(
        [s if s == S - 1 else intersection_index(s % n_pos, s // n_pos, length=L) for s in range(S)]
    )
    for payoff, symmetric in (("penalty", True), ("climbing", False)):
        g = intersection_game(length=L, slip=slip, payoff=payoff)
        P, R = stationary(g)
        P_sw = P[swap][:, :, :, swap].transpose(0, 2, 1, 3)
        R_sw = R[swap].transpose(0, 2, 1, 3)
        assert (np.array_equal(P_sw, P) and np.array_equal(R_sw, R)) == symmetric


@pytest.mark.parametrize("payoff, ne", [("climbing", CLIMBING_NE), ("penalty", PENALTY_NE)])
@pytest.mark.parametrize("sigma", [0.0, 0.2])
@pytest.mark.parametrize("slip", [0.0, 0.1])
def test_conflict_stage_game_keeps_matrix_equilibria(payoff, ne, sigma, slip):
    """Robust team backward induction (brute force over TV(sigma)): at the conflict state
    the stage game of robust Q values has the textbook pure Nash equilibria."""
    L = 3
    g = intersection_game(length=L, slip=slip, payoff=payoff)
    U = rg.TV(sigma)
    P, R = g.transitions, g.rewards[..., 0]
    conflict = intersection_index(L - 1, L - 1, length=L)
    V = np.zeros(g.n_states)
    for h in range(g.horizon - 1, -1, -1):
        Q = R[h] + U.worst_value(P[h], V)
        assert team_pure_nash(Q[conflict]) == ne
        V = Q.reshape(g.n_states, -1).max(axis=1)


def test_discounted_and_start():
    g = intersection_game(gamma=0.95, payoff="penalty", k=-50.0, start=(1, 0))
    assert g.discounted and g.gamma == 0.95
    assert g.initial[intersection_index(1, 0, length=3)] == 1.0
    g2 = intersection_game(horizon=3, length=2)
    assert g2.horizon == 3 and g2.n_states == 10


@pytest.mark.parametrize(
    "kw, exc, word",
    [
        ({"slip": 1.0}, ValueError, "slip"),
        ({"slip": -0.1}, ValueError, "slip"),
        ({"payoff": "prisoners"}, ValueError, "payoff"),
        ({"length": 1}, ValueError, "length"),
        ({"horizon": 0}, ValueError, "horizon"),
        ({"horizon": 4, "gamma": 0.9}, ValueError, "gamma"),
        ({"gamma": 1.2}, ValueError, "gamma"),
        ({"payoff": "penalty", "k": 3.0}, ValueError, "k"),
        ({"start": (4, 0)}, ValueError, "x1"),
        ({"start": 0}, ValueError, "start"),
    ],
)
def test_invalid_arguments(kw, exc, word):
    with pytest.raises(exc, match=word):
        intersection_game(**kw)


def test_decode_invalid_index():
    with pytest.raises(ValueError, match="index"):
        intersection_state(17, length=3)
    with pytest.raises(TypeError, match="index"):
        intersection_state(1.0, length=3)
