"""Every JSON file the package writes is strict JSON (RFC 8259: no NaN / Infinity literals)."""

from __future__ import annotations

import json
import math
import sys
import types

import numpy as np
import pytest

from robustgames.runner import Cell, ResultStore, strict_json

from _util import strict_loads




def test_strict_json_writes_null_for_non_finite_numbers():
    value = {"a": float("nan"), "b": [1.5, float("inf"), -math.inf], "c": (np.float32("nan"), np.int64(3)),
             "d": np.array([[0.25, np.nan]]), "e": {"f": np.float64("-inf"), "g": True, "h": None}, "i": "nan"}
    back = strict_loads(strict_json(value, indent=1))
    assert back == {"a": None, "b": [1.5, None, None], "c": [None, 3], "d": [[0.25, None]],
                    "e": {"f": None, "g": True, "h": None}, "i": "nan"}
    # the planted regression: Python's default writer is not strict JSON
    with pytest.raises(ValueError, match="non-standard JSON constant"):
        strict_loads(json.dumps(value["b"]))
    with pytest.raises(TypeError):
        strict_json({"x": object()})


def test_exported_chute_json_is_strict_even_from_an_old_record(tmp_path):
    from robustgames.experiments._reproduce import _export_chute

    store = ResultStore(tmp_path)
    cell = Cell("chute", {"experiment": "chute", "profile": "quick"}, 0, 0)
    legacy = json.dumps({"variants": {"a": {"dp": {"robust_value": float("nan"), "x": 1.0}}}})  # has NaN
    store.put(cell, {"values": {"chute_json": legacy, "file_name": "chute_quick_seed0.json"}, "arrays": {}})
    path = _export_chute(store, tmp_path, "quick", 0)
    assert strict_loads(path.read_text()) == {"variants": {"a": {"dp": {"robust_value": None, "x": 1.0}}}}


def test_bench_json_is_strict(tmp_path, monkeypatch, capsys):
    from robustgames.benchmarks import _runner

    fake = types.ModuleType("robustgames.benchmarks.planted_nan")
    fake.run = lambda quick=True: [{"case": "c", "seconds": np.float64(0.5), "ratio_x": float("nan"),
                                    "target": np.inf}]
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    monkeypatch.setattr(_runner, "discover", lambda only=None: ["planted_nan"])
    path = tmp_path / "bench.json"
    assert _runner.main(json_path=str(path)) == 0
    rec = strict_loads(path.read_text())["records"][0]
    assert rec == {"module": "planted_nan", "case": "c", "seconds": 0.5, "ratio_x": None, "target": None}


@pytest.mark.slow
def test_chute_experiment_json_is_strict(tmp_path):
    from robustgames.experiments import chute

    path = chute.run("smoke", tmp_path, seed=0)
    data = strict_loads(path.read_text())
    assert data["experiment"] == "chute" and data["profile"] == "smoke"
