"""Collects every benchmark module of this folder and prints its cases as ratios.

A benchmark module defines ``run(quick: bool = True) -> list[dict]``; each record has at
least ``case`` and ``seconds`` (per call or per run) and any number of ``ratio_*``/
``*_ratio`` fields measured in the same run, plus an optional ``target``. Timings are
never asserted in tests.
"""

from __future__ import annotations

import importlib
import pkgutil
import platform
import time

import numpy as np

from .. import __version__
from ..runner import strict_json


def discover(only=None) -> list[str]:
    import robustgames.benchmarks as pkg

    names = sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))
    if only:
        names = [n for n in names if any(o in n for o in only)]
    return names


def _format(rec: dict) -> str:
    parts = []
    for k, v in rec.items():
        if k in ("case", "module"):
            continue
        if isinstance(v, float):
            parts.append(f"{k}={v:.3g}")
        else:
            parts.append(f"{k}={v}")
    return f"{rec.get('module', '')}:{rec['case']:<40s} " + "  ".join(parts)


def main(full: bool = False, json_path: str | None = None, only=None) -> int:
    """Run the benchmark modules (``only``: substrings of their names) and print each case.

    Returns 0, or 2 (nothing run) if no module matches ``only``.
    """
    names = discover(only)
    if not names:
        print(f"no benchmark module matches {only!r}; available: {', '.join(discover())}", flush=True)
        return 2
    records = []
    for name in names:
        module = importlib.import_module(f"robustgames.benchmarks.{name}")
        t0 = time.perf_counter()
        for rec in module.run(quick=not full):
            rec = {"module": name, **rec}
            records.append(rec)
            print(_format(rec), flush=True)
        print(f"# {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    if json_path:
        meta = {
            "version": __version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "numpy": np.__version__,
            "profile": "full" if full else "quick",
        }
        with open(json_path, "w") as fh:
            fh.write(strict_json({"meta": meta, "records": records}, indent=2))
        print(f"wrote {len(records)} records to {json_path}")
    return 0
