"""The DrIGM study of ``robustgames reproduce`` (experiments/drigm.py, paper_figures/drigm.py).

Independent references: brute force over every deterministic joint policy of a one-state
game (the exact robust optimum), and a plain value iteration of the contamination
operators written here (docs/theory.md section 6.2) for the absorbing counterexample.
"""

from __future__ import annotations

import itertools
import json
import time

import numpy as np
import pytest

from robustgames.experiments import drigm
from robustgames.factorization import robust_policy_value
from robustgames.uncertainty import Contamination, TV

MIXERS = ["joint", "vdn", "monotone"]


@pytest.fixture(scope="module")
def penalty_rows():
    out = []
    for rho in (0.1, 0.3):
        cfg = dict(experiment="drigm", part="table", game="penalty", rho=rho, mixers=MIXERS, tol=1e-8)
        out += drigm.drigm_cell(cfg, np.random.SeedSequence(0))["rows"]
    return out


def test_fractions_in_unit_interval(penalty_rows):
    rows = [r for r in penalty_rows if r["value"] is not None]
    assert {r["mixer"] for r in rows} == set(MIXERS)
    for r in rows:
        assert -1e-9 <= r["ratio"] <= 1 + 1e-9, r
        assert r["optimum"] > 0 and abs(r["loss_frac"] - (1 - r["ratio"])) < 1e-12
    # the group targets need a group of models: no value on this game
    assert all(r["value"] is None for r in penalty_rows if r["target"].startswith("group"))


def test_exact_targets_with_joint_mixer_reach_the_brute_force_optimum(penalty_rows):
    """The exact targets' greedy policy is robust-optimal: its value equals the best of all
    9 deterministic joint actions of the one-state penalty game, evaluated exactly."""
    game, _ = drigm.games(["penalty"])["penalty"]
    for r in penalty_rows:
        if r["target"] not in ("contamination_exact", "tv_exact"):
            continue
        U = Contamination(r["rho"]) if r["target"].startswith("contamination") else TV(r["rho"])
        brute = max(float(game.initial @ robust_policy_value(game, U, np.array([a]))) for a in range(9))
        assert abs(r["optimum"] - brute) < 1e-8
        if r["mixer"] == "joint":
            assert abs(r["ratio"] - 1.0) < 1e-9


def test_dropped_targets_keep_the_greedy_policy_on_a_continuing_game(penalty_rows):
    """docs/theory.md section 6.2: without absorbing states the dropped-term fixed point is
    the exact one shifted by a constant, so the greedy policies coincide."""
    n = 0
    for d in penalty_rows:
        pair = {"contamination": "contamination_exact", "tv_dual": "tv_exact"}.get(d["target"])
        if pair is None:
            continue
        e = next(x for x in penalty_rows if x["target"] == pair and x["rho"] == d["rho"] and x["mixer"] == d["mixer"])
        assert d["actions"] == e["actions"] and abs(d["value"] - e["value"]) < 1e-12
        n += 1
    assert n == 2 * 2 * len(MIXERS)


def _contamination_vi(P, r, gamma, rho, term, drop, actions=None, iters=3000):
    """Plain value iteration of ``r + gamma [(1 - rho) P.V + rho min V]`` (``drop``: without
    ``rho min V``), terminal pinned at 0; a fixed policy ``actions`` (flat) or the optimum."""
    S = P.shape[0]
    Pf, rf = P.reshape(S, -1, S), r.reshape(S, -1)
    V = np.zeros(S)
    for _ in range(iters):
        Q = rf + gamma * ((1 - rho) * Pf @ V + (0.0 if drop else rho * V.min()))
        V = Q.max(axis=1) if actions is None else Q[np.arange(S), actions]
        V[term] = 0.0
    return V, Q.argmax(axis=1)


def test_counterexample_has_differing_greedy_policies_and_loses_value():
    ce = drigm.find_dropped_term_counterexample(np.random.default_rng(0), 0.3, 200, rhos=[0.3])
    assert ce is not None
    P, r = np.array(ce["transitions"]), np.array(ce["rewards"])
    assert (r < 0).any() and (r > 0).any()  # signed rewards
    term, rho, gamma = ce["terminal"][0], ce["rho"], ce["gamma"]
    np.testing.assert_allclose(P[term].reshape(-1, P.shape[0])[:, term], 1.0)  # absorbing
    _, g_drop = _contamination_vi(P, r, gamma, rho, term, drop=True)
    V_opt, g_exact = _contamination_vi(P, r, gamma, rho, term, drop=False)
    assert not np.array_equal(g_drop[:term], g_exact[:term])
    assert g_drop[:term].tolist() == ce["at_rho"]["greedy_drop"]
    assert g_exact[:term].tolist() == ce["at_rho"]["greedy_exact"]
    V_drop_pol, _ = _contamination_vi(P, r, gamma, rho, term, drop=False, actions=g_drop)
    mu = np.array(ce["initial"])
    assert mu @ V_drop_pol < mu @ V_opt - 1e-9
    np.testing.assert_allclose(V_drop_pol, ce["at_rho"]["V_drop_policy"], atol=1e-8)
    np.testing.assert_allclose(V_opt, ce["at_rho"]["V_optimal"], atol=1e-8)


