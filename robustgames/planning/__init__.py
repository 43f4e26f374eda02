"""Exact robust planning: evaluation, best responses, gaps and robust value iteration."""

from ._best_response import best_response, gap, is_product_policy
from ._evaluate import evaluate
from ._solve import solve

__all__ = ["evaluate", "best_response", "gap", "solve", "is_product_policy"]
