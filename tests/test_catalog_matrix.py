"""Classic matrix games as one-state Markov games: shapes, scaling, textbook equilibria.

Equilibrium properties are checked by brute force over pure profiles (and by the
indifference of every pure deviation against the claimed mixed equilibria), on both the
textbook numbers and the rescaled ones.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from robustgames.games import MarkovGame
from robustgames.games._matrix import (
    climbing_game,
    matching_pennies,
    matrix_game,
    penalty_game,
    prisoners_dilemma,
    rock_paper_scissors,
    stag_hunt,
)

NAMED = [matching_pennies, rock_paper_scissors, prisoners_dilemma, stag_hunt, climbing_game, penalty_game]


def payoffs(game):
    """The stage payoff array (A_1..A_n, n) of a one-state game, checking it is the same
    at every step."""
    R = game.rewards
    if game.discounted:
        return R[0]
    for h in range(1, game.horizon):
        np.testing.assert_array_equal(R[h], R[0])
    return R[0, 0]


def pure_nash(M, strict=False):
    """All pure Nash equilibria of the payoff array M (A_1..A_n, n), by brute force."""
    acts = M.shape[:-1]
    out = set()
    for prof in itertools.product(*map(range, acts)):
        ok = True
        for i in range(len(acts)):
            for dev in range(acts[i]):
                if dev == prof[i]:
                    continue
                alt = list(prof)
                alt[i] = dev
                gain = M[tuple(alt) + (i,)] - M[prof + (i,)]
                if gain > 0 or (strict and gain >= 0):
                    ok = False
        if ok:
            out.add(prof)
    return out


def deviation_payoffs(M, x, y):
    """Expected payoff of each pure action against the opponent's mixed strategy."""
    return M[..., 0] @ y, x @ M[..., 1]


@pytest.mark.parametrize("factory", NAMED)
@pytest.mark.parametrize("kw", [{}, {"horizon": 3}, {"gamma": 0.9}, {"scale": False}])
def test_builds_one_state_games(factory, kw):
    g = factory(**kw)
    assert isinstance(g, MarkovGame)
    assert g.name == factory.__name__
    assert g.n_states == 1 and g.n_players == 2
    assert g.discounted == ("gamma" in kw)
    if not g.discounted:
        assert g.horizon == kw.get("horizon", 1)
    np.testing.assert_array_equal(g.transitions, 1.0)
    M = payoffs(g)
    if kw.get("scale", True):
        assert M.min() == 0.0 and M.max() == 1.0


@pytest.mark.parametrize("factory", NAMED)
def test_scaling_is_one_common_positive_affine_map(factory):
    raw = payoffs(factory(scale=False)).ravel()
    scaled = payoffs(factory()).ravel()
    a, b = np.polyfit(raw, scaled, 1)
    assert a > 0
    np.testing.assert_allclose(a * raw + b, scaled, atol=1e-12)


@pytest.mark.parametrize("scale", [True, False])
def test_prisoners_dilemma_defect_strictly_dominant(scale):
    M = payoffs(prisoners_dilemma(scale=scale))
    C, D = 0, 1
    for other in (C, D):
        assert M[D, other, 0] > M[C, other, 0]
        assert M[other, D, 1] > M[other, C, 1]
    assert pure_nash(M) == {(D, D)}
    assert (M[C, C] > M[D, D]).all()  # the dilemma: (C, C) Pareto-dominates


@pytest.mark.parametrize("scale", [True, False])
def test_stag_hunt_two_strict_pure_equilibria_and_mixed(scale):
    M = payoffs(stag_hunt(scale=scale))
    assert pure_nash(M) == {(0, 0), (1, 1)}
    assert pure_nash(M, strict=True) == {(0, 0), (1, 1)}
    assert (M[0, 0] > M[1, 1]).all()  # stag is payoff dominant
    x = y = np.array([2 / 3, 1 / 3])
    u_row, u_col = deviation_payoffs(M, x, y)
    np.testing.assert_allclose(u_row, u_row[0])
    np.testing.assert_allclose(u_col, u_col[0])


