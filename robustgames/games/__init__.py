"""Markov-game model, joint-action helpers and a catalog of games.

Catalog: classic matrix games as one-state games, seeded random games, benchmark games
for regret experiments (fail state, support shift), a two-robot intersection game and
the chute-mapping game of DRMARL.
"""

from ._benchmark_games import (
    fail_state_game,
    game_catalog,
    hidden_action_game,
    mixed_fail_state_game,
    support_shift_game,
)
from ._chute import ChuteGame, chute_mapping_game
from ._building import BUILDING_CLIMATES, BUILDING_OUTDOOR, building_climates, building_game, building_group, building_state
from ._coordination import intersection_game, intersection_index, intersection_state
from ._rqe_grid import RQE_GRID_MAP, RQE_GRID_MOVES, rqe_grid_cells, rqe_grid_world
from ._joint import deterministic_policy, joint_actions, joint_index, marginal, product_policy
from ._markov_game import MarkovGame
from ._matrix import (
    climbing_game,
    matching_pennies,
    matrix_game,
    penalty_game,
    prisoners_dilemma,
    rock_paper_scissors,
    stag_hunt,
)
from ._random import SOLVER_BENCHMARK_KINDS, random_game, solver_benchmark_game

__all__ = [
    "MarkovGame",
    "joint_index",
    "joint_actions",
    "product_policy",
    "marginal",
    "deterministic_policy",
    "random_game",
    "solver_benchmark_game",
    "SOLVER_BENCHMARK_KINDS",
    "matrix_game",
    "matching_pennies",
    "rock_paper_scissors",
    "prisoners_dilemma",
    "stag_hunt",
    "climbing_game",
    "penalty_game",
    "fail_state_game",
    "hidden_action_game",
    "mixed_fail_state_game",
    "support_shift_game",
    "intersection_game",
    "building_game",
    "building_climates",
    "building_group",
    "building_state",
    "BUILDING_CLIMATES",
    "BUILDING_OUTDOOR",
    "rqe_grid_world",
    "rqe_grid_cells",
    "RQE_GRID_MAP",
    "RQE_GRID_MOVES",
    "intersection_state",
    "intersection_index",
    "game_catalog",
    "ChuteGame",
    "chute_mapping_game",
]
