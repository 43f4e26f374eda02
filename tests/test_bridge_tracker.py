"""Training tracker (issue 11, part 3)."""


import numpy as np
import pytest

import robustgames as rg
from robustgames.bridge._tracker import Tracker

from _util import strict_loads



def test_tracker_records_exact_values_and_gaps(tmp_path):
    game = rg.intersection_game(payoff="penalty")
    U = rg.TV(0.1)
    path = tmp_path / "curve.json"
    tracker = Tracker(game, U, every=5, path=path)
    # reference = optimal robust team value, checked with rg.solve on the one-player game
    single = rg.MarkovGame(game.flat_transitions, game.flat_rewards[..., :1], initial=game.initial)
    opt = float(game.initial @ rg.solve(single, U).values[0, :, 0])
    assert tracker.reference_kind == "team optimum"
    assert abs(tracker.reference[0] - opt) <= 1e-10
    rng = np.random.default_rng(0)
    policies = []
    for step in range(0, 12):
        tables = [rng.dirichlet(np.ones(3), size=(game.horizon, game.n_states)) for _ in range(2)]
        fns = [lambda o, t=t: t[o[..., 0], o[..., 1]] for t in tables]
        tracker.observation = "index"
        out = tracker(step, fns)
        assert (out is None) == (step % 5 != 0)
        if out is not None:
            policies.append(rg.product_policy(tables))
    assert [r["step"] for r in tracker.records] == [0, 5, 10]
    for rec, pi in zip(tracker.records, policies):
        V = rg.evaluate(game, U, pi)
        np.testing.assert_allclose(rec["values"], game.initial @ V[0], atol=1e-12)
        assert abs(rec["gap_ce"] - rg.gap(game, U, pi, kind="ce").value) <= 1e-12
        assert rec["wall_time"] >= 0 and rec["assess_seconds"] > 0
    saved = strict_loads(path.read_text())
    assert saved["records"] == strict_loads(tracker.to_json())["records"]
    assert Tracker.load(path)["reference"] == tracker.reference
    fig = tracker.plot()
    fig.savefig(tmp_path / "curve.png")
    assert (tmp_path / "curve.png").stat().st_size > 0
    ax = fig.axes[0]
    ref_lines = [ln for ln in ax.get_lines() if np.allclose(ln.get_ydata(), tracker.reference[0])]
    assert ref_lines  # the exact optimum is drawn as a line


def test_tracker_correlated_policy_writes_null_and_general_sum_reference():
    game = rg.random_game(3, 2, 2, rng=5)
    U = rg.KL(0.2)
    tracker = Tracker(game, U)
    sol = rg.solve(game, U, "nash")
    np.testing.assert_allclose(tracker.reference, game.initial @ sol.values[0], atol=1e-12)
    assert tracker.reference_kind.startswith("robust nash")
    corr = np.zeros(game.policy_shape)
    corr[..., 0, 0] = corr[..., 1, 1] = 0.5  # correlated: not a product
    tracker.record(3, corr, Q=[np.zeros((2, 3, 2))] * 2)
    rec = strict_loads(tracker.to_json())["records"][0]
    assert rec["gap_nash"] is None and rec["is_product"] is False
    assert "q_error" in rec and "greedy_agreement" in rec
    with pytest.raises(ValueError, match="every must be at least 1"):
        Tracker(game, U, every=0)
    with pytest.raises(ValueError, match="step must be at least 0"):
        tracker(-1, corr)
