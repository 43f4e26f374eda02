"""Exact robust planning: evaluation, best responses, gaps, robust value iteration, and
the group-DRO dynamic programme of DRMARL (arXiv 2503.09755)."""

from ._best_response import best_response, gap, is_product_policy
from ._evaluate import evaluate
from ._group_dro import (
    group_dro_backup,
    group_dro_operator,
    group_dro_solve,
    group_dro_value_iteration,
    policy_value_per_group,
    robust_policy_values,
)
from ._rqe_markov import next_state_risk, solve_rqe
from ._solve import solve

__all__ = [
    "evaluate",
    "best_response",
    "gap",
    "solve",
    "solve_rqe",
    "next_state_risk",
    "is_product_policy",
    "group_dro_backup",
    "group_dro_operator",
    "group_dro_solve",
    "group_dro_value_iteration",
    "policy_value_per_group",
    "robust_policy_values",
]
