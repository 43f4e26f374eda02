"""Figures of the ``rqe`` study, drawn only from ``data/rqe_<profile>.json``
(:func:`robustgames.experiments.rqe.export`; docs/theory.md sections 7.5-7.6).

* ``rqe_games``: predicted play (probability of action 0 for each player) of RQE, logit QRE
  and Nash, and the observed play where the source gives it;
* ``rqe_plane``: the risk-rationality plane of the coordination game: the dynamics'
  classification at every ``(tau, epsilon)`` against the tractability curve
  ``eps_1 tau_1 eps_2 tau_2 = 1`` and the number of certified RQE;
* ``rqe_grid``: :func:`robustgames.paper_figures.rqe_grid.draw`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

MARKERS = {"rqe": ("o", "#1f77b4", "RQE"), "qre": ("s", "#2ca02c", "logit QRE"), "nash": ("^", "#d62728", "Nash"),
           "observed": ("x", "k", "observed (paper)")}
DYN = {"unique": ("o", "#2ca02c", "dynamics: one limit from all 4 starts"),
       "several": ("s", "#d62728", "dynamics: start-dependent limits")}
#: not converged after the step-size ladder, inside / outside the tractable region
NOT_CONVERGED = {True: ("X", "#7f7f7f", "dynamics: not converged (inside the region)"),
                 False: ("x", "#ff7f0e", "dynamics: not converged (outside the region)")}


SHORT = {"matching_pennies": "MP", "prisoners_dilemma": "PD", "stag_hunt": "SH", "rock_paper_scissors": "RPS",
         "climbing_game": "CG"}


def _ladder_text(point) -> str:
    """The step-size ladder of the plane's dynamics, in words, from the stored point."""
    mi = point["max_iter"]
    ladder = point.get("ladder")
    if not ladder:
        return f"at most {mi} steps per start"
    rungs = [f"{mi * b} steps at {f:g} times the step" for f, b in ladder]
    return (f"a run that has not converged climbs a step-size ladder, each rung continuing from the previous end: "
            f"{'; then '.join(rungs)} ({mi * sum(b for _, b in ladder)} steps at most per start)")


def _first(row, key):
    if key == "observed":
        return row["observed"]
    s = row[key] if key == "nash" else row[key]["strategies"]
    return [s[0][0], s[1][0]]


