"""Input checks for stage games and joint strategies (public layer only)."""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_distributions


def check_payoffs(payoffs, name: str = "payoffs"):
    """``payoffs`` as float64 ``(A_1, ..., A_n, n)``; returns ``(array, n_actions)``."""
    arr = as_float_array(payoffs, name, min_ndim=2)
    n = arr.ndim - 1
    if arr.shape[-1] != n:
        raise ValueError(
            f"{name} must have shape (A_1, ..., A_n, n) with the player on the last axis; "
            f"shape {arr.shape} has {n} action axes but a last axis of length {arr.shape[-1]}"
        )
    for i, a in enumerate(arr.shape[:-1]):
        if a < 1:
            raise ValueError(f"{name} must give every player at least one action; player {i} has {a}")
    return arr, np.array(arr.shape[:-1], dtype=np.int64)


def check_policy(policy, shape, name: str = "policy") -> np.ndarray:
    """``policy`` as a float64 joint distribution of the given joint-action ``shape``."""
    arr = as_float_array(policy, name)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} (one entry per joint action), got {arr.shape}")
    check_distributions(arr.reshape(-1), name)
    return arr
