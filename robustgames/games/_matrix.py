"""Classic matrix games as one-state Markov games.

A normal-form game with payoff array ``M`` of shape ``(A_1, ..., A_n, n)`` (player ``i``'s
payoff in ``M[..., i]``) becomes a Markov game with a single state (``S = 1``) that
repeats: every transition row is ``[1.0]`` and the reward at every step is ``M``.

* finite horizon (default, ``horizon=1``): ``transitions`` ``(H, 1, A_1..A_n, 1)``,
  ``rewards`` ``(H, 1, A_1..A_n, n)``; ``horizon=1`` is the one-shot matrix game;
* discounted (``gamma=`` in ``[0, 1)``): ``(1, A_1..A_n, 1)`` and ``(1, A_1..A_n, n)``.

Scaling. MORNAVI-style analyses (docs/theory.md section 1) assume rewards in ``[0, 1]``. The
named classic games therefore default to ``scale=True``: every payoff is mapped by the
SAME affine map ``x -> (x - m) / (M - m)`` with ``m``/``M`` the smallest/largest payoff of
any player. A common positive affine map leaves best responses, dominance, the Nash,
correlated and coarse-correlated equilibrium sets and the team structure (identical
payoffs stay identical) unchanged; zero-sum games become constant-sum (sum ``1``).
``scale=False`` keeps the textbook numbers. Action 0 of every player is the first
row/column of the textbook table; the docstrings list the labels.

Because the state never changes, the uncertainty set has nothing to act on (every TV/KL
ball around ``[1.0]`` is ``{[1.0]}``): robust and nominal values coincide, which makes
these games a sanity check for the robust layers.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import as_float_array, check_positive_int
from ._markov_game import MarkovGame

__all__ = [
    "matrix_game",
    "matching_pennies",
    "rock_paper_scissors",
    "prisoners_dilemma",
    "stag_hunt",
    "climbing_game",
    "penalty_game",
]


def _rescale(payoffs: np.ndarray) -> np.ndarray:
    lo, hi = float(payoffs.min()), float(payoffs.max())
    if hi == lo:
        return np.zeros_like(payoffs)
    return (payoffs - lo) / (hi - lo)


def matrix_game(payoffs, horizon: int | None = None, gamma: float | None = None, name: str | None = None,
                *, scale: bool = False) -> MarkovGame:
    """A one-state Markov game whose stage payoffs are ``payoffs``.

    Parameters
    ----------
    payoffs : array_like, shape (A_1, ..., A_n, n)
        Payoff of player ``i`` at joint action ``a`` is ``payoffs[a + (i,)]`` (player on
        the last axis). A bimatrix ``(A, B)`` is ``np.stack([A, B], axis=-1)``.
    horizon : int, optional
        Number of repetitions of the stage game (finite horizon). Default ``1`` (a one-shot
        game) when ``gamma`` is not given; giving both raises.
    gamma : float, optional
        Discount factor in ``[0, 1)``: an infinitely repeated (discounted) game.
    name : str, optional
        Label of the game (default ``"matrix"``).
    scale : bool, default False
        Map every payoff by the common affine map ``x -> (x - min) / (max - min)`` into
        ``[0, 1]`` (preserves every equilibrium notion; see the module docstring).

    Returns
    -------
    MarkovGame
        ``S = 1``; rewards are ``payoffs`` (rescaled if asked) at every step.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> g = matrix_game(np.stack([A, 1 - A], axis=-1), horizon=2)
    >>> g.n_states, g.n_actions, g.horizon
    (1, (2, 2), 2)
    """
    M = as_float_array(payoffs, "payoffs", min_ndim=2)
    n = M.shape[-1]
    if M.ndim != n + 1:
        raise ValueError(
            f"payoffs must have shape (A_1, ..., A_n, n): its last axis says n={n} players, "
            f"so {n + 1} dimensions are needed; got shape {M.shape}"
        )
    if any(a < 1 for a in M.shape[:-1]):
        raise ValueError(f"payoffs must have at least one action per player, got shape {M.shape}")
    if not isinstance(scale, (bool, np.bool_)):
        raise TypeError(f"scale must be a bool, got {type(scale).__name__}")
    if scale:
        M = _rescale(M)
    acts = M.shape[:-1]
    if gamma is not None:
        if horizon is not None:
            raise ValueError("give either horizon (finite horizon) or gamma (discounted), not both")
        if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real):
            raise TypeError(f"gamma must be a real number or None, got {type(gamma).__name__}")
        P = np.ones((1,) + acts + (1,))
        R = np.ascontiguousarray(M[None])
    else:
        H = 1 if horizon is None else check_positive_int(horizon, "horizon")
        P = np.ones((H, 1) + acts + (1,))
        R = np.ascontiguousarray(np.broadcast_to(M, (H, 1) + M.shape))
    return MarkovGame(P, R, gamma=gamma, name=name or "matrix")


def _bimatrix(row, col) -> np.ndarray:
    return np.stack([np.asarray(row, dtype=np.float64), np.asarray(col, dtype=np.float64)], axis=-1)


def matching_pennies(*, horizon: int | None = None, gamma: float | None = None, scale: bool = True) -> MarkovGame:
    """Matching pennies: two-player zero-sum, no pure Nash equilibrium.

    Actions ``(heads, tails)`` for both players. Textbook payoffs (``scale=False``): the
    row player (matcher) gets ``+1`` if the coins match and ``-1`` otherwise; the column
    player gets the negative. With ``scale=True`` (default) payoffs are ``(x + 1) / 2``:
    ``1`` to the winner, ``0`` to the loser (constant-sum 1).

    Property: no pure Nash equilibrium; the unique Nash equilibrium is uniform play
    for both, with value ``0`` (scaled: ``1/2``). Source: standard (e.g. Osborne & Rubinstein,
    *A Course in Game Theory*, 1994).

    Parameters
    ----------
    horizon, gamma : see :func:`matrix_game`
    scale : bool, default True
        Affine rescaling into ``[0, 1]``.
    """
    A = np.array([[1.0, -1.0], [-1.0, 1.0]])
    return matrix_game(_bimatrix(A, -A), horizon, gamma, "matching_pennies", scale=scale)


def rock_paper_scissors(*, horizon: int | None = None, gamma: float | None = None,
                        scale: bool = True) -> MarkovGame:
    """Rock-paper-scissors: two-player zero-sum, symmetric, no pure Nash equilibrium.

    Actions ``(rock, paper, scissors)``; paper beats rock, scissors beat paper, rock beats
    scissors. Textbook payoffs (``scale=False``): win ``+1``, tie ``0``, loss ``-1``; the
    column player gets the negative. ``scale=True`` (default): ``(x + 1) / 2``, i.e. win
    ``1``, tie ``1/2``, loss ``0``.

    Property: the unique Nash equilibrium is uniform play for both players, with value
    ``0`` (scaled: ``1/2``); no pure equilibrium. Source: standard.

    Parameters
    ----------
    horizon, gamma : see :func:`matrix_game`
    scale : bool, default True
    """
    A = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
    return matrix_game(_bimatrix(A, -A), horizon, gamma, "rock_paper_scissors", scale=scale)


def prisoners_dilemma(*, horizon: int | None = None, gamma: float | None = None,
                      scale: bool = True) -> MarkovGame:
    """The prisoner's dilemma with Axelrod's payoffs.

    Actions ``(cooperate, defect)``. Textbook payoffs (``scale=False``) ``T=5 > R=3 > P=1 >
    S=0``: ``(C, C) = (3, 3)``, ``(C, D) = (0, 5)``, ``(D, C) = (5, 0)``, ``(D, D) = (1, 1)``.
    ``scale=True`` (default) divides by 5.

    Property: defect strictly dominates cooperate for both players, so ``(D, D)`` is the
    unique Nash equilibrium (and the unique CE/CCE), although ``(C, C)`` Pareto-dominates it.
    Source: Axelrod, *The Evolution of Cooperation* (1984).

    Parameters
    ----------
    horizon, gamma : see :func:`matrix_game`
    scale : bool, default True
    """
    A = np.array([[3.0, 0.0], [5.0, 1.0]])
    return matrix_game(_bimatrix(A, A.T), horizon, gamma, "prisoners_dilemma", scale=scale)


def stag_hunt(*, horizon: int | None = None, gamma: float | None = None, scale: bool = True) -> MarkovGame:
    """The stag hunt: a symmetric coordination game with a payoff- and a risk-dominant
    equilibrium.

    Actions ``(stag, hare)``. Textbook payoffs (``scale=False``): ``(S, S) = (4, 4)``,
    ``(S, H) = (1, 3)``, ``(H, S) = (3, 1)``, ``(H, H) = (3, 3)``, an instance of the
    generic ordering ``a > b >= d > c`` (``a`` = stag with stag, ``b`` = hare against stag,
    ``d`` = hare against hare, ``c`` = stag against hare). ``scale=True`` (default):
    ``(x - 1) / 3``.

    Property: exactly two pure Nash equilibria, ``(S, S)`` (payoff dominant) and
    ``(H, H)`` (risk dominant), both strict, plus one mixed equilibrium (stag with
    probability ``2/3`` here). Source: Rousseau's parable; Skyrms, *The Stag Hunt and the
    Evolution of Social Structure* (2004).

    Parameters
    ----------
    horizon, gamma : see :func:`matrix_game`
    scale : bool, default True
    """
    A = np.array([[4.0, 1.0], [3.0, 3.0]])
    return matrix_game(_bimatrix(A, A.T), horizon, gamma, "stag_hunt", scale=scale)


#: Team payoff of the climbing game (Claus & Boutilier 1998, Table 3), actions (a, b, c).
CLIMBING_PAYOFF = np.array([[11.0, -30.0, 0.0], [-30.0, 7.0, 6.0], [0.0, 0.0, 5.0]])


def penalty_payoff(k: float = -10.0) -> np.ndarray:
    """Team payoff of the penalty game (Claus & Boutilier 1998, Table 4), actions (a, b, c)."""
    return np.array([[10.0, 0.0, k], [0.0, 2.0, 0.0], [k, 0.0, 10.0]])


def climbing_game(*, horizon: int | None = None, gamma: float | None = None, scale: bool = True) -> MarkovGame:
    """The climbing game: a cooperative game where independent learners miscoordinate.

    Both players receive the same (team) payoff; actions ``(a, b, c)``; textbook payoffs
    (``scale=False``, row player's action first)::

              a     b    c
        a    11   -30    0
        b   -30     7    6
        c     0     0    5

    ``scale=True`` (default): ``(x + 30) / 41``, so the optimum is ``1`` and the
    miscoordination penalty ``0``.

    Property: pure Nash equilibria are exactly ``(a, a)`` (the team optimum) and
    ``(b, b)``; independent learners that explore "climb" from ``(c, c)`` to the
    suboptimal ``(b, b)`` because of the heavy ``-30`` penalties around ``(a, a)``.
    Source: Claus & Boutilier, "The dynamics of reinforcement learning in cooperative
    multiagent systems", AAAI 1998.

    Parameters
    ----------
    horizon, gamma : see :func:`matrix_game`
    scale : bool, default True
    """
    A = CLIMBING_PAYOFF
    return matrix_game(_bimatrix(A, A), horizon, gamma, "climbing_game", scale=scale)


def penalty_game(k: float = -10.0, *, horizon: int | None = None, gamma: float | None = None,
                 scale: bool = True) -> MarkovGame:
    """The penalty game: a cooperative game with two optimal equilibria and a penalty
    ``k <= 0`` for miscoordinating between them.

    Team payoff, actions ``(a, b, c)``; textbook payoffs (``scale=False``)::

              a    b    c
        a    10    0    k
        b     0    2    0
        c     k    0   10

    ``scale=True`` (default): ``(x - k) / (10 - k)``.

    Property: for ``k <= 0`` the pure Nash equilibria are exactly ``(a, a)``, ``(c, c)``
    (both optimal) and ``(b, b)`` (the safe one). Choosing between the two optimal
    equilibria without communication risks the penalty ``k``. Source: Claus & Boutilier,
    AAAI 1998.

    Parameters
    ----------
    k : float, default -10
        The miscoordination penalty, must be ``<= 0`` (the textbook uses ``k`` between
        ``-100`` and ``0``).
    horizon, gamma : see :func:`matrix_game`
    scale : bool, default True
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Real):
        raise TypeError(f"k must be a real number, got {type(k).__name__}")
    if not np.isfinite(k):
        raise ValueError(f"k must be finite, got {k}")
    if k > 0:
        raise ValueError(f"k must be <= 0 (a penalty), got {k}")
    A = penalty_payoff(float(k))
    return matrix_game(_bimatrix(A, A), horizon, gamma, "penalty_game", scale=scale)
