"""Sweeps of experiment cells: seeds, executors and a resumable result store.

A sweep is a list of :class:`Cell` s (study, config, seed index). :func:`run_cells`
maps a top-level cell function ``func(config, seed) -> dict`` over them, serially, on
local processes (default) or on a Dask distributed cluster (``scheduler=ADDRESS``,
optional ``distributed`` extra), and stores each record atomically in a
:class:`ResultStore` with its configuration, seed, package version and timestamps.
Finished cells are skipped on rerun, so a killed sweep resumes. A cell's seed is
``SeedSequence(root_seed).spawn(n)[seed_index]``, independent of scheduling.
:func:`strict_json` writes the package's other JSON outputs (non-finite floats as ``null``).
"""

from ._cells import Cell, canonical_json, cell_key, make_cells
from ._execute import CellFailure, execute_cell, run_cells
from ._store import ResultStore, decode_arrays, strict_json

__all__ = [
    "Cell",
    "make_cells",
    "cell_key",
    "canonical_json",
    "ResultStore",
    "decode_arrays",
    "strict_json",
    "run_cells",
    "execute_cell",
    "CellFailure",
]
