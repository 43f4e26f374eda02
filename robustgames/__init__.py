"""robustgames: exact, fast solvers for tabular distributionally robust Markov games.

The public API (see DESIGN.md) is re-exported here; implementation lives in private
modules of the layer packages ``games``, ``uncertainty``, ``equilibria``, ``planning``,
``learning`` and ``experiments``. Plotting is not imported by the package root.
"""

from ._result import Result
from ._version import __version__
from .games import (
    MarkovGame,
    deterministic_policy,
    joint_actions,
    joint_index,
    marginal,
    product_policy,
)
from .planning import best_response, evaluate, gap, solve
from .uncertainty import TV, UncertaintySet

__all__ = [
    "__version__",
    "Result",
    "MarkovGame",
    "joint_index",
    "joint_actions",
    "product_policy",
    "marginal",
    "deterministic_policy",
    "UncertaintySet",
    "TV",
    "evaluate",
    "best_response",
    "gap",
    "solve",
]