def draw(rqe_json, figures_dir) -> list[Path]:
    """Draw the three figures; returns the written paths (PNG, PDF, captions not included)."""
    from robustgames.paper_figures import rqe_grid
    from robustgames.paper_figures._style import figure, legend_below, save, write_caption

    data = json.loads(Path(rqe_json).read_text())
    paths: list[Path] = []

    # ---- games
    rows = data["games"]
    fig, axes = figure(1, 2, width=7.0, height=3.0)
    for ax, player in zip(axes[0], (0, 1)):
        for k, (m, c, lab) in MARKERS.items():
            xs, ys = [], []
            for j, r in enumerate(rows):
                v = _first(r, k)
                if v is not None:
                    xs.append(j)
                    ys.append(v[player])
            ax.plot(xs, ys, m, color=c, label=lab, ms=5 if m != "x" else 6, mfc="none" if m in "os^" else None)
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels([SHORT.get(r["game"], r["game"]) for r in rows], rotation=90, fontsize=6.5)
        n_classic = sum(r["observed"] is None for r in rows)
        if 0 < n_classic < len(rows):
            ax.axvline(n_classic - 0.5, color="0.6", lw=0.6, ls=":")
        ax.set_ylim(-0.03, 1.03)
        ax.set_ylabel(f"P(player {player + 1} plays action 1)")
        ax.set_title(f"player {player + 1}")
    legend_below(axes[0][0], ncol=4, offset=-0.32)
    paths += save(fig, figures_dir, "rqe_games")
    paper = [r for r in rows if r["observed"] is not None]
    err = {k: [max(abs(a - b) for a, b in zip(_first(r, k), r["observed"])) for r in paper]
           for k in ("rqe", "qre", "nash")}
    cert = max(max(r["rqe"]["residual"], r["rqe"]["exploitability"]) for r in rows)
    classic = [r for r in rows if r["observed"] is None]
    text = (f"Predicted probability of each player's first action. Classic games ({len(classic)}: MP matching "
            f"pennies, PD prisoner's dilemma, SH stag hunt, RPS rock-paper-scissors, CG climbing game; robustgames "
            f"catalog payoffs rescaled to [0, 1]): RQE at tau = {classic[0]['tau'][0]:g}, epsilon = "
            f"{classic[0]['epsilon'][0]:g} (entropy), logit QRE = RQE at tau = 0 with the same epsilon "
            f"(lambda = 1/epsilon), Nash = robustgames.nash (Lemke-Howson, maximum-welfare end point). "
            if classic else "")
    if paper:
        text += (f"Paper games ({len(paper)}: Goeree-Holt-Palfrey game 4, Selten-Chmura 1-12): payoffs, observed "
                 f"play and fitted (tau_i, epsilon_i) (log-barrier) from the authors' notebook "
                 f"(kishanpb/Risk-averse-Quantal-Equilibria, executed cells); the QRE's lambda is fitted here to the "
                 f"observed play (least squares on a log grid). Largest |prediction - observed| over the paper games: "
                 f"RQE {max(err['rqe']):.3f}, QRE {max(err['qre']):.3f}, Nash {max(err['nash']):.3f} (mean "
                 f"{np.mean(err['rqe']):.3f} / {np.mean(err['qre']):.3f} / {np.mean(err['nash']):.3f}); the RQE uses "
                 f"the paper's fitted parameters (2 per player), so its agreement is a fit, not a prediction. ")
    text += (f"Certified: every RQE shown has first-order residual and exploitability (regularised game) at most "
             f"{cert:.1e} (below 1e-9 certifies it as an RQE; uniqueness only where the game is tractable).")
    write_caption(figures_dir, "rqe_games", text)

    # ---- plane
    pl = data["plane"]
    pts = pl["points"]
    fig, axes = figure(1, 1, width=4.6, height=3.6)
    ax = axes[0][0]
    for lab, (m, c, text_l) in DYN.items():
        sel = [p for p in pts if p["dynamics"] == lab]
        ax.plot([p["tau"] for p in sel], [p["epsilon"] for p in sel], m, color=c, ms=7, mfc="none", label=text_l)
    for inside_region, (m, c, text_l) in NOT_CONVERGED.items():
        sel = [p for p in pts if p["dynamics"] == "not_converged" and bool(p["tractable"]) is inside_region]
        if sel or not inside_region:
            ax.plot([p["tau"] for p in sel], [p["epsilon"] for p in sel], m, color=c, ms=7, mew=1.6, label=text_l)
    multi = [p for p in pts if p["n_certified_rqe"] > 1]
    ax.plot([p["tau"] for p in multi], [p["epsilon"] for p in multi], ".", color="k", ms=3,
            label="several certified RQE (Newton)")
    t = np.logspace(np.log10(min(pl["taus"])) - 0.2, np.log10(max(pl["taus"])) + 0.2, 50)
    ax.plot(t, 1.0 / t, "k--", lw=1.0, label=r"tractability curve $\epsilon\tau = 1$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(min(pl["epsilons"]) / 1.6, max(pl["epsilons"]) * 1.6)
    ax.set_xlabel(r"risk aversion $\tau$ ($\tau_1 = \tau_2$)")
    ax.set_ylabel(r"bounded rationality $\epsilon$ ($\epsilon_1 = \epsilon_2$)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=6.8, frameon=False)
    paths += save(fig, figures_dir, "rqe_plane")
    inside = [p for p in pts if p["tractable"]]
    outside = [p for p in pts if not p["tractable"]]
    cert = max([p["certificate"] for p in pts] + [0.0])
    write_caption(figures_dir, "rqe_plane", f"""
Risk-rationality plane of the coordination game (payoff eye(2) for both players), tau_1 = tau_2 = tau,
eps_1 = eps_2 = eps (entropy regulariser), {len(pts)} log-spaced points. Above the dashed curve
eps_1 tau_1 eps_2 tau_2 = 1 the game is tractable (rqe_tractable; docs/theory.md section 7.2).
Certified: the number of distinct RQE found by Newton from the four corner starts, each with residual and
exploitability at most {cert:.1e} (dots: more than one; a count is a lower bound on the number of RQE).
Observation (not a certificate): projected simultaneous gradient play on the paired game (the authors'
dynamics; step 0.25 min(1, tau, eps, 1/eps)) from the same four starts, converged when the first-order
residual is at most 1e-8; {_ladder_text(pts[0])}. Inside the region:
{sum(p['dynamics'] == 'unique' for p in inside)} of {len(inside)} points reach one limit from all starts,
{sum(p['dynamics'] == 'not_converged' for p in inside)} do not converge (grey filled crosses),
{sum(p['n_certified_rqe'] > 1 for p in inside)} have several certified RQE. Outside:
{sum(p['dynamics'] == 'several' for p in outside)} of {len(outside)} points show start-dependent limits,
{sum(p['dynamics'] == 'not_converged' for p in outside)} still do not converge after the ladder (orange crosses:
slow or cycling play, not shown to converge), {sum(p['n_certified_rqe'] > 1 for p in outside)} have several
certified RQE; the condition is sufficient, not necessary, so unique limits outside it are expected.
""")

    # ---- grid world
    if data["grid"]["runs"]:
        paths += rqe_grid.draw(figures_dir, data["grid"])
    return paths
