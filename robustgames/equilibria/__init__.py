"""Stage-game equilibria: zero-sum LP, two-player Nash, n-player CE/CCE, certificates.

Public (validated, return :class:`robustgames.Result`): :func:`zero_sum`, :func:`nash`,
:func:`correlated`, :func:`stage_equilibrium`; certificates :func:`nash_gap`,
:func:`ce_gap`, :func:`cce_gap`, :func:`is_nash`, :func:`is_ce`, :func:`is_cce`; risk-averse
quantal response equilibria :func:`rqe` (with :func:`rqe_utility`, :func:`rqe_tractable`).

Compiled (numba nopython, callable from Python and from other kernels):
:func:`solve_stage` ``(Q, n_actions, kind_code, out) -> gap`` with the codes
:data:`NASH`, :data:`CE`, :data:`CCE` (see :mod:`._stage`), and
:func:`zero_sum_value` ``(A) -> (value, x, y)``.
"""

from ._certificates import cce_gap, ce_gap, is_cce, is_ce, is_nash, nash_gap
from ._solvers import correlated, nash, stage_equilibrium, zero_sum
from ._stage import CCE, CE, KIND_CODES, NASH, solve_stage
from ._rqe import rqe, rqe_tractable, rqe_utility, solve_rqe_stage
from ._zero_sum import zero_sum_value

__all__ = [
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
    "rqe",
    "rqe_utility",
    "rqe_tractable",
    "solve_rqe_stage",
    "solve_stage",
    "zero_sum_value",
    "NASH",
    "CE",
    "CCE",
    "KIND_CODES",
]
