"""Two robots at an intersection: a small cooperative Markov game.

Two robots drive towards the same intersection on perpendicular lanes. Each robot's
lane has cells ``0, 1, ..., L`` (``L = length``): cells ``0..L-2`` are the approach,
cell ``L-1`` is the entrance of the intersection and cell ``L`` means "crossed" (the
robot has left the intersection; it stays there). At the entrance both robots must
pick a manoeuvre; the joint manoeuvre is scored by a Claus & Boutilier (1998) team
matrix (:func:`~robustgames.games.climbing_game` or
:func:`~robustgames.games.penalty_game`), and its most negative entries are collisions.

State encoding (``S = (L + 1)**2 + 1``; 17 states for the default ``L = 3``)::

    index(x1, x2) = x1 * (L + 1) + x2      for positions x1, x2 in {0..L}
    CRASH         = (L + 1)**2             (absorbing, reward 0)

:func:`intersection_state` decodes an index and :func:`intersection_index` encodes.

Actions: three manoeuvres per robot, ``0, 1, 2`` = ``a, b, c`` of the team matrix ``M``.
Dynamics (stationary; every move slips independently with probability ``slip``, i.e.
the robot stays in place):

* a robot on the approach (``x < L - 1``) moves to ``x + 1`` whatever its manoeuvre,
  unless it slips; a crossed robot stays crossed;
* a robot at the entrance while the other is NOT at the entrance crosses (``x -> L``)
  unless it slips (no conflict);
* the CONFLICT state ``(L-1, L-1)``: both robots attempt to cross, each succeeding
  unless it slips. If the joint manoeuvre ``(a_1, a_2)`` is a collision entry of ``M``
  (an entry equal to ``min M < 0``: ``-30`` in the climbing game, ``k`` in the penalty
  game) and both robots enter, the game moves to CRASH; otherwise every robot that
  entered is across.

Team rewards (both players get the same reward, so it is a cooperative game; all in
``[0, 1]``): at the conflict state ``r = (M[a_1, a_2] - min M) / (max M - min M)``; at any
other non-crash state ``r = (number of robots across) / 2`` (being across is worth a
steady flow of reward, which a crash forfeits); CRASH gives 0. The robust values of the
conflict stage game therefore keep the matrix game's structure: the continuation value
adds the same amount to every non-collision entry, while collision entries lead to the
zero-reward CRASH. With ``slip = 0`` every transition is deterministic.

Source: the climbing and penalty games of Claus & Boutilier, "The dynamics of
reinforcement learning in cooperative multiagent systems", AAAI 1998; the intersection
dressing is this package's (a small coordination benchmark in the spirit of the robot
coordination tasks used for robust cooperative MARL, e.g. DrIGM, arXiv 2602.11437).
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_choice, check_positive_int, check_radius
from ._markov_game import MarkovGame
from ._matrix import CLIMBING_PAYOFF, penalty_payoff

__all__ = ["intersection_game", "intersection_state", "intersection_index"]


def intersection_index(x1: int, x2: int, *, length: int = 3) -> int:
    """State index of robot positions ``(x1, x2)``, each in ``{0..length}``."""
    L = check_positive_int(length, "length", minimum=2)
    for name, x in (("x1", x1), ("x2", x2)):
        if isinstance(x, bool) or not isinstance(x, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {type(x).__name__}")
        if not 0 <= x <= L:
            raise ValueError(f"{name} must lie in [0, {L}], got {x}")
    return int(x1) * (L + 1) + int(x2)


def intersection_state(index: int, *, length: int = 3):
    """Decode a state index of :func:`intersection_game`.

    Returns
    -------
    tuple of int or str
        ``(x1, x2)`` (robot positions; ``length - 1`` is the entrance, ``length`` is
        across) or ``"crash"`` for the crash state ``(length + 1)**2``.
    """
    L = check_positive_int(length, "length", minimum=2)
    if isinstance(index, bool) or not isinstance(index, numbers.Integral):
        raise TypeError(f"index must be an integer, got {type(index).__name__}")
    n_pos = L + 1
    if not 0 <= index <= n_pos * n_pos:
        raise ValueError(f"index must lie in [0, {n_pos * n_pos}], got {index}")
    if index == n_pos * n_pos:
        return "crash"
    return (int(index) // n_pos, int(index) % n_pos)


def _robot_moves(x: int, L: int, slip: float):
    """Distribution of one robot's next position: list of (position, probability)."""
    if x == L:
        return [(x, 1.0)]
    if slip == 0.0:
        return [(x + 1, 1.0)]
    return [(x + 1, 1.0 - slip), (x, slip)]


