"""The MARL-library worked example (issue 11) at tiny size: examples/bridge_skrl.py (skrl's
IPPO/MAPPO on an exported game, tracked exactly). Needs the optional extra ``marl``."""

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import robustgames as rg
from robustgames.bridge import all_observations

from _util import load_example, strict_loads



def test_core_does_not_import_torch_or_skrl():
    code = ("import sys, robustgames, robustgames.bridge, robustgames.paper_figures.bridge_marl; "
            "bad = [m for m in ('torch', 'skrl') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture(scope="module")
def ex():
    pytest.importorskip("torch")
    pytest.importorskip("skrl")
    pytest.importorskip("pettingzoo")
    return load_example("bridge_skrl")



def _tabulate(game, nets):
    """Each agent's policy table (H, S, A_i) computed here from its torch network directly
    (softmax of the logits on every observation; not through the example's callables)."""
    import torch

    obs = torch.as_tensor(all_observations(game))  # rows (h, s) in C order
    tables = []
    for net, m in zip(nets, game.n_actions):
        with torch.no_grad():
            p = torch.softmax(net(obs).double(), dim=-1).numpy()
        tables.append(p.reshape(game.horizon, game.n_states, m))
    return tables


def test_every_tracked_record_equals_evaluate_of_the_tabulated_policy(ex, monkeypatch):
    """Snapshot the agents' networks whenever the example hands its policies to the tracker,
    re-tabulate each snapshot independently and compare every record with rg.evaluate
    (values) and rg.assess on the policy ARRAY (gaps), to 1e-12."""
    snapshots = []
    original = ex.policy_callables

    def spy(agent):
        snapshots.append([copy.deepcopy(agent.policies[uid].net) for uid in agent.possible_agents])
        return original(agent)

    monkeypatch.setattr(ex, "policy_callables", spy)
    game, U = ex.make_game(), ex.make_uncertainty()
    agent, tracker = ex.train(game, U, steps=192, seed=5, every=64, rollouts=64)
    steps = [r["step"] for r in tracker.records]
    assert steps == [0, 64, 128, 192]
    assert len(snapshots) == len(tracker.records)
    changed = False
    for rec, nets in zip(tracker.records, snapshots):
        tables = _tabulate(game, nets)
        pi = rg.product_policy(tables)
        V = rg.evaluate(game, U, pi)
        for i in range(game.n_players):
            assert rec["values"][i] == pytest.approx(float(game.initial @ V[0, :, i]), abs=1e-12)
        res = rg.assess(game, U, pi)
        for key in ("gap_nash", "gap_ce", "gap_cce"):
            assert rec[key] == pytest.approx(getattr(res, key), abs=1e-12), key
        assert rec["best_response_values"] == pytest.approx(res.best_response_values.tolist(), abs=1e-12)
        changed |= rec["values"][0] != tracker.records[0]["values"][0]
    assert changed, "training never changed the policy: the tracker would be checking nothing"
    # the final snapshot is the agents' final policy
    final = _tabulate(game, [agent.policies[uid].net for uid in agent.possible_agents])
    for a, b in zip(final, _tabulate(game, snapshots[-1])):
        np.testing.assert_array_equal(a, b)


def test_main_tiny_writes_strict_json(ex, tmp_path):
    tiny = ex.TINY
    out = ex.main(tiny["steps"], seed=2, out=tmp_path, every=tiny["every"], rollouts=tiny["rollouts"],
                  episodes=tiny["episodes"], verbose=False)
    game, U = ex.make_game(), ex.make_uncertainty()
    data = strict_loads(Path(out["tracker_path"]).read_text())
    recs = data["records"]
    assert [r["step"] for r in recs] == list(range(0, tiny["steps"] + 1, tiny["every"]))
    # the reference: the exact robust team optimum, recomputed here by rg.team_robust_q
    Qs = rg.team_robust_q(game, U).Q
    opt = float(game.initial @ Qs[0].reshape(game.n_states, -1).max(axis=-1))
    assert data["reference"] == pytest.approx([opt, opt], abs=1e-8)
    for r in recs:
        assert r["is_product"] is True
        assert 0.0 <= r["gap_nash"] and r["values"][0] <= opt + 1e-9
        assert r["values"][0] == pytest.approx(r["values"][1], abs=1e-12)  # identical team rewards
    summary = strict_loads((tmp_path / "summary_seed2.json").read_text())
    assert summary["library"].startswith("skrl ")
    assert summary["assess"]["values"] == pytest.approx(recs[-1]["values"], abs=1e-12)
    assert summary["assess"]["gap_nash"] == pytest.approx(recs[-1]["gap_nash"], abs=1e-12)
    s = summary["stress"]
    assert s["exact_robust_value"] == pytest.approx(recs[-1]["values"][0], abs=1e-12)
    assert abs(s["z"]) < 4.5  # worst-case nature: empirical return = exact robust value (CLT)


def test_figure_from_tracker_files(ex, tmp_path):
    paths = []
    for seed in (0, 1):
        _, tr = ex.train(ex.make_game(), ex.make_uncertainty(), steps=64, seed=seed, every=32, rollouts=32,
                         tracker_path=tmp_path / f"t{seed}.json")
        paths.append(tmp_path / f"t{seed}.json")
    from robustgames.paper_figures.bridge_marl import draw

    written = draw(paths, tmp_path / "fig")
    assert sorted(p.suffix for p in written) == [".pdf", ".png", ".txt"]
    assert all(p.stat().st_size > 0 for p in written)
    # the caption's final mean is the mean of the files' last records
    final = np.mean([strict_loads(p.read_text())["records"][-1]["values"][0] for p in paths])
    caption = (tmp_path / "fig" / "bridge_marl.txt").read_text()
    assert f"Final robust value: mean {final:.4f}" in caption
    with pytest.raises(ValueError, match="tracker_json_paths"):
        draw([], tmp_path / "fig")


def test_training_is_reproducible_from_the_seed(ex):
    game, U = ex.make_game(), ex.make_uncertainty()
    runs = [ex.train(game, U, steps=128, seed=seed, every=64, rollouts=64)[1].records for seed in (7, 7, 8)]
    same = [[r["values"] for r in recs] for recs in runs]
    assert same[0] == same[1]
    assert same[0][-1] != same[2][-1]


@pytest.mark.parametrize("kwargs, name", [
    (dict(algo="dqn"), "algo"),
    (dict(nature="worst"), "nature"),
    (dict(steps=0), "steps"),
    (dict(every=-3), "every"),
    (dict(seed=-1), "seed"),
])
def test_bad_input_names_the_argument(ex, tmp_path, kwargs, name):
    args = dict(steps=8, seed=0, out=tmp_path, episodes=2, verbose=False) | kwargs
    with pytest.raises((ValueError, TypeError), match=name):
        ex.main(**args)
    assert not (tmp_path / "tracker_seed0.json").exists()  # rejected before any training
