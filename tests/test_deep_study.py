"""The deep study (experiments/deep.py): summary statistics (fast, synthetic runs) and the
smoke profile end to end through the runner, export and figures (slow)."""

import json

import numpy as np
import pytest

from robustgames.experiments import deep as study


def _fac(game, target, mixer, ratio, run):
    return dict(part="factorised", game=game, target=target, mixer=mixer, run=run, ratio=ratio, seconds=1.0,
                fixed_point_ratio=0.6, uncertainty="Contamination(0.1)", igm_given=1.0)


def test_summary_ci_is_student_t():
    runs = [_fac("penalty", "contamination", "vdn", r, k) for k, r in enumerate((0.5, 0.7, 0.9))]
    (row,) = study.summarise(runs)["factorised"]
    # mean 0.7, sd 0.2, t_{0.975, 2} = 4.302652729911275 (table value), half = t sd / sqrt(3)
    half = 4.302652729911275 * 0.2 / np.sqrt(3)
    assert row["ratio"]["mean"] == pytest.approx(0.7)
    assert row["ratio"]["lo"] == pytest.approx(0.7 - half, rel=1e-9)
    assert row["ratio"]["hi"] == pytest.approx(0.7 + half, rel=1e-9)
    md = study.markdown_factorised(study.summarise(runs)["factorised"])
    assert "| penalty | contamination | 0.700 [" in md and "| 0.600 |" in md


def test_deep_only_in_full_profile():
    assert "quick" not in study.PROFILES
    with pytest.raises(ValueError, match="profile"):
        study.cells("quick")
    # groupdr only where a group exists (the building)
    assert all(c.config["game"] == "building" for c in study.cells("full") if c.config.get("target") == "groupdr")


@pytest.mark.slow
def test_smoke_study_end_to_end(tmp_path):
    pytest.importorskip("torch")
    from robustgames.experiments._reproduce import cell_function
    from robustgames.paper_figures import deep as figs
    from robustgames.runner import ResultStore, run_cells

    store = ResultStore(tmp_path / "data")
    cells = study.cells("smoke")
    res = run_cells(cell_function, cells, store, jobs=1, progress=False)
    assert not res.failures if hasattr(res, "failures") else True
    path = study.export(store, tmp_path / "data", "smoke")
    data = json.loads(path.read_text())
    assert len(data["runs"]) == len(cells)
    assert {r["part"] for r in data["runs"]} == {"factorised", "mappo"}
    paths = figs.draw(path, tmp_path / "figures")
    names = {p.name for p in paths}
    assert {"deep_factorised.png", "deep_mappo.png"} <= names