def intersection_game(
    *,
    length: int = 3,
    horizon: int | None = None,
    gamma: float | None = None,
    slip: float = 0.1,
    payoff: str = "climbing",
    k: float = -10.0,
    start=(0, 0),
) -> MarkovGame:
    """Two robots crossing an intersection: a cooperative climbing/penalty Markov game.

    The dynamics, state encoding and rewards are given in the module docstring of
    :mod:`robustgames.games._coordination`: positions ``x_i in {0..length}`` (entrance
    ``length - 1``, across ``length``) plus an absorbing CRASH state; three manoeuvres
    per robot that matter at the conflict state ``(length-1, length-1)``, scored by the
    normalised climbing or penalty team matrix; collisions (the matrix's most negative
    entries, when both robots enter) lead to CRASH; each move slips (robot stays) with
    probability ``slip``; team reward ``(# robots across)/2`` elsewhere, 0 at CRASH.

    Property: at the conflict the robust stage game keeps the matrix game's
    equilibrium structure (climbing: the team optimum ``(a, a)`` is surrounded by
    collisions, ``(b, b)`` is the safer suboptimal equilibrium; penalty: two optimal
    equilibria ``(a, a)``, ``(c, c)`` whose miscoordination crashes). The penalty version
    is symmetric under swapping the robots. Source: Claus & Boutilier (AAAI 1998).

    Parameters
    ----------
    length : int, default 3
        Cells per lane (at least 2); ``S = (length + 1)**2 + 1``.
    horizon : int, optional
        Finite horizon ``H`` (default ``2 * length + 2`` when ``gamma`` is not given).
    gamma : float, optional
        Discount factor for a discounted (stationary) game; do not combine with ``horizon``.
    slip : float, default 0.1
        Probability in ``[0, 1)`` that a move fails (the robot stays in place).
    payoff : {"climbing", "penalty"}
        The team matrix scored at the conflict state.
    k : float, default -10
        Penalty of the penalty game (``<= 0``); ignored for ``"climbing"``.
    start : (int, int), default (0, 0)
        Initial positions ``(x1, x2)``; the initial distribution is a point mass there.

    Returns
    -------
    MarkovGame
        Two players with 3 actions each, identical rewards, ``name`` e.g.
        ``"intersection_climbing"``.
    """
    L = check_positive_int(length, "length", minimum=2)
    slip = check_radius(slip, "slip", upper=1.0)
    if slip >= 1.0:
        raise ValueError(f"slip must be < 1 (robots must be able to move), got {slip}")
    check_choice(payoff, "payoff", ("climbing", "penalty"))
    if payoff == "climbing":
        M = CLIMBING_PAYOFF
    else:
        if isinstance(k, bool) or not isinstance(k, numbers.Real):
            raise TypeError(f"k must be a real number, got {type(k).__name__}")
        if not np.isfinite(k) or k > 0:
            raise ValueError(f"k must be finite and <= 0 (a penalty), got {k}")
        M = penalty_payoff(float(k))
    if gamma is not None and horizon is not None:
        raise ValueError("give either horizon (finite horizon) or gamma (discounted), not both")
    if gamma is None:
        H = 2 * L + 2 if horizon is None else check_positive_int(horizon, "horizon")
    try:
        x1_0, x2_0 = start
    except (TypeError, ValueError):
        raise ValueError(f"start must be a pair of positions (x1, x2), got {start!r}") from None
    s0 = intersection_index(x1_0, x2_0, length=L)

    n_pos = L + 1
    S = n_pos * n_pos + 1
    crash = S - 1
    lo, hi = float(M.min()), float(M.max())
    M_norm = (M - lo) / (hi - lo)
    collision = (M == lo) if lo < 0 else np.zeros(M.shape, dtype=bool)

    P = np.zeros((S, 3, 3, S))
    R = np.zeros((S, 3, 3))
    P[crash, :, :, crash] = 1.0
    entrance = L - 1
    for x1 in range(n_pos):
        for x2 in range(n_pos):
            s = x1 * n_pos + x2
            if x1 == entrance and x2 == entrance:
                R[s] = M_norm
                for a1 in range(3):
                    for a2 in range(3):
                        for y1, p1 in _robot_moves(x1, L, slip):
                            for y2, p2 in _robot_moves(x2, L, slip):
                                if collision[a1, a2] and y1 == L and y2 == L:
                                    P[s, a1, a2, crash] += p1 * p2
                                else:
                                    P[s, a1, a2, y1 * n_pos + y2] += p1 * p2
            else:
                R[s] = ((x1 == L) + (x2 == L)) / 2.0
                for y1, p1 in _robot_moves(x1, L, slip):
                    for y2, p2 in _robot_moves(x2, L, slip):
                        P[s, :, :, y1 * n_pos + y2] += p1 * p2
    rewards = np.repeat(R[..., None], 2, axis=-1)
    initial = np.zeros(S)
    initial[s0] = 1.0
    name = f"intersection_{payoff}"
    if gamma is not None:
        return MarkovGame(P, rewards, gamma=gamma, initial=initial, name=name)
    P_h = np.ascontiguousarray(np.broadcast_to(P, (H,) + P.shape))
    R_h = np.ascontiguousarray(np.broadcast_to(rewards, (H,) + rewards.shape))
    return MarkovGame(P_h, R_h, initial=initial, name=name)
