"""Public hypothesis strategies for robust Markov games (in the style of xarray's
``testing/strategies.py``): keyword-only composite strategies that generate valid,
deliberately adversarial inputs.

* :func:`distributions` -- probability vectors (or batches of them) with zeros and tiny masses;
* :func:`value_vectors` -- value vectors with ties and value ranges from 1e-12 to 1e6;
* :func:`radii` -- admissible radii of each kind of uncertainty set, with the endpoints;
* :func:`markov_games` -- small valid :class:`~robustgames.MarkovGame` instances.

Requires ``hypothesis`` (a test dependency).

Examples
--------
>>> from hypothesis import given
>>> from robustgames.testing.strategies import distributions, value_vectors
>>> @given(p0=distributions(n_states=3), v=value_vectors(n_states=3))
... def test_bounds(p0, v):
...     assert v.min() - 1e-9 <= p0 @ v <= v.max() + 1e-9
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..games._markov_game import MarkovGame

__all__ = ["distributions", "value_vectors", "radii", "markov_games", "RADIUS_KINDS"]

#: kinds accepted by :func:`radii`, with their admissible range
RADIUS_KINDS = {"tv": 1.0, "contamination": 1.0, "kl": None, "chi_square": None}

_SCALES = (1e-12, 1e-6, 1e-3, 1.0, 1e3, 1e6)


def _n(draw, value, lo, hi, name):
    """An int: ``value`` itself, a draw from a strategy, or a draw from ``[lo, hi]`` if None."""
    if value is None:
        return draw(st.integers(lo, hi))
    if isinstance(value, st.SearchStrategy):
        return draw(value)
    if int(value) < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


@st.composite
def distributions(
    draw,
    *,
    n_states=None,
    batch_shape: tuple = (),
    allow_zeros: bool = True,
    min_states: int = 1,
    max_states: int = 6,
    min_mass: float = 1e-9,
):
    """Probability vectors of shape ``batch_shape + (S,)`` (rows sum to 1 within 1e-15).

    Parameters
    ----------
    n_states : int, strategy or None
        ``S``; drawn from ``[min_states, max_states]`` when None.
    batch_shape : tuple
        Leading axes (each row drawn independently).
    allow_zeros : bool
        Whether rows may have zero entries (every row keeps at least one positive entry).
    min_mass : float
        Smallest positive unnormalised weight (keeps conic reference solvers accurate).
    """
    S = _n(draw, n_states, min_states, max_states, "n_states")
    n_rows = int(np.prod(batch_shape, dtype=np.int64))
    choices = [st.floats(min_mass, 1.0), st.sampled_from([min_mass, 0.5, 1.0])]
    if allow_zeros:
        choices.append(st.just(0.0))
    weight = st.one_of(*choices)
    rows = []
    for _ in range(n_rows):
        w = np.array(draw(st.lists(weight, min_size=S, max_size=S)), dtype=np.float64)
        if not (w > 0).any():
            w[draw(st.integers(0, S - 1))] = 1.0
        rows.append(w / w.sum())
    return np.array(rows).reshape(tuple(batch_shape) + (S,))


@st.composite
def value_vectors(draw, *, n_states, scale=None, ties: bool = True, offset: bool = True):
    """Adversarial value vectors of shape ``(S,)``.

    ``v = c + d * u``: ``d`` (the spread) is drawn from ``1e-12 .. 1e6``, ``u`` mixes uniform
    floats in ``[0, 1]`` with a few repeated levels (ties, including ties at the minimum),
    and ``c`` is 0 or an offset of order ``d`` or 1 (negative values included).

    Parameters
    ----------
    n_states : int or strategy
    scale : float, optional
        Fix the spread ``d`` instead of drawing it.
    ties : bool
        Whether to draw repeated levels.
    offset : bool
        Whether to add a random offset ``c``.
    """
    S = _n(draw, n_states, 1, 6, "n_states")
    d = float(scale) if scale is not None else draw(st.sampled_from(_SCALES))
    level = st.floats(0.0, 1.0)
    if ties:
        level = st.one_of(level, st.sampled_from([0.0, 0.5, 1.0]))
    u = np.array(draw(st.lists(level, min_size=S, max_size=S)), dtype=np.float64)
    c = 0.0
    if offset:
        c = draw(st.sampled_from([0.0, -d, 0.5 * d, 1.0, -1.0]))
    return c + d * u


def radii(kind: str = "tv") -> st.SearchStrategy:
    """Admissible radii of the set ``kind`` (one of :data:`RADIUS_KINDS`), including the
    endpoints (0, and 1 for TV and contamination), tiny values and, for KL and chi-square,
    large values beyond saturation. An unknown ``kind`` raises ``ValueError`` at once."""
    if kind not in RADIUS_KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(map(repr, RADIUS_KINDS))}")
    if RADIUS_KINDS[kind] is not None:
        return st.one_of(st.sampled_from([0.0, 1e-9, 0.5, 1.0]), st.floats(0.0, 1.0))
    return st.one_of(st.sampled_from([0.0, 1e-8, 1.0, 50.0]), st.floats(0.0, 5.0))


@st.composite
def markov_games(
    draw,
    *,
    n_players=None,
    n_states=None,
    n_actions=None,
    horizon=None,
    discounted=False,
    sparse: bool = True,
):
    """Small valid :class:`~robustgames.MarkovGame` instances, rewards in ``[0, 1]``.

    Parameters
    ----------
    n_players, n_states, horizon : int, strategy or None
        Drawn from 1..3 (players), 1..3 (states), 1..3 (horizon) when None.
    n_actions : int, sequence of int, strategy or None
        Per-player action counts; an int gives every player that many; drawn from 1..3
        per player when None.
    discounted : bool or None
        Discounted (``gamma`` drawn from ``[0, 0.95]``) or finite horizon; drawn when None.
    sparse : bool
        Whether transition rows may have zeros (support shift matters for TV).
    """
    n = _n(draw, n_players, 1, 3, "n_players")
    S = _n(draw, n_states, 1, 3, "n_states")
    if n_actions is None:
        acts = tuple(draw(st.integers(1, 3)) for _ in range(n))
    elif isinstance(n_actions, st.SearchStrategy):
        acts = tuple(draw(n_actions) for _ in range(n))
    elif np.ndim(n_actions) == 0:
        acts = (int(n_actions),) * n
    else:
        acts = tuple(int(a) for a in n_actions)
        if len(acts) != n:
            raise ValueError(f"n_actions lists {len(acts)} players but n_players={n}")
    if discounted is None:
        discounted = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if discounted:
        lead = (S,)
        gamma = draw(st.sampled_from([0.0, 0.5, 0.9, 0.95]))
    else:
        H = _n(draw, horizon, 1, 3, "horizon")
        lead = (H, S)
        gamma = None
    shape = lead + acts
    P = rng.dirichlet(np.ones(S), size=shape)
    if sparse and S > 1:
        mask = rng.random(P.shape) < 0.3
        mask[..., 0] |= mask.all(axis=-1)  # keep a positive entry
        P = np.where(mask & ~(mask.all(axis=-1, keepdims=True)), 0.0, P)
        P = P / P.sum(axis=-1, keepdims=True)
    R = rng.random(shape + (n,))
    return MarkovGame(P, R, gamma=gamma, name="hypothesis")
