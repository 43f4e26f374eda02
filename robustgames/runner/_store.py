"""A directory of results, one JSON file per cell, each written atomically.

Layout: ``<directory>/<study>/<key>.json`` where ``key`` is :attr:`Cell.key`. A record
holds everything needed to trust and reproduce the number it carries::

    {"study", "key", "config", "seed": {"root_seed", "seed_index", "entropy", "spawn_key"},
     "version": robustgames.__version__, "python", "numpy", "host",
     "started", "finished" (ISO 8601 UTC), "elapsed_s",
     "values": {...}    # JSON scalars / small lists returned by the cell function
     "arrays": {name: {"dtype", "shape", "data"}}}   # numpy arrays

Records are strict JSON (RFC 8259; written with ``allow_nan=False``): a non-finite float,
in ``values`` or ``arrays``, is stored as the string ``"nan"``, ``"inf"`` or ``"-inf"``
so that arrays read back bit-identical (``null`` could not tell NaN from infinity).
Other JSON outputs of the package (``summary.json``, the chute experiment's file, the
benchmark records) go through :func:`strict_json`, which writes ``null`` instead.

Atomicity: a record is written to a temporary file in the same directory, flushed and
``fsync``-ed, then moved over the final name with :func:`os.replace` (atomic on POSIX
and Windows). A process killed mid-write leaves at most a ``*.tmp`` file, which readers
ignore; the final name either does not exist or holds a complete record. Existence of
``<key>.json`` is therefore the "finished" mark that lets a killed sweep resume.
Floats are written with Python's shortest round-trip ``repr``, so reading a record back
gives bit-identical arrays.
"""

from __future__ import annotations

import json
import math
import os
import platform
import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ._cells import Cell, _jsonable

__all__ = ["ResultStore", "encode_payload", "decode_arrays", "strict_json"]

_SPECIAL = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


def _encode_float(x: float):
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(x)


def _encode_nested(value):
    """``value`` (already plain JSON types) with every non-finite float as a string."""
    if isinstance(value, dict):
        return {k: _encode_nested(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode_nested(v) for v in value]
    if isinstance(value, float):
        return _encode_float(value)
    return value


def _finite_or_null(value):
    if isinstance(value, dict):
        return {(k.item() if isinstance(k, np.generic) else k): _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_null(v) for v in value]
    if isinstance(value, np.ndarray):
        return _finite_or_null(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def strict_json(value: Any, *, indent: int | None = None) -> str:
    """Strict JSON text of ``value``: non-finite floats become ``null``.

    Python's :func:`json.dumps` writes ``NaN``/``Infinity`` by default, which RFC 8259
    forbids and strict parsers (JavaScript, ``jq``, many JSON libraries) reject. Here
    every float ``x`` with ``not math.isfinite(x)`` (also inside lists, tuples, dicts
    and numpy arrays; numpy scalars are converted with ``.item()``) is written as
    ``null``, and the text is produced with ``allow_nan=False`` so that any value
    escaping the conversion raises instead of writing invalid JSON.

    Parameters
    ----------
    value : object
        Dicts, lists, tuples, numpy arrays and scalars, str, int, float, bool, None.
    indent : int, optional
        As in :func:`json.dumps`.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        For a value JSON cannot represent (as :func:`json.dumps`).
    """
    return json.dumps(_finite_or_null(value), indent=indent, allow_nan=False)


def _encode_array(a: np.ndarray) -> dict:
    a = np.asarray(a)
    if a.dtype.kind == "f":
        data = [_encode_float(x) for x in a.ravel().tolist()]
    elif a.dtype.kind in "iub":
        data = a.ravel().tolist()
    else:
        raise TypeError(f"arrays must be numeric or boolean, got dtype {a.dtype}")
    return {"dtype": a.dtype.str, "shape": list(a.shape), "data": data}


def _decode_array(d: dict) -> np.ndarray:
    data = [(_SPECIAL[x] if isinstance(x, str) else x) for x in d["data"]]
    return np.asarray(data, dtype=np.dtype(d["dtype"])).reshape(d["shape"])


def encode_payload(payload: dict) -> tuple[dict, dict]:
    """Split a cell function's return value into JSON ``values`` and encoded ``arrays``."""
    if not isinstance(payload, dict):
        raise TypeError(f"a cell function must return a dict, got {type(payload).__name__}")
    values, arrays = {}, {}
    for name, v in payload.items():
        if not isinstance(name, str):
            raise TypeError(f"result names must be strings, got {name!r}")
        if isinstance(v, np.ndarray):
            arrays[name] = _encode_array(v)
        elif isinstance(v, (float, np.floating)):
            values[name] = _encode_float(float(v))
        else:
            values[name] = _encode_nested(_jsonable(v))
    return values, arrays


def decode_arrays(record: dict) -> dict:
    """The ``arrays`` of a record as numpy arrays (bit-identical to what was stored)."""
    return {k: _decode_array(v) for k, v in record.get("arrays", {}).items()}


class ResultStore:
    """Results of cells, one atomic JSON file each, under ``directory``.

    ``store.has(cell)`` tells whether a cell is finished, ``store.put(cell, record)``
    writes it atomically, ``store.get(cell)`` reads it (arrays decoded to numpy),
    ``store.records(study)`` iterates over every finished record of a study.
    """

    def __init__(self, directory) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"ResultStore({str(self.directory)!r})"

    def path(self, cell: Cell) -> Path:
        """Final path of ``cell``'s record."""
        return self.directory / cell.study / f"{cell.key}.json"

    def has(self, cell: Cell) -> bool:
        """Whether ``cell`` has a finished record."""
        return self.path(cell).is_file()

    def put(self, cell: Cell, record: dict) -> Path:
        """Write ``record`` for ``cell`` atomically (temp file + ``os.replace``)."""
        final = self.path(cell)
        final.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(record, indent=1, allow_nan=False)
        fd, tmp = tempfile.mkstemp(prefix=f".{cell.key}.", suffix=".tmp", dir=final.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return final

    @staticmethod
    def _read(path: Path) -> dict:
        record = json.loads(path.read_text(encoding="utf-8"))
        record["arrays"] = decode_arrays(record)
        return record

    def get(self, cell: Cell) -> dict:
        """The record of ``cell`` (``arrays`` decoded); ``KeyError`` if not finished."""
        path = self.path(cell)
        if not path.is_file():
            raise KeyError(f"no result for {cell!r} in {self.directory}")
        return self._read(path)

    def studies(self) -> list[str]:
        """Names of the studies with at least one record."""
        if not self.directory.is_dir():
            return []
        return sorted(p.name for p in self.directory.iterdir() if p.is_dir() and any(p.glob("*.json")))

    def records(self, study: str) -> Iterator[dict]:
        """Every finished record of ``study`` (temporary files of killed writes are skipped)."""
        folder = self.directory / study
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("*.json")):
            yield self._read(path)

    def clean_temporary(self) -> int:
        """Remove ``*.tmp`` leftovers of killed writes; returns how many were removed."""
        n = 0
        if self.directory.is_dir():
            for path in self.directory.glob("*/.*.tmp"):
                try:
                    path.unlink()
                    n += 1
                except FileNotFoundError:
                    pass
        return n


def environment_record() -> dict[str, Any]:
    """Versions and host stored with every record."""
    from .._version import __version__

    return {"version": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "host": platform.node()}
