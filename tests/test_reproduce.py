"""``robustgames reproduce`` end to end on the smoke profile: data, figures, resume, checks."""

import json

import numpy as np
import pytest

import robustgames
from robustgames.experiments import regret
from robustgames.runner import ResultStore


def test_smoke_reproduce_writes_data_figures_and_resumes(tmp_path, capsys):
    from robustgames.experiments._reproduce import main

    only = ["regret_k", "lower_bound"]
    assert main(out=tmp_path, jobs=1, only=only, progress=False, profile="smoke") == 0
    first = capsys.readouterr().out
    store = ResultStore(tmp_path / "data")
    records = list(store.records("regret_k")) + list(store.records("lower_bound"))
    n_cells = (len(regret.configs("regret_k", "smoke")) + len(regret.configs("lower_bound", "smoke"))) * 2
    assert len(records) == n_cells and f"{n_cells} computed" in first
    for r in records:
        assert r["version"] == robustgames.__version__
        assert r["seed"]["spawn_key"] == [r["seed"]["seed_index"]]
        assert r["values"]["min_gap"] >= -1e-9  # exact robust gaps are never negative
        assert r["values"]["bound_violations"] == 0  # the certificate holds episode by episode
        reg = r["arrays"]["regret"]
        assert np.all(np.diff(reg) >= -1e-9)
    for name in ("regret_vs_K", "lower_bound"):
        for ext in ("png", "pdf"):
            assert (tmp_path / "figures" / f"{name}.{ext}").stat().st_size > 1000
    summary = json.loads((tmp_path / "figures" / "summary.json").read_text())
    assert summary["checks"]["regret_k"]["bound_violations"] == 0
    # every JSON file written is strict JSON (no NaN / Infinity literals)
    written = list(tmp_path.rglob("*.json"))
    assert len(written) == n_cells + 1
    for path in written:
        json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"{c} in {path}"))
    # resume: nothing is recomputed, figures are redrawn from the stored data
    assert main(out=tmp_path, jobs=1, only=only, progress=False, profile="smoke") == 0
    assert f"0 computed, {n_cells} already stored" in capsys.readouterr().out


def test_support_shift_is_linear_and_fail_state_is_not():
    # the lower-bound mechanism on a short run: a constant gap on variant 1 (linear regret)
    cfgs = regret.configs("lower_bound", "smoke")
    seed = np.random.SeedSequence(0, spawn_key=(0,))
    shift = regret.regret_cell(cfgs[1], seed)
    gaps = np.diff(np.concatenate([[0.0], shift["regret"]]))
    assert gaps.min() > 0.5 and np.ptp(gaps) < 1e-9


def test_configs_and_profiles():
    with pytest.raises(ValueError, match="profile"):
        regret.configs("regret_k", "huge")
    with pytest.raises(ValueError, match="study"):
        regret.configs("nope", "quick")
    quick = regret.studies("quick")
    assert set(quick) <= set(regret.STUDY_NAMES)
    assert all(len({c.seed_index for c in cells}) >= 8 for cells in quick.values())
    assert regret.predicted_exponent("H", 3, {"set": {"radius": 0.05}, "game": {"horizon": 3}}) == 1.5
    assert regret.predicted_exponent("inv_sigma", 16, {"set": {"radius": 1 / 16}, "game": {"horizon": 6}}) == 0.0


def test_chute_table1_goes_into_summary_json(tmp_path):
    """summary.json holds the chute study's Table 1 next to the regret slopes (strict JSON)."""
    from robustgames.experiments._reproduce import _add_chute_to_summary

    chute = tmp_path / "chute_quick_seed0.json"
    chute.write_text(json.dumps({"table1_text": "| row | value |", "table1": {"MARL": {"mean": 1.0, "ci": [0.5, None]}},
                                 "paired": {"cb_minus_marl": 0.1}, "seeds": [1, 2]}))
    summary = tmp_path / "figures" / "summary.json"
    summary.parent.mkdir()
    summary.write_text(json.dumps({"slopes": {"regret_k": 0.5}}))
    _add_chute_to_summary(chute, summary)
    record = json.loads(summary.read_text(), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    assert record["slopes"] == {"regret_k": 0.5}
    assert record["chute"]["table1_text"] == "| row | value |"
    assert record["chute"]["table1"]["MARL"]["ci"] == [0.5, None]
    assert "seeds" not in record["chute"] and record["chute"]["source"].endswith("chute_quick_seed0.json")
