"""Observation encodings shared by the PettingZoo export and the policy adapters.

Every agent of an exported game observes the full (Markov) state; a finite-horizon game
adds the step ``h`` so that a stationary network can represent a non-stationary policy.
Two encodings (``observation=``):

* ``"one_hot"`` (default): a ``float32`` vector. Discounted games: ``e_s`` of length
  ``S``. Finite horizon: ``[e_s, e_h]`` of length ``S + H + 1`` (state one-hot, then step
  one-hot over ``h = 0..H``; ``h = H`` only appears in the final observation of an
  episode, after which no action is taken).
* ``"index"``: integers. Discounted games: the state index ``s`` (an ``int64`` scalar,
  Gymnasium ``Discrete(S)``). Finite horizon: ``[h, s]`` (``int64``, ``MultiDiscrete([H + 1, S])``).

:func:`all_observations` lists the observation of every decision point in the order of
the policy array (``(h, s)`` with ``s`` fastest for finite horizon), so that an adapter
can call an agent once on the whole batch.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice

OBSERVATIONS = ("one_hot", "index")


def observation_size(game, observation: str) -> int:
    """Length of a one-hot observation (``S`` or ``S + H + 1``)."""
    check_choice(observation, "observation", OBSERVATIONS)
    return game.n_states if game.discounted else game.n_states + game.horizon + 1


def encode(game, observation: str, h: int, s: int):
    """The observation of state ``s`` at step ``h`` (``h`` ignored when discounted)."""
    if observation == "one_hot":
        o = np.zeros(observation_size(game, observation), dtype=np.float32)
        o[s] = 1.0
        if not game.discounted:
            o[game.n_states + h] = 1.0
        return o
    if game.discounted:
        return np.int64(s)
    return np.array([h, s], dtype=np.int64)


def all_observations(game, observation: str = "one_hot") -> np.ndarray:
    """Observations of every decision point, stacked on axis 0.

    Returns
    -------
    ndarray
        ``one_hot``: ``(S, S)`` or ``(H * S, S + H + 1)`` float32; ``index``: ``(S,)`` or
        ``(H * S, 2)`` int64. Row ``h * S + s`` is step ``h``, state ``s``.
    """
    check_choice(observation, "observation", OBSERVATIONS)
    S = game.n_states
    if game.discounted:
        if observation == "one_hot":
            return np.eye(S, dtype=np.float32)
        return np.arange(S, dtype=np.int64)
    H = game.horizon
    h = np.repeat(np.arange(H), S)
    s = np.tile(np.arange(S), H)
    if observation == "index":
        return np.stack([h, s], axis=1).astype(np.int64)
    out = np.zeros((H * S, S + H + 1), dtype=np.float32)
    out[np.arange(H * S), s] = 1.0
    out[np.arange(H * S), S + h] = 1.0
    return out


def describe(game, row: int) -> str:
    """Human-readable decision point of batch row ``row`` (for error messages)."""
    if game.discounted:
        return f"state {row}"
    S = game.n_states
    return f"step {row // S}, state {row % S}"
