"""Checking and converting joint policies for the planning layer."""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_distributions
from ..games import MarkovGame, product_policy


def as_joint_policy(game: MarkovGame, policy, name: str = "policy") -> np.ndarray:
    """Validated joint policy with the joint action flattened: ``(H, S, A)`` or ``(S, A)``.

    ``policy`` is a joint (possibly correlated) policy of shape ``game.policy_shape``
    (``(H, S, A_1..A_n)`` or ``(S, A_1..A_n)``), or a sequence of ``n`` per-player policies
    ``(..., S, A_i)`` combined into their product.
    """
    if isinstance(policy, (list, tuple)):
        if len(policy) != game.n_players:
            raise ValueError(
                f"{name} lists {len(policy)} per-player policies but the game has {game.n_players} players"
            )
        policy = product_policy(policy)
    pol = as_float_array(policy, name)
    if pol.shape != game.policy_shape:
        raise ValueError(
            f"{name} must have shape {game.policy_shape} (a joint policy over "
            f"{'(H, S, ' if not game.discounted else '(S, '}A_1..A_n)), got {pol.shape}"
        )
    lead = pol.shape[: pol.ndim - game.n_players]
    flat = np.ascontiguousarray(pol.reshape(lead + (game.n_joint_actions,)))
    check_distributions(flat, name + " (flattened over joint actions)")
    return flat


def others_marginal(flat_policy: np.ndarray, n_actions: tuple, player: int) -> np.ndarray:
    """``pi_{-i}(a_{-i} | s)`` broadcast back onto joint actions: ``(..., A)`` with the
    same value for every ``a_i`` (the distribution the others play when ``i`` deviates)."""
    lead = flat_policy.shape[:-1]
    full = flat_policy.reshape(lead + tuple(n_actions))
    axis = len(lead) + player
    marg = full.sum(axis=axis, keepdims=True)
    return np.broadcast_to(marg, full.shape).reshape(lead + (-1,))
