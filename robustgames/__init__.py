"""robustgames: exact, fast solvers for tabular distributionally robust Markov games.

The public API (see DESIGN.md) is re-exported here; implementation lives in private
modules of the layer packages ``games``, ``uncertainty``, ``equilibria``, ``planning``,
``learning`` and ``runner``. Plotting is not imported by the package root.

>>> import robustgames as rg
>>> game = rg.random_game(4, 2, 3, n_players=2, rng=0)
>>> sol = rg.solve(game, rg.TV(0.1), equilibrium="nash")
>>> bool(sol.gap < 1e-9)
True
"""

from ._result import Result
from ._version import __version__
from .equilibria import (
    cce_gap,
    ce_gap,
    correlated,
    is_cce,
    is_ce,
    is_nash,
    nash,
    nash_gap,
    rqe,
    rqe_tractable,
    rqe_utility,
    stage_equilibrium,
    zero_sum,
)
from .games import (
    ChuteGame,
    MarkovGame,
    chute_mapping_game,
    deterministic_policy,
    fail_state_game,
    hidden_action_game,
    mixed_fail_state_game,
    game_catalog,
    intersection_game,
    building_game,
    rqe_grid_world,
    joint_actions,
    joint_index,
    marginal,
    product_policy,
    random_game,
    solver_benchmark_game,
    support_shift_game,
)
from .bridge import Tracker, assess, policy_from_callable, policy_from_q, to_pettingzoo
from .factorization import dropped_term_shift, igm_report, target_fixed_point, team_robust_q, train_factored
from .learning import DRNVI, MORNAVI, OptimisticNashVI, SaturationWarning, UniformPolicy, learn
from .planning import best_response, evaluate, gap, group_dro_solve, solve, solve_rqe
from .risk import c51_project, cvar, entropic_risk, mean_variance, return_distribution
from .uncertainty import KL, TV, ChiSquare, Contamination, Group, RowSet, UncertaintySet

__all__ = [
    "__version__",
    "Result",
    # games
    "MarkovGame",
    "joint_index",
    "joint_actions",
    "product_policy",
    "marginal",
    "deterministic_policy",
    "random_game",
    "solver_benchmark_game",
    "game_catalog",
    "fail_state_game",
    "hidden_action_game",
    "mixed_fail_state_game",
    "support_shift_game",
    "intersection_game",
    "building_game",
    "rqe_grid_world",
    "ChuteGame",
    "chute_mapping_game",
    # uncertainty sets
    "UncertaintySet",
    "TV",
    "KL",
    "ChiSquare",
    "Contamination",
    "Group",
    "RowSet",
    # stage-game equilibria
    "zero_sum",
    "nash",
    "correlated",
    "stage_equilibrium",
    "nash_gap",
    "ce_gap",
    "cce_gap",
    "is_nash",
    "is_ce",
    "is_cce",
    # planning
    "evaluate",
    "best_response",
    "gap",
    "solve",
    "group_dro_solve",
    # learning
    "MORNAVI",
    "OptimisticNashVI",
    "DRNVI",
    "UniformPolicy",
    "learn",
    "SaturationWarning",
    # risk measures and risk-averse equilibria
    "entropic_risk",
    "cvar",
    "mean_variance",
    "return_distribution",
    "c51_project",
    "rqe",
    "rqe_utility",
    "rqe_tractable",
    "solve_rqe",
    # robust value factorisation (DrIGM)
    "team_robust_q",
    "igm_report",
    "target_fixed_point",
    "dropped_term_shift",
    "train_factored",
    # bridge to deep MARL
    "assess",
    "policy_from_callable",
    "policy_from_q",
    "to_pettingzoo",
    "Tracker",
]
