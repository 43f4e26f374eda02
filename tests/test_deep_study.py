"""The deep study (experiments/deep.py): summary statistics (fast, synthetic runs) and the
smoke profile end to end through the runner, export and figures (slow)."""

import json

import numpy as np
import pytest

from robustgames.experiments import deep as study


def _fac(game, target, mixer, ratio, run, optimum=10.0):
    return dict(part="factorised", game=game, target=target, mixer=mixer, run=run, value=ratio * optimum,
                optimum=optimum, seconds=1.0, fixed_point_ratio=0.6, uncertainty="Contamination(0.1)",
                igm_given=1.0)


def test_normalised_score_hand_values():
    s = study.normalised_score
    # positive optimum: the plain ratio V / V*
    assert s(8.0, 10.0) == pytest.approx(0.8)
    assert s(10.0, 10.0) == pytest.approx(1.0)
    assert s(-5.0, 10.0) == pytest.approx(-0.5)
    # negative optimum V* = -2: a loss of 1 (V = -3) is a score of 1 - 1/2 = 0.5, not the ratio 1.5
    assert s(-3.0, -2.0) == pytest.approx(0.5)
    assert s(-2.0, -2.0) == pytest.approx(1.0)
    assert s(-6.0, -2.0) == pytest.approx(-1.0)
    # a worse value always scores lower, whatever the sign of V*
    assert s(-3.0, -2.0) < s(-2.5, -2.0) < s(-2.0, -2.0)
    assert s([None, -2.0], -2.0) == [None, pytest.approx(1.0)]
    with pytest.raises(ValueError, match="optimum"):
        s(1.0, 0.0)


def test_summary_scores_negative_optimum():
    # the absorbing-game situation: V* < 0, values below it; stored fixed-point ratio 5.8
    runs = [_fac("absorbing", "contamination", "vdn", r, k, optimum=-1.0) for k, r in enumerate((1.1, 1.1, 1.1))]
    for r in runs:
        r["fixed_point_ratio"] = 5.8  # V_fp = -5.8: loss 4.8 -> score 1 - 4.8 = -3.8
    (row,) = study.summarise(runs)["factorised"]
    assert row["score"]["mean"] == pytest.approx(0.9)
    assert row["fixed_point_score"] == pytest.approx(-3.8)
    md = study.markdown_factorised([row])
    assert "| absorbing | contamination | -1.000 | 0.900 [0.900, 0.900] | -3.800 |" in md


def test_summary_ci_is_student_t():
    runs = [_fac("penalty", "contamination", "vdn", r, k) for k, r in enumerate((0.5, 0.7, 0.9))]
    (row,) = study.summarise(runs)["factorised"]
    # mean 0.7, sd 0.2, t_{0.975, 2} = 4.302652729911275 (table value), half = t sd / sqrt(3)
    half = 4.302652729911275 * 0.2 / np.sqrt(3)
    assert row["score"]["mean"] == pytest.approx(0.7)
    assert row["score"]["lo"] == pytest.approx(0.7 - half, rel=1e-9)
    assert row["score"]["hi"] == pytest.approx(0.7 + half, rel=1e-9)
    md = study.markdown_factorised(study.summarise(runs)["factorised"])
    assert "| penalty | contamination | 10.000 | 0.700 [" in md and "| 0.600 |" in md


def test_deep_only_in_full_profile():
    assert "quick" not in study.PROFILES
    with pytest.raises(ValueError, match="profile"):
        study.cells("quick")
    # groupdr only where a group exists (the building)
    assert all(c.config["game"] == "building" for c in study.cells("full") if c.config.get("target") == "groupdr")
    # the chute-mapping game (issue 13): 5 targets x 2 mixers x 3 seeds, finite horizon
    chute = [c for c in study.cells("full") if c.config.get("game") == "chute"]
    assert len(chute) == 5 * 2 * 3 and {c.config["part"] for c in chute} == {"factorised"}
    game, group, terminal = study.games("chute")
    assert not game.discounted and game.horizon == 4 and group is None and terminal is None


def test_fixed_point_scores_finite_horizon():
    # the chute game is finite horizon: values at step 0 (the nonrobust path evaluates its
    # greedy policy under the contamination set itself)
    game, group, terminal = study.games("chute")
    for target in ("nonrobust", "contamination_exact"):
        for mixer in ("vdn", "qmix"):
            ratio, score = study._fixed_point(game, target, mixer, 0.1, group, terminal)
            assert score <= 1.0 + 1e-12 and score == pytest.approx(ratio)  # V* > 0 here


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
    assert {r["part"] for r in data["runs"]} == {"factorised", "mappo", "rqe_ac"}
    assert "| penalty | RQE actor-critic | 10 | 0.15 |" in data["table_rqe_ac_md"]
    paths = figs.draw(path, tmp_path / "figures")
    names = {p.name for p in paths}
    assert {"deep_factorised.png", "deep_mappo.png"} <= names
