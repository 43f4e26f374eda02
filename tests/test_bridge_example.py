"""The bridge worked example (issue 11) at tiny size: examples/bridge_independent_q.py."""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pettingzoo")
pytest.importorskip("gymnasium")
import robustgames as rg  # noqa: E402
from _util import load_example, strict_loads  # noqa: E402


@pytest.fixture(scope="module")
def ex():
    return load_example("bridge_independent_q")



def test_example_main_tiny(ex, tmp_path):
    out = ex.main(steps=300, seed=3, out=tmp_path, episodes=200, verbose=False)
    game = ex.make_game()
    H = game.horizon
    lo, hi = H * float(game.rewards.min()), H * float(game.rewards.max())  # episode-return bounds
    data = strict_loads(Path(out["tracker_path"]).read_text())
    recs = data["records"]
    assert [r["step"] for r in recs][0] == 0 and recs[-1]["step"] == 300
    assert len(recs) >= 3
    for r in recs:
        for key in ("values", "best_response_values"):
            assert all(lo - 1e-9 <= v <= hi + 1e-9 for v in r[key]), (key, r[key])
        assert r["is_product"] is True and r["gap_nash"] is not None
        assert r["gap_nash"] >= 0 and r["gap_cce"] >= 0
        assert "q_error" in r and 0.0 <= r["greedy_agreement"] <= 1.0
    assert lo <= data["reference"][0] <= hi
    # the exact optimum is an upper bound of every tracked team value
    assert all(r["values"][0] <= data["reference"][0] + 1e-9 for r in recs)
    summary = strict_loads((tmp_path / "summary_seed3.json").read_text())
    for res in (summary["assess"], summary["assess_nominal"]):
        for key in ("values", "gap_nash", "q_error", "greedy_agreement", "q_target"):
            assert key in res
        assert res["q_target"] == "optimal"
        assert np.isfinite(res["q_error"]) and 0.0 <= res["greedy_agreement"] <= 1.0
    s = out["stress"]
    assert s["exact_robust_value"] == pytest.approx(summary["assess"]["values"][0], abs=1e-12)
    assert abs(s["z"]) < 4.5  # worst-case nature: empirical return = exact robust value (CLT)


def test_example_assess_matches_independent_references(ex):
    """The example's numbers against references computed here independently: the tracked
    value with rg.evaluate of the tabulated greedy policy, q_error / greedy agreement with
    rg.team_robust_q (factorization module, not the bridge)."""
    game, U = ex.make_game(), ex.make_uncertainty()
    learners, tracker = ex.train(game, U, steps=200, seed=1, every=100)
    H, S = game.horizon, game.n_states
    greedy = [np.eye(a.A)[np.argmax(a.table(), axis=-1)] for a in learners]  # (H, S, A_i)
    pi = rg.product_policy(greedy)
    V = rg.evaluate(game, U, pi)
    assert tracker.records[-1]["values"][0] == pytest.approx(float(game.initial @ V[0, :, 0]), abs=1e-12)
    res = rg.assess(game, U, [a.greedy for a in learners], Q=[a.table() for a in learners])
    Qs = rg.team_robust_q(game, U).Q.reshape(H, S, 3, 3)
    refs = [Qs.max(axis=3), Qs.max(axis=2)]
    err = max(np.abs(a.table() - r).max() for a, r in zip(learners, refs))
    assert res.q_error == pytest.approx(err, abs=1e-9)
    g0, g1 = (np.argmax(a.table(), axis=-1) for a in learners)
    chosen = np.take_along_axis(Qs.reshape(H, S, 9), (3 * g0 + g1)[..., None], axis=-1)[..., 0]
    assert res.greedy_agreement == pytest.approx(np.mean(chosen >= Qs.max(axis=(2, 3)) - 1e-8))
