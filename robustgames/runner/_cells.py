"""Cells of a sweep and how each one's random seed is derived.

A *cell* is one ``(study, config, seed_index)`` triple under a root seed. Its random
stream is the ``seed_index``-th child of the root :class:`numpy.random.SeedSequence`::

    seed = np.random.SeedSequence(root_seed).spawn(n_seeds)[seed_index]
         = np.random.SeedSequence(root_seed, spawn_key=(seed_index,))

The second form is what :meth:`Cell.seed_sequence` builds: it does not depend on
``n_seeds``, on the other cells, on the executor or on the order in which cells run, so a
cell's result is a function of ``(study, config, root_seed, seed_index)`` only and a
sweep re-run, resumed, or spread over a cluster gives identical numbers. Different
configurations of one study share seed ``i`` (common random numbers: learner A and
learner B at seed ``i`` see the same random game and the same noise stream), which is
what paired comparisons want. A cell function that needs several independent streams
(one for a random game, one for the learner) spawns them from its seed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np

__all__ = ["Cell", "make_cells", "cell_key", "canonical_json"]


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars, tuples and arrays in a config to plain JSON values."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"config values must be JSON-serialisable (numbers, strings, lists, dicts); got {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Deterministic JSON text of ``value`` (sorted keys, no spaces): the hashing input."""
    return json.dumps(_jsonable(value), sort_keys=True, separators=(",", ":"), allow_nan=False)


def cell_key(study: str, config: Mapping, root_seed: int, seed_index: int) -> str:
    """A stable 20-hex-digit key of ``(study, config, root_seed, seed_index)``.

    SHA-256 of the canonical JSON; independent of dict order, of the Python process and
    of the machine, so a store written on one machine is resumed on another.
    """
    text = canonical_json({"study": study, "config": config, "root_seed": root_seed, "seed_index": seed_index})
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Cell:
    """One unit of work: a configuration of a study at one seed.

    Parameters
    ----------
    study : str
        Name of the study (a folder of the result store; letters, digits, ``-_.``).
    config : dict
        JSON-serialisable parameters passed to the cell function.
    seed_index : int
        Which child of the root seed sequence this cell uses.
    root_seed : int, default 0
        Entropy of the root :class:`numpy.random.SeedSequence`.
    """

    study: str
    config: Mapping = field(hash=False)
    seed_index: int = 0
    root_seed: int = 0

    def __post_init__(self):
        if not isinstance(self.study, str) or not self.study or any(
            not (c.isalnum() or c in "-_.") for c in self.study
        ):
            raise ValueError(f"study must be a non-empty name of letters, digits, '-', '_' or '.', got {self.study!r}")
        if not isinstance(self.config, Mapping):
            raise TypeError(f"config must be a mapping, got {type(self.config).__name__}")
        if isinstance(self.seed_index, bool) or not isinstance(self.seed_index, (int, np.integer)) or self.seed_index < 0:
            raise ValueError(f"seed_index must be a non-negative int, got {self.seed_index!r}")
        if isinstance(self.root_seed, bool) or not isinstance(self.root_seed, (int, np.integer)) or self.root_seed < 0:
            raise ValueError(f"root_seed must be a non-negative int, got {self.root_seed!r}")
        object.__setattr__(self, "config", _jsonable(self.config))
        object.__setattr__(self, "seed_index", int(self.seed_index))
        object.__setattr__(self, "root_seed", int(self.root_seed))

    @property
    def key(self) -> str:
        """Stable hash of the cell (the result file's name)."""
        return cell_key(self.study, self.config, self.root_seed, self.seed_index)

    def seed_sequence(self) -> np.random.SeedSequence:
        """``SeedSequence(root_seed).spawn(n)[seed_index]``, built without spawning siblings."""
        return np.random.SeedSequence(self.root_seed, spawn_key=(self.seed_index,))

    def seed_record(self) -> dict:
        """The seed as stored with the result: entropy and spawn key of the SeedSequence."""
        ss = self.seed_sequence()
        return {"root_seed": self.root_seed, "seed_index": self.seed_index,
                "entropy": int(ss.entropy), "spawn_key": [int(k) for k in ss.spawn_key]}

    def __repr__(self) -> str:
        return f"Cell({self.study!r}, {canonical_json(self.config)}, seed_index={self.seed_index}, root_seed={self.root_seed})"


def make_cells(study: str, configs: Iterable[Mapping], n_seeds: int, root_seed: int = 0) -> list[Cell]:
    """Every ``(config, seed_index)`` pair of a study, configs outermost."""
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, (int, np.integer)) or n_seeds < 1:
        raise ValueError(f"n_seeds must be a positive int, got {n_seeds!r}")
    return [Cell(study, dict(c), i, root_seed) for c in configs for i in range(int(n_seeds))]
