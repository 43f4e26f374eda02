"""The two-player grid world of the RQE paper's Markov experiment (arXiv 2406.14156; facts
read from the authors' public code, kishanpb/Risk-averse-Quantal-Equilibria, RISK_MARL.py;
docs/theory.md section 7).

Map (rows listed top to bottom, 4 rows x 3 columns)::

    1 _ _        '1': player 1's goal      '#': hazard
    # _ _        '0': player 0's goal      '_': free
    # _ _
    0 _ _

Confirmed from the authors' code:

* ``'0'`` and ``'1'`` are the GOALS of players 0 and 1 (not start cells);
* four moves, no "stay": right, up, left, down (action indices 0..3 in that order); a move
  that would leave the grid keeps the player in place;
* a player on a hazard or on its own goal is absorbed there (it stays, whatever it plays);
* the intended joint move happens with probability ``success = 0.9``, or ``0.5`` when the
  players are adjacent (Chebyshev distance <= 1, diagonal neighbours and a shared cell
  included); with the remaining probability the joint next position is uniform over the
  product of each player's in-grid neighbour cells (an absorbed player: its own cell);
* each player's reward depends on its own current cell only: ``+1`` on its own goal,
  ``-2`` on a hazard, ``0.1`` elsewhere (so absorbed players keep collecting ``+1`` or
  ``-2`` every step); horizon 15 with ``V_15 = 0``.

NOT confirmed (the start is passed by the caller of the authors' plotting routine, which the
public code does not show): the start. Default here: player 0 starts on player 1's goal
(top left) and player 1 on player 0's goal (bottom left), so each must travel the length
of the grid past the hazards and past the other player.

State encoding: cell ``c = row * 3 + col`` (row 0 at the top); joint state
``s = c_0 * 12 + c_1`` (144 states). :func:`rqe_grid_cells` decodes.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_positive_int
from ._markov_game import MarkovGame

__all__ = ["rqe_grid_world", "rqe_grid_cells", "RQE_GRID_MAP", "RQE_GRID_MOVES"]

RQE_GRID_MAP = ("1__", "#__", "#__", "0__")
#: action index -> (name, d_row, d_col); rows grow downwards
RQE_GRID_MOVES = (("right", 0, 1), ("up", -1, 0), ("left", 0, -1), ("down", 1, 0))


def rqe_grid_cells(state: int, *, grid=RQE_GRID_MAP):
    """Decode a joint state: ``((row_0, col_0), (row_1, col_1))``."""
    rows, cols = len(grid), len(grid[0])
    C = rows * cols
    if isinstance(state, bool) or not isinstance(state, numbers.Integral):
        raise TypeError(f"state must be an integer, got {type(state).__name__}")
    if not 0 <= state < C * C:
        raise ValueError(f"state must lie in [0, {C * C}), got {state}")
    c0, c1 = divmod(int(state), C)
    return divmod(c0, cols), divmod(c1, cols)


def _prob(x, name):
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not 0.0 <= float(x) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {x!r}")
    return float(x)


def _real(x, name):
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x):
        raise TypeError(f"{name} must be a finite real number, got {x!r}")
    return float(x)


def rqe_grid_world(*, horizon: int | None = 15, gamma: float | None = None, success: float = 0.9,
                   adjacent_success: float = 0.5, step_reward: float = 0.1, goal_reward: float = 1.0,
                   hazard_reward: float = -2.0, start=((0, 0), (3, 0)), grid=RQE_GRID_MAP) -> MarkovGame:
    """The RQE paper's two-player grid world (see the module docstring for the rules).

    Parameters
    ----------
    horizon : int or None, default 15
        Finite horizon (ignored when ``gamma`` is given).
    gamma : float, optional
        Discount factor for a stationary discounted version (not in the paper).
    success, adjacent_success : float
        Probability that the intended joint move happens (0.9; 0.5 when the players are
        within Chebyshev distance 1).
    step_reward, goal_reward, hazard_reward : float
        Per-step reward of a player on a free cell (or the other's goal), on its own goal, on
        a hazard.
    start : ((row, col), (row, col))
        Start cells of players 0 and 1 (row 0 at the top). Not confirmed from the source;
        default: each player starts on the other's goal.
    grid : sequence of str
        The map; ``'0'``/``'1'`` goals, ``'#'`` hazards, ``'_'`` free.

    Returns
    -------
    MarkovGame
        Two players, 4 actions each (right, up, left, down), ``len(grid)**2 * len(grid[0])**2``
        states, name ``"rqe_grid_world"``.
    """
    success = _prob(success, "success")
    adjacent_success = _prob(adjacent_success, "adjacent_success")
    step_reward = _real(step_reward, "step_reward")
    goal_reward = _real(goal_reward, "goal_reward")
    hazard_reward = _real(hazard_reward, "hazard_reward")
    rows = len(grid)
    if rows < 1 or any(not isinstance(r, str) or len(r) != len(grid[0]) or set(r) - set("01#_") for r in grid):
        raise ValueError(f"grid must be equal-length strings over '01#_', got {grid!r}")
    cols = len(grid[0])
    C = rows * cols
    kind = np.array([[ch for ch in r] for r in grid]).reshape(-1)
    goal = [np.flatnonzero(kind == "0"), np.flatnonzero(kind == "1")]
    if len(goal[0]) == 0 or len(goal[1]) == 0:
        raise ValueError("grid must contain a goal '0' and a goal '1'")
    try:
        (r0, k0), (r1, k1) = start
    except (TypeError, ValueError):
        raise ValueError(f"start must be ((row, col), (row, col)), got {start!r}") from None
    for r, k in ((r0, k0), (r1, k1)):
        if not (0 <= r < rows and 0 <= k < cols):
            raise ValueError(f"start cells must lie in the {rows}x{cols} grid, got {start!r}")

    def absorbed(c, i):
        return kind[c] == "#" or c in goal[i]

    def neighbours(c):
        r, k = divmod(c, cols)
        out = []
        for _, dr, dk in RQE_GRID_MOVES:
            if 0 <= r + dr < rows and 0 <= k + dk < cols:
                out.append((r + dr) * cols + k + dk)
        return out

    def intended(c, a):
        r, k = divmod(c, cols)
        _, dr, dk = RQE_GRID_MOVES[a]
        if 0 <= r + dr < rows and 0 <= k + dk < cols:
            return (r + dr) * cols + k + dk
        return c

    S, nA = C * C, len(RQE_GRID_MOVES)
    P = np.zeros((S, nA, nA, S))
    R = np.zeros((S, nA, nA, 2))
    for c0 in range(C):
        for c1 in range(C):
            s = c0 * C + c1
            (ra, ka), (rb, kb) = divmod(c0, cols), divmod(c1, cols)
            p_ok = adjacent_success if max(abs(ra - rb), abs(ka - kb)) <= 1 else success
            poss = [[c0] if absorbed(c0, 0) else neighbours(c0), [c1] if absorbed(c1, 1) else neighbours(c1)]
            for i, c in enumerate((c0, c1)):
                R[s, :, :, i] = goal_reward if c in goal[i] else (hazard_reward if kind[c] == "#" else step_reward)
            noise = (1.0 - p_ok) / (len(poss[0]) * len(poss[1]))
            for a0 in range(nA):
                for a1 in range(nA):
                    for d0 in poss[0]:
                        for d1 in poss[1]:
                            P[s, a0, a1, d0 * C + d1] += noise
                    t0 = c0 if absorbed(c0, 0) else intended(c0, a0)
                    t1 = c1 if absorbed(c1, 1) else intended(c1, a1)
                    P[s, a0, a1, t0 * C + t1] += p_ok
    initial = np.zeros(S)
    initial[(r0 * cols + k0) * C + r1 * cols + k1] = 1.0
    if gamma is not None:
        return MarkovGame(P, R, gamma=gamma, initial=initial, name="rqe_grid_world")
    H = check_positive_int(horizon, "horizon")
    P_h = np.ascontiguousarray(np.broadcast_to(P, (H,) + P.shape))
    R_h = np.ascontiguousarray(np.broadcast_to(R, (H,) + R.shape))
    return MarkovGame(P_h, R_h, initial=initial, name="rqe_grid_world")