@pytest.mark.parametrize("factory", [matching_pennies, rock_paper_scissors])
@pytest.mark.parametrize("scale", [True, False])
def test_zero_sum_games_no_pure_equilibrium_uniform_is_nash(factory, scale):
    M = payoffs(factory(scale=scale))
    assert pure_nash(M) == set()
    total = M.sum(axis=-1)
    np.testing.assert_allclose(total, total.flat[0])  # zero- (constant-) sum
    np.testing.assert_allclose(total, 1.0 if scale else 0.0)
    m = M.shape[0]
    u = np.full(m, 1 / m)
    u_row, u_col = deviation_payoffs(M, u, u)
    np.testing.assert_allclose(u_row, u_row[0])
    np.testing.assert_allclose(u_col, u_col[0])


@pytest.mark.parametrize("scale", [True, False])
def test_climbing_game_textbook_equilibria(scale):
    M = payoffs(climbing_game(scale=scale))
    np.testing.assert_array_equal(M[..., 0], M[..., 1])  # team game
    assert pure_nash(M) == {(0, 0), (1, 1)}
    assert np.unravel_index(np.argmax(M[..., 0]), (3, 3)) == (0, 0)
    # the optimum is surrounded by the worst payoffs (the miscoordination penalty)
    assert M[0, 1, 0] == M[..., 0].min() == M[1, 0, 0]
    # (c, c) is not an equilibrium: the row player "climbs" to b
    assert M[1, 2, 0] > M[2, 2, 0]


@settings(max_examples=25, deadline=None)
@given(k=st.floats(-100, 0), scale=st.booleans())
def test_penalty_game_textbook_equilibria(k, scale):
    M = payoffs(penalty_game(k, scale=scale))
    np.testing.assert_array_equal(M[..., 0], M[..., 1])
    assert pure_nash(M) == {(0, 0), (1, 1), (2, 2)}
    assert M[0, 0, 0] == M[2, 2, 0] == M[..., 0].max()


@settings(max_examples=30, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 3),
    horizon=st.integers(1, 4),
)
def test_matrix_game_from_any_payoff_array(data, n, horizon):
    acts = data.draw(st.tuples(*[st.integers(1, 3)] * n))
    M = data.draw(arrays(np.float64, acts + (n,), elements=st.integers(-5, 5).map(float)))
    g = matrix_game(M, horizon=horizon)
    assert g.n_actions == acts and g.n_players == n and g.horizon == horizon
    np.testing.assert_array_equal(payoffs(g), M)
    gd = matrix_game(M, gamma=0.5, name="x")
    assert gd.name == "x" and gd.gamma == 0.5
    np.testing.assert_array_equal(payoffs(gd), M)
    s = payoffs(matrix_game(M, scale=True))
    assert s.min() >= 0 and s.max() <= 1
    assert pure_nash(s) == pure_nash(M)


def test_matrix_game_default_is_one_shot():
    g = matrix_game(np.zeros((2, 2, 2)))
    assert g.horizon == 1 and g.name == "matrix"


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: matrix_game(np.zeros((2, 2, 3))), ValueError, "payoffs"),
        (lambda: matrix_game(np.zeros((2, 0, 2))), ValueError, "payoffs"),
        (lambda: matrix_game([[np.nan, 0.0]]), ValueError, "payoffs"),
        (lambda: matrix_game(np.zeros((2, 2, 2)), horizon=0), ValueError, "horizon"),
        (lambda: matrix_game(np.zeros((2, 2, 2)), horizon=2, gamma=0.5), ValueError, "gamma"),
        (lambda: matrix_game(np.zeros((2, 2, 2)), gamma=1.0), ValueError, "gamma"),
        (lambda: matrix_game(np.zeros((2, 2, 2)), scale="yes"), TypeError, "scale"),
        (lambda: penalty_game(1.0), ValueError, "k"),
        (lambda: penalty_game(float("-inf")), ValueError, "k"),
        (lambda: penalty_game("a"), TypeError, "k"),
        (lambda: stag_hunt(horizon=1.5), TypeError, "horizon"),
    ],
)
def test_invalid_arguments_name_the_argument(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
