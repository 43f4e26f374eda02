"""The rqe study (experiments/rqe.py) and its figures (paper_figures/rqe.py)."""

import json

import numpy as np
import pytest

from robustgames.experiments import rqe as E


def test_plane_classification_agrees_with_tractability_far_from_curve():
    from robustgames.equilibria._rqe import rqe_tractable

    far_in = E.plane_point(10.0, 1.0, 20_000)  # eps tau = 10
    far_out = E.plane_point(0.05, 0.05, 20_000)  # eps tau = 2.5e-3, coordination: several RQE
    assert far_in["tractable"] is rqe_tractable(10.0, 1.0) is True
    assert far_in["dynamics"] == "unique" and far_in["n_certified_rqe"] == 1
    assert far_out["tractable"] is False and far_out["n_certified_rqe"] > 1


def test_grid_part_tiny():
    g = E.grid_part(0.1, horizon=2)
    assert len(g["path"]) == 3 and g["residual"] <= 1e-9
    for s in g["start_strategies"]:
        assert abs(sum(s) - 1) < 1e-12


def test_paper_games_reproduce_notebook_fit():
    """Independent of our code: the notebook's observed play; RQE with its fitted parameters is within 0.02."""
    rows = [r for r in E.games_part()["rows"] if r["observed"] is not None]
    assert len(rows) == 13
    for r in rows:
        pred = np.array([r["rqe"]["strategies"][0][0], r["rqe"]["strategies"][1][0]])
        assert np.abs(pred - np.array(r["observed"])).max() <= 0.02, r["game"]
        assert max(r["rqe"]["residual"], r["rqe"]["exploitability"]) <= 1e-9


def test_figure_reads_only_stored_data(tmp_path, monkeypatch):
    import robustgames.equilibria._rqe as R
    import robustgames.planning._rqe_markov as M
    from robustgames.paper_figures import rqe as F

    data = {"games": [{"game": "g", "observed": [0.5, 0.5], "tau": [1, 1], "epsilon": [1, 1],
                       "rqe": {"strategies": [[0.5, 0.5], [0.5, 0.5]], "residual": 0.0, "exploitability": 0.0},
                       "qre": {"strategies": [[0.4, 0.6], [0.5, 0.5]]}, "nash": [[1, 0], [0, 1]]}],
            "plane": {"taus": [1, 10], "epsilons": [1, 10], "points": [
                {"tau": t, "epsilon": e, "tractable": t * e > 1, "dynamics": "unique", "n_certified_rqe": 1,
                 "certificate": 0.0, "max_iter": 10} for t in (1, 10) for e in (1, 10)]},
            "grid": {"epsilon": 0.1, "runs": []}}
    path = tmp_path / "rqe.json"
    path.write_text(json.dumps(data))

    def boom(*a, **k):
        raise AssertionError("figure code must not solve anything")

    monkeypatch.setattr(R, "rqe", boom)
    monkeypatch.setattr(M, "solve_rqe", boom)
    out = F.draw(path, tmp_path / "fig")
    assert {p.name for p in out} >= {"rqe_games.png", "rqe_plane.png"}
    assert (tmp_path / "fig" / "rqe_plane.txt").read_text().count("Observation") == 1


def test_bad_part():
    with pytest.raises(ValueError, match="part"):
        E.cell({"part": "nope"}, None)


def test_claim_self_test():
    from robustgames.proofs_checks import rqe_paired_cce as c

    assert c.self_test()


def test_paired_cce_gap_closed_form_matches_numerical_deviations():
    """The exact CCE gap of rqe_paired_cce (closed-form best fixed deviations) equals the
    largest gain found by scipy (L-BFGS over softmax logits, several starts) against the
    stored joint play of a short mirror-descent run."""
    from scipy.optimize import minimize
    from scipy.special import softmax

    from robustgames.proofs_checks import rqe_paired_cce as c

    rng = np.random.default_rng(3)
    U = rng.uniform(-1, 1, size=(3, 2, 2))
    A, B = U[..., 0], U[..., 1]
    tau, eps = np.array([1.3, 0.7]), np.array([0.6, 1.1])
    # record the play by wrapping the running averages
    plays = []
    orig = c._Averages.add

    def add(self, A_, B_, tau_, eps_, x, p1, y, p2, c1, c2):
        plays.append((x.copy(), p1.copy(), y.copy(), p2.copy()))
        return orig(self, A_, B_, tau_, eps_, x, p1, y, p2, c1, c2)

    c._Averages.add = add
    try:
        avg, gaps = c._md(A, B, tau, eps, 30, 0.3, checkpoints=(30,))
    finally:
        c._Averages.add = orig
    kl = lambda p, q: float(np.sum(p * np.log(p / q)))  # noqa: E731
    nu = lambda z: float(np.sum(z * np.log(z)))  # noqa: E731
    # utilities (to maximise) of the four players as functions of (own, profile)
    us = [lambda z, s: z @ A @ s[1] - eps[0] * nu(z),
          lambda z, s: -(s[0] @ A @ z + kl(z, s[2]) / tau[0]),
          lambda z, s: s[3] @ B @ z - eps[1] * nu(z),
          lambda z, s: -(z @ B @ s[2] + kl(z, s[0]) / tau[1])]
    sizes = [3, 2, 2, 3]
    best_gain = 0.0
    for k in range(4):
        realised = np.mean([us[k](s[k], s) for s in plays])
        best = max(-minimize(lambda th: -np.mean([us[k](softmax(th), s) for s in plays]), th0, method="L-BFGS-B",
                             options={"ftol": 1e-15, "gtol": 1e-12}).fun
                   for th0 in [np.zeros(sizes[k])] + [rng.normal(size=sizes[k]) for _ in range(2)])
        best_gain = max(best_gain, best - realised)
    assert best_gain > 1e-3  # a short run is far from a CCE: the comparison is not trivial
    assert gaps[30] == pytest.approx(best_gain, abs=1e-8)


def test_step_ladder_rescues_a_slow_point_inside_the_region():
    """At tau = 100, eps = 10^-1.5 (inside: (eps tau)^2 = 10) the base budget of 40000 steps is
    not enough for the fixed step; the ladder's second rung (same step, continued) converges
    to the unique certified RQE from all four starts."""
    import numpy as np

    from robustgames.equilibria._rqe import rqe

    tau, eps = 100.0, 10 ** -1.5
    x, y, res, rung, _ = E.ladder_run(E.COORDINATION, tau, eps, E.STARTS[0], 40_000)
    assert rung >= 1 and res <= E.CONVERGED
    ref = rqe(E.COORDINATION, tau, eps)
    assert np.abs(np.concatenate([x, y]) - np.concatenate(ref.strategies)).max() <= 1e-6
    p = E.plane_point(tau, eps, 40_000)
    assert p["tractable"] and p["dynamics"] == "unique" and p["ladder_rung"] >= 1
