"""Solving the stage game of every state at one step of robust value iteration."""

from __future__ import annotations

import numpy as np

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


def solve_stages(Q: np.ndarray, n_actions: tuple, equilibrium: str, out: np.ndarray | None = None) -> np.ndarray:
    """Joint stage policies ``(S, A)`` for payoffs ``Q`` of shape ``(S, A, n)``.

    Single agent: the best action (lowest index on ties) as a point mass; otherwise the
    compiled stage solver of :mod:`robustgames.equilibria` for ``equilibrium``.
    """
    S, A, n = Q.shape
    if out is None:
        out = np.empty((S, A))
    if n == 1:
        out[:] = 0.0
        out[np.arange(S), np.argmax(Q[:, :, 0], axis=1)] = 1.0
        return out
    from ..equilibria import solve_stages_compiled  # noqa: PLC0415  (keeps layers import-light)

    solve_stages_compiled(np.ascontiguousarray(Q), np.asarray(n_actions, dtype=np.int64),
                          equilibrium, out)
    return out
