"""Seeded random games: the workhorse of property tests and regret experiments."""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_int
from ._markov_game import MarkovGame


def random_game(
    n_states: int,
    n_actions,
    horizon: int | None = None,
    *,
    gamma: float | None = None,
    n_players: int | None = None,
    support: int | None = None,
    rng=None,
    name: str | None = None,
) -> MarkovGame:
    """A random general-sum Markov game with rewards in ``[0, 1]``.

    Parameters
    ----------
    n_states : int
    n_actions : int or sequence of int
        Per-player action counts; an int with ``n_players`` gives every player that many.
    horizon : int, optional
        Finite horizon ``H`` (time-indexed kernels). Exactly one of ``horizon`` and
        ``gamma`` must be given.
    gamma : float, optional
        Discount factor for a discounted game.
    n_players : int, optional
        Needed when ``n_actions`` is an int (default 2 then).
    support : int, optional
        Number of reachable next states per ``(s, a)`` (default: all). Rows are
        Dirichlet(1) on a random support of that size.
    rng : None, int or numpy.random.Generator
        Passed through :func:`numpy.random.default_rng`.
    """
    rng = np.random.default_rng(rng)
    S = check_positive_int(n_states, "n_states")
    if np.ndim(n_actions) == 0:
        n = 2 if n_players is None else check_positive_int(n_players, "n_players")
        acts = (check_positive_int(n_actions, "n_actions"),) * n
    else:
        acts = tuple(check_positive_int(a, f"n_actions[{i}]") for i, a in enumerate(n_actions))
        if n_players is not None and n_players != len(acts):
            raise ValueError(f"n_players={n_players} but n_actions lists {len(acts)} players")
    if (horizon is None) == (gamma is None):
        raise ValueError("give exactly one of horizon (finite-horizon game) and gamma (discounted game)")
    lead = (S,) if horizon is None else (check_positive_int(horizon, "horizon"), S)
    k = S if support is None else check_positive_int(support, "support")
    if k > S:
        raise ValueError(f"support must be at most n_states={S}, got {k}")
    shape = lead + acts
    rows = int(np.prod(shape))
    P = np.zeros((rows, S))
    w = rng.dirichlet(np.ones(k), size=rows)
    if k == S:
        P[:] = w
    else:
        idx = np.argsort(rng.random((rows, S)), axis=1)[:, :k]
        np.put_along_axis(P, idx, w, axis=1)
    R = rng.random(shape + (len(acts),))
    return MarkovGame(P.reshape(shape + (S,)), R, gamma=gamma, name=name or "random")
