"""A tiny cell function for testing executors and stores (no robustgames solvers).

``toy_cell(config, seed)`` draws ``config["n"]`` standard normals from
``np.random.default_rng(seed)`` and returns them with their sum; it is deterministic in
``(config, seed)``. Options used by the tests of the runner:

* ``config["calls_dir"]``: write one marker file per call there (count calls across
  processes, to check that a resumed sweep recomputes nothing that was finished);
* ``config["fail"]``: raise ``ValueError`` (a failing cell);
* ``config["sleep"]``: sleep that many seconds first.
"""

from __future__ import annotations

import os
import time
import uuid

import numpy as np


def toy_cell(config: dict, seed: np.random.SeedSequence) -> dict:
    """Deterministic toy experiment: ``n`` normals from ``seed``, their sum and a flag."""
    if config.get("calls_dir"):
        name = f"{seed.spawn_key[-1] if seed.spawn_key else 0}-{config.get('tag', '')}-{uuid.uuid4().hex}"
        with open(os.path.join(config["calls_dir"], name), "w") as fh:
            fh.write(str(os.getpid()))
    if config.get("sleep"):
        time.sleep(float(config["sleep"]))
    if config.get("fail"):
        raise ValueError(f"toy cell asked to fail (config={config})")
    x = np.random.default_rng(seed).standard_normal(int(config.get("n", 5)))
    return {"draws": x, "total": float(x.sum()), "n": int(config.get("n", 5)), "pid_free": True,
            "nan_value": float("nan"), "with_nan": np.array([1.0, np.nan, np.inf])}
