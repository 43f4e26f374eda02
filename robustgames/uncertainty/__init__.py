"""Uncertainty sets: exact support functions and worst-case distributions.

``TV``, ``KL``, ``ChiSquare``, ``Contamination`` (balls around a nominal row) and
``Group`` (the convex hull of given distributions, DRMARL Lemma 3.1), and ``RowSet`` (a
user-defined set written as a numba function of one row). Every set hands the compiled
backup engine a row kernel (:meth:`UncertaintySet.row_kernel`, :class:`RowKernel`). Slow primal
reference solvers used by tests and ``proofs_checks`` live in
:mod:`robustgames.uncertainty.reference` (not imported here).
"""

from ._base import UncertaintySet, as_player_sets
from ._chi_square import ChiSquare
from ._contamination import Contamination
from ._engine import RowKernel, RowSet
from ._group import Group
from ._kl import KL
from ._tv import TV

__all__ = ["UncertaintySet", "as_player_sets", "TV", "KL", "ChiSquare", "Contamination", "Group", "RowKernel", "RowSet"]