def test_cell_configs_and_bad_profile():
    cfgs = drigm.cell_configs("quick")
    quick = drigm.PROFILES["quick"]
    tables = [c for c in cfgs if c["part"] == "table"]
    assert {(c["game"], c["rho"]) for c in tables} == set(itertools.product(quick["games"], quick["rhos"]))
    assert all(c["mixers"] == ["joint"] for c in tables if c["game"] == "building" and c["rho"] != quick["table_rho"])
    at_b = {m for c in tables if c["game"] == "building" and c["rho"] == quick["table_rho"] for m in c["mixers"]}
    assert at_b == set(drigm.MIXERS)  # the building row of the README table: every mixer
    at = {m for c in tables if c["game"] == "climbing" and c["rho"] == quick["table_rho"] for m in c["mixers"]}
    assert at == set(drigm.MIXERS)
    with pytest.raises(ValueError, match="profile"):
        drigm.cell_configs("nosuch")
    with pytest.raises(ValueError, match="names"):
        drigm.games(["nosuch"])


def test_smoke_reproduce_only_drigm(tmp_path, capsys):
    from robustgames.experiments._reproduce import experiment_names, main

    assert "drigm" in experiment_names()
    t0 = time.perf_counter()
    assert main(out=tmp_path, jobs=1, only=["drigm"], progress=False, profile="smoke") == 0
    assert time.perf_counter() - t0 < 30
    fig = tmp_path / "figures"
    for name in ("drigm.png", "drigm.pdf", "drigm.txt", "drigm_table.md"):
        assert (fig / name).stat().st_size > 0, name
    summary = json.loads((fig / "summary.json").read_text())["drigm"]
    assert summary["exact"] is True and summary["table_rho"] == 0.1
    assert {r["game"] for r in summary["table"]} == {"climbing", "penalty"}
    assert summary["counterexample"]["differ"] is True
    assert "no sampling" in (fig / "drigm.txt").read_text()
    for name in ("drigm_learners.png", "drigm_learners.txt"):
        assert (fig / name).stat().st_size > 0, name
    (learn,) = summary["learners"]
    assert learn["seeds"] == 2 and learn["steps"] == 2000 and 0 < learn["value_ratio"] <= 1 + 1e-9
    # a rerun computes nothing (every cell is stored) and redraws
    assert main(out=tmp_path, jobs=1, only=["drigm"], progress=False, profile="smoke") == 0
    assert "0 computed" in capsys.readouterr().out


def test_learner_cell_approaches_the_fixed_point_computed_here():
    """The joint learner with the exact contamination target on the small signed game: its
    sup-norm distance to an exact fixed point computed HERE by plain value iteration of
    r + gamma [(1 - rho) P.V + rho min V] (docs/theory.md 6.2) shrinks, and the learned
    greedy policy is the fixed point's."""
    cfg = dict(experiment="drigm", part="learners", game="signed", target="contamination_exact", mixer="joint",
               rho=0.3, steps=6000, seeds=2, checkpoints=3)
    out = drigm.drigm_cell(cfg, np.random.SeedSequence(1))["learners"]
    game = drigm.learner_game("signed")
    P, r = game.transitions.reshape(3, 4, 3), game.rewards[..., 0].reshape(3, 4)
    Q = np.zeros((3, 4))
    for _ in range(2000):
        V = Q.max(axis=1)
        Q = r + game.gamma * (0.7 * (P @ V) + 0.3 * V.min())
    err = np.array(out["q_error"])
    assert out["steps"] == [2000, 4000, 6000] and err.shape == (2, 3)
    assert np.all(err[:, -1] < err[:, 0]) and np.all(err[:, -1] < 0.05)
    assert abs(out["fp_value"] - game.initial @ Q.max(axis=1)) < 1e-8
    assert out["greedy_agree"] == [1.0, 1.0] and out["igm_given"] == [1.0, 1.0]
    assert drigm.cost(cfg) > 0
