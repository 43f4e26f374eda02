"""Seeded random games: the workhorse of property tests and regret experiments."""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_positive_int, check_real
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


#: the game classes of :func:`solver_benchmark_game`
SOLVER_BENCHMARK_KINDS = ("single", "team", "zero_sum", "general_sum")


def solver_benchmark_game(n_states: int, n_actions: int, gamma: float, *, kind: str = "single",
                          support_fraction: float = 0.2, reward_scale: float = 10.0, rng=None) -> MarkovGame:
    """A random discounted game of the solver benchmarks of arXiv 2508.06661.

    The instance family of arXiv 2508.06661: ``S`` states (200-1000
    there), ``A`` actions per player and state (there drawn from ``{1, 2, 3, 5, 10}``;
    here one count for the whole game, since :class:`MarkovGame` has a fixed action set),
    rewards i.i.d. ``U(-reward_scale, reward_scale)`` (``U(-10, 10)`` there) and every
    ``(s, a)`` reaching a random ``support_fraction`` of the states (20% there). The
    probabilities on that support are Dirichlet(1) (uniform on the simplex; the
    distribution on the support is our choice, as in :func:`random_game`).

    Parameters
    ----------
    n_states : int
    n_actions : int
        Actions of every player.
    gamma : float
        Discount factor.
    kind : {"single", "team", "zero_sum", "general_sum"}
        ``"single"``: one player; ``"team"``: two players with one shared reward;
        ``"zero_sum"``: two players, ``r_1 = -r_0``; ``"general_sum"``: two players with
        independent rewards.
    support_fraction : float
        Fraction of states reachable from each ``(s, a)``, in ``(0, 1]``; the support has
        ``max(1, round(support_fraction * S))`` states.
    reward_scale : float
        Rewards are uniform on ``[-reward_scale, reward_scale]``.
    rng : None, int or numpy.random.Generator
    """
    check_choice(kind, "kind", SOLVER_BENCHMARK_KINDS)
    S = check_positive_int(n_states, "n_states")
    A = check_positive_int(n_actions, "n_actions")
    frac = check_real(support_fraction, "support_fraction", low=0.0, high=1.0, low_open=True)
    scale = check_real(reward_scale, "reward_scale", low=0.0)
    rng = np.random.default_rng(rng)
    n = 1 if kind == "single" else 2
    base = random_game(S, A, gamma=gamma, n_players=n, support=max(1, int(round(frac * S))), rng=rng)
    R = rng.uniform(-scale, scale, size=base.rewards.shape)
    if kind == "team":
        R[..., 1] = R[..., 0]
    elif kind == "zero_sum":
        R[..., 1] = -R[..., 0]
    return MarkovGame(base.transitions, R, gamma=gamma, name=f"solver_benchmark_{kind}")
