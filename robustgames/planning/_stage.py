"""Solving the stage game of every state at one step of robust value iteration.

The per-state loop runs in compiled code: :func:`_solve_states` calls the nopython
stage solver :func:`robustgames.equilibria.solve_stage` for each state, so a planning
pass never returns to Python between states.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel
from ..equilibria import KIND_CODES, solve_stage

EQUILIBRIA = ("nash", "ce", "cce")


def check_equilibrium(equilibrium: str, n_players: int) -> str:
    if equilibrium not in EQUILIBRIA:
        raise ValueError(
            f"unknown equilibrium {equilibrium!r}; choose one of 'nash', 'ce', 'cce'"
        )
    if equilibrium == "nash" and n_players > 2:
        raise ValueError(
            f"equilibrium='nash' is supported for 1 or 2 players, the game has {n_players}; "
            "use equilibrium='ce' or 'cce' (correlated equilibria, computed exactly by LP)"
        )
    return equilibrium


@kernel
def _solve_states(Q, n_actions, kind_code, out, gaps):
    for s in range(Q.shape[0]):
        gaps[s] = solve_stage(Q[s], n_actions, kind_code, out[s])


def solve_stages(Q: np.ndarray, n_actions: tuple, equilibrium: str, out: np.ndarray | None = None,
                 gaps: np.ndarray | None = None) -> np.ndarray:
    """Joint stage policies ``(S, A)`` for payoffs ``Q`` of shape ``(S, A, n)``.

    Each state's stage game is solved by the compiled solver of
    :mod:`robustgames.equilibria` for ``equilibrium`` (single agent: the best action,
    lowest index on ties). ``gaps`` (optional, ``(S,)``) receives each stage
    solution's certificate (its equilibrium gap in payoff units, 0 up to round-off).
    """
    S, A, n = Q.shape
    if out is None:
        out = np.empty((S, A))
    if gaps is None:
        gaps = np.empty(S)
    _solve_states(np.ascontiguousarray(Q), np.asarray(n_actions, dtype=np.int64),
                  KIND_CODES[equilibrium], out, gaps)
    return out
