"""Robust value factorisation (DrIGM, arXiv 2602.11437; docs/theory.md section 6).

* exact robust team values of cooperative games and the worst-case kernel
  (:func:`team_robust_q`);
* IGM diagnostics of any joint Q (:func:`igm_report`): IGM per state, VDN residuals (LP and
  least squares), exact monotone-mixing representability, the paper's anchored robust
  utilities and the naive per-agent worst case;
* the published code's robust targets as exact tabular operators combined with joint,
  VDN and monotone mixers (:func:`target_fixed_point`), and the dropped ``rho min V`` term
  measured (:func:`dropped_term_shift`).
"""

from ._igm import additive_projection, igm_holds, igm_report, max_marginals, monotone_projection, robust_utilities
from ._targets import (
    MIXERS,
    TARGETS,
    dropped_term_shift,
    g_network_eta,
    robust_policy_value,
    target_fixed_point,
    target_values,
    tv_dual_eta,
)
from ._learners import LEARNER_MIXERS, LEARNER_TARGETS, train_factored
from ._team import optimal_q, team_reward, team_robust_q, terminal_mask

__all__ = [
    "train_factored",
    "LEARNER_TARGETS",
    "LEARNER_MIXERS",
    "team_reward",
    "team_robust_q",
    "optimal_q",
    "terminal_mask",
    "igm_report",
    "igm_holds",
    "additive_projection",
    "monotone_projection",
    "max_marginals",
    "robust_utilities",
    "TARGETS",
    "MIXERS",
    "target_values",
    "target_fixed_point",
    "tv_dual_eta",
    "g_network_eta",
    "robust_policy_value",
    "dropped_term_shift",
]
