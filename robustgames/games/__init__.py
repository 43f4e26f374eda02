"""Markov-game model, joint-action helpers and a catalog of games."""

from ._joint import deterministic_policy, joint_actions, joint_index, marginal, product_policy
from ._markov_game import MarkovGame

__all__ = [
    "MarkovGame",
    "joint_index",
    "joint_actions",
    "product_policy",
    "marginal",
    "deterministic_policy",
]
