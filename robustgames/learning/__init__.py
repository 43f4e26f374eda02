"""Online and sample-based learners: MORNAVI, baselines, the ``learn`` runner, tabular DRMARL.

:func:`learn` plays episodes of the nominal game with a learner and records the EXACT
robust gap of every episode's policy (computed on the true game), the learner's bound
(certified only where docs/theory.md section 8 applies) and the regret. Learners: :class:`MORNAVI` (arXiv 2508.02948), the non-robust
:class:`OptimisticNashVI`, :class:`DRNVI` with a generative model (arXiv 2404.18909) and
:class:`UniformPolicy`. DRMARL-style tabular learners for the chute-mapping game
(arXiv 2503.09755) are :func:`train_vdn` and friends.
"""

from ._drmarl import (
    assign_chutes,
    cb_accuracy,
    evaluate_joint_policy,
    greedy_joint_policy,
    train_cb_predictor,
    train_vdn,
)
from ._learn import SaturationWarning, learn
from ._learners import DRNVI, MORNAVI, OptimisticNashVI, UniformPolicy

__all__ = [
    "learn",
    "SaturationWarning",
    "MORNAVI",
    "OptimisticNashVI",
    "DRNVI",
    "UniformPolicy",
    "assign_chutes",
    "train_vdn",
    "train_cb_predictor",
    "greedy_joint_policy",
    "cb_accuracy",
    "evaluate_joint_policy",
]
