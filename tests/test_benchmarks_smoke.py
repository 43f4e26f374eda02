"""Smoke tests of the benchmark modules: tiny sizes, well-formed records, no timing asserted."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from robustgames.benchmarks import operators, planning


def _check_records(records):
    assert records, "a benchmark returned no records"
    for rec in records:
        assert isinstance(rec["case"], str) and rec["case"]
        if "skipped" in rec:
            assert isinstance(rec["skipped"], str) and rec["skipped"]
            continue
        assert isinstance(rec["seconds"], float) and math.isfinite(rec["seconds"]) and rec["seconds"] >= 0
        for key, value in rec.items():
            if key.startswith("ratio_") and value is not None:
                assert math.isfinite(value) and value >= 0, (rec["case"], key, value)
        if "target" in rec:
            assert isinstance(rec["target_met"], bool)
    json.dumps(records)  # what `robustgames bench --json` writes


def test_numpy_tv_matches_reference_dual():
    reference = pytest.importorskip("robustgames.uncertainty.reference")
    rng = np.random.default_rng(0)
    P = operators.random_kernel(15, 3, rng, support=4)
    v = rng.random(15)
    for sigma in (0.0, 0.05, 0.3, 1.0):
        expected = [reference.tv_dual(p, v, sigma) for p in P]
        np.testing.assert_allclose(operators.numpy_tv(P, v, sigma), expected, atol=1e-12)


def test_floor_is_matvec():
    rng = np.random.default_rng(1)
    P = operators.random_kernel(12, 2, rng)
    v = rng.random(12)
    out = np.empty(P.shape[0])
    operators.floor_backup(P, v, out)
    np.testing.assert_allclose(out, P @ v, rtol=1e-13)


def test_operators_runs_and_records_are_well_formed():
    records = operators.run(quick=True, sizes=(20,), repeats=1, reference_rows=2, sparse=False)
    _check_records(records)
    cases = [r["case"] for r in records]
    assert any(c.startswith("floor") for c in cases)
    assert any(c.startswith("TV hook") for c in cases)
    for rec in records:
        if "max_abs_diff_vs_compiled" in rec:
            assert rec["max_abs_diff_vs_compiled"] < 1e-6, rec


def test_planning_runs_and_slow_matches_compiled():
    records = planning.run(quick=True, S=6, n_actions=2, H=3, repeats=1, slow_steps=2)
    _check_records(records)
    for rec in records:
        if rec["case"].startswith("slow"):
            if "cce" in rec["case"]:
                assert rec["max_abs_welfare_diff"] < 1e-6, rec
            else:
                assert rec["max_abs_diff"] < 1e-6, rec


@pytest.mark.parametrize("seed", [0, 1])
def test_slow_nash_stage_is_an_equilibrium(seed):
    rng = np.random.default_rng(seed)
    A, B = rng.random((3, 4)), rng.random((3, 4))
    x, y = planning.nashpy_nash(A, B)
    assert planning._gap(A, B, x, y) <= 1e-8
