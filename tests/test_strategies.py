"""The public hypothesis strategies generate valid, adversarial inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import robustgames as rg
from robustgames.testing.strategies import (
    RADIUS_KINDS,
    distributions,
    markov_games,
    radii,
    value_vectors,
)


@settings(max_examples=50, deadline=None)
@given(p=distributions(batch_shape=(2, 3)))
def test_distributions_are_valid(p):
    assert p.shape[:2] == (2, 3) and 1 <= p.shape[-1] <= 6
    assert (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-14)


@settings(max_examples=30, deadline=None)
@given(p=distributions(n_states=4, allow_zeros=False))
def test_distributions_without_zeros(p):
    assert p.shape == (4,) and (p > 0).all()


@settings(max_examples=50, deadline=None)
@given(v=value_vectors(n_states=5))
def test_value_vectors(v):
    assert v.shape == (5,) and np.isfinite(v).all()
    assert v.max() - v.min() <= 2e6


def test_value_vectors_reach_ties_and_extreme_ranges():
    seen_tie = seen_tiny = seen_huge = False

    @settings(max_examples=300, deadline=None)
    @given(v=value_vectors(n_states=4))
    def collect(v):
        nonlocal seen_tie, seen_tiny, seen_huge
        spread = v.max() - v.min()
        seen_tie |= len(np.unique(v)) < 4
        seen_tiny |= 0 < spread < 1e-9
        seen_huge |= spread > 1e5

    collect()
    assert seen_tie and seen_tiny and seen_huge


@pytest.mark.parametrize("kind", list(RADIUS_KINDS))
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_radii_are_admissible(kind, data):
    r = data.draw(radii(kind))
    upper = RADIUS_KINDS[kind]
    assert r >= 0 and (upper is None or r <= upper)
    {"tv": rg.TV, "kl": rg.uncertainty.KL, "chi_square": rg.uncertainty.ChiSquare,
     "contamination": rg.uncertainty.Contamination}[kind](r)


def test_radii_rejects_unknown_kind():
    with pytest.raises(ValueError, match="unknown kind"):
        radii("wasserstein")


@settings(max_examples=30, deadline=None)
@given(game=markov_games(discounted=None))
def test_markov_games_are_valid(game):
    assert isinstance(game, rg.MarkovGame)
    assert 1 <= game.n_players <= 3 and 1 <= game.n_states <= 3
    assert (game.rewards >= 0).all() and (game.rewards <= 1).all()


@settings(max_examples=10, deadline=None)
@given(game=markov_games(n_players=2, n_states=3, n_actions=2, horizon=2))
def test_markov_games_fixed_shape(game):
    assert game.transitions.shape == (2, 3, 2, 2, 3) and not game.discounted
