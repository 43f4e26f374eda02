"""The ``regret_minimax`` study: the game builder's robust gap and a smoke run end to end."""

import json

import numpy as np
import pytest

import robustgames as rg
from robustgames.experiments import regret
from robustgames.runner import ResultStore


def _pure(game, a1, a2):
    pol = np.zeros(game.policy_shape)
    pol[..., a1, a2] = 1.0
    return pol


@pytest.mark.parametrize("K", [20, 250, 4000])
def test_minimax_game_has_robust_gap_delta(K):
    delta = regret.MINIMAX_C / np.sqrt(K)
    game = regret.make_game({"kind": "minimax", "c": regret.MINIMAX_C, "delta": delta}, None)
    assert game.n_players == 2 and game.n_actions == (2, 2) and game.horizon == 2
    U = rg.TV(0.2)
    v = {a: rg.evaluate(game, U, _pure(game, *a))[0, 0] for a in [(0, 0), (0, 1), (1, 0), (1, 1)]}
    for a in v:  # team game: both players get the same value
        assert v[a][0] == pytest.approx(v[a][1], abs=1e-12)
    # each unilateral switch to action 1 gains exactly delta (robust values, independently evaluated)
    assert abs((v[(1, 1)][0] - v[(0, 1)][0]) - delta) < 1e-9
    assert abs((v[(1, 0)][0] - v[(0, 0)][0]) - delta) < 1e-9
    # robust value p - sigma: the TV adversary moves sigma of mass from GOOD to the fail state
    assert abs(v[(1, 1)][0] - (0.5 + delta - 0.2)) < 1e-9
    # the robust equilibrium is (1, 1); (0, 1) has robust gap delta
    sol = rg.solve(game, U, "cce")
    assert abs(sol.values[0, 0, 0] - v[(1, 1)][0]) < 1e-9
    assert rg.gap(game, U, _pure(game, 1, 1), "cce").value < 1e-9
    assert abs(rg.gap(game, U, _pure(game, 0, 1), "cce").value - delta) < 1e-9


def test_minimax_configs_scale_delta_with_K():
    for profile in ("quick", "smoke"):
        cfgs = regret.configs("regret_minimax", profile)
        assert {c["set"]["kind"] for c in cfgs} == {"TV", "KL"}
        for c in cfgs:
            assert c["game"]["delta"] == pytest.approx(regret.MINIMAX_C / np.sqrt(c["episodes"]))
    assert "regret_minimax" in regret.studies("smoke")


def test_smoke_regret_minimax_writes_records_and_figure(tmp_path, capsys):
    from robustgames.experiments._reproduce import main

    assert main(out=tmp_path, jobs=1, only=["regret_minimax"], progress=False, profile="smoke") == 0
    out = capsys.readouterr().out
    records = list(ResultStore(tmp_path / "data").records("regret_minimax"))
    assert len(records) == len(regret.configs("regret_minimax", "smoke")) * regret.n_seeds("smoke")
    for r in records:
        assert r["values"]["min_gap"] >= -1e-9
        assert r["values"]["bound_violations"] == 0
        assert r["values"]["final_regret"] > 0  # the first episode plays (0, 0): gap delta
    for ext in ("png", "pdf"):
        assert (tmp_path / "figures" / f"regret_minimax.{ext}").stat().st_size > 1000
    summary = json.loads((tmp_path / "figures" / "summary.json").read_text())
    fits = [e for e in summary["slopes"] if e["study"] == "regret_minimax"]
    assert {e["set"]["kind"] for e in fits} == {"TV", "KL"}
    assert all(np.isfinite(e["fit"]["slope"]) for e in fits)
    assert "regret_minimax" in out and summary["checks"]["regret_minimax"]["bound_violations"] == 0
