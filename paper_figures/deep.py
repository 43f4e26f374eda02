"""Figures of the deep study (experiments/deep.py): learning curves of the robust
VDN/QMIX agents as the EXACT robust value of their greedy decentralised policy over the
exact robust optimum, and risk-averse MAPPO's distance to the exact RQE / QRE and its
regularised exploitability. Bands: mean +- Student-t 95% half-width over seeds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["draw"]

TARGET_COLORS = {"contamination_exact": 0, "contamination": 1, "g_network": 2, "tv_exact": 3, "nonrobust": 7,
                 "groupdr": 5}
#: line styles so that curves of targets with identical values stay distinguishable
TARGET_STYLES = {"contamination_exact": "-", "contamination": (0, (5, 2)), "g_network": "-.",
                 "tv_exact": (0, (1, 1.5)), "nonrobust": (0, (8, 3, 1, 3)), "groupdr": "-"}
VARIANT_COLORS = {"both": 0, "risk": 1, "rationality": 2}


def _bands(curves):
    from scipy.stats import t as student_t

    Y = np.array([[np.nan if v is None else v for v in c] for c in curves], dtype=float)
    m = np.nanmean(Y, axis=0)
    n = Y.shape[0]
    if n < 2:
        return m, m, m
    half = student_t.ppf(0.975, n - 1) * np.nanstd(Y, axis=0, ddof=1) / np.sqrt(n)
    return m, m - half, m + half


def _scores(run):
    """The run's per-step normalised scores (recomputed from the exact values and the
    optimum, so records written before the score existed draw the same)."""
    from robustgames.experiments.deep import normalised_score

    return normalised_score(list(run["values"]), run["optimum"])


def _fixed_point_score(run):
    from robustgames.experiments.deep import _fixed_point_score

    return _fixed_point_score(run)


#: lower edge of the score axes; curves and fixed points below it are clipped and the
#: off-scale fixed points are marked at the edge with their value
SCORE_FLOOR = -1.0


def _factorised_panel(ax, fac, game, mixer, COLORS, band):
    off = []
    lo_seen = 1.0
    for t, ci in TARGET_COLORS.items():
        rs = [r for r in fac if r["game"] == game and r["target"] == t and r["mixer"] == mixer]
        if not rs:
            continue
        x = np.array(rs[0]["steps"])
        m, lo, hi = _bands([_scores(r) for r in rs])
        hi = np.minimum(hi, 1.0)  # every seed's score is <= 1, so is their mean
        lo_seen = min(lo_seen, float(np.nanmin(m[len(m) // 4:])))  # zoom on the last 3/4 of training
        ax.plot(x, m, color=COLORS[ci], lw=1.4, ls=TARGET_STYLES[t], label=t, zorder=3)
        band(ax, x, np.maximum(lo, SCORE_FLOOR), np.maximum(hi, SCORE_FLOOR), COLORS[ci], alpha=0.1,
             edges=False)
        fp = _fixed_point_score(rs[0])
        if fp is not None:
            if fp >= SCORE_FLOOR:
                lo_seen = min(lo_seen, fp)
                ax.plot([x[-1] * 1.05], [fp], marker="<", color=COLORS[ci], ms=6, clip_on=False, zorder=4,
                        markeredgecolor="white", markeredgewidth=0.5)
            else:
                off.append((fp, COLORS[ci]))
    ax.axhline(1.0, color="k", lw=0.7, ls=":")
    ymin = max(SCORE_FLOOR, lo_seen - 0.08)
    ymin = float(np.floor(ymin * 20) / 20)
    ax.set_ylim(ymin, 1.03)
    for k, (fp, col) in enumerate(sorted(off, reverse=True)):  # off-scale fixed points, stacked upwards
        ax.plot([1.05], [0.04 + 0.17 * k], transform=ax.transAxes, marker="v", color=col, ms=5, clip_on=False)
        ax.annotate(f"{fp:.1f}", xy=(1.05, 0.04 + 0.17 * k), xycoords="axes fraction", xytext=(5, 0),
                    textcoords="offset points", color=col, fontsize=7, ha="left", va="center",
                    annotation_clip=False)
    ax.set_xlim(0, None)


def draw(deep_json, figures_dir) -> list[Path]:
    """Draw ``deep_factorised`` and ``deep_mappo``; returns the written paths."""
    from robustgames.experiments.deep import GAME_ORDER
    from robustgames.paper_figures._style import COLORS, band, figure, save, write_caption

    data = json.loads(Path(deep_json).read_text())
    paths: list[Path] = []
    fac = [r for r in data["runs"] if r["part"] == "factorised"]
    games = [g for g in GAME_ORDER if any(r["game"] == g for r in fac)]
    if games:
        fig, axes = figure(len(games), 2, width=7.0, height=1.75 * len(games) + 0.7, sharex=True,
                           layout="constrained")
        for row, g in enumerate(games):
            rho = next((r["rho"] for r in fac if r["game"] == g), None)
            for col, mixer in enumerate(("vdn", "qmix")):
                ax = axes[row, col]
                _factorised_panel(ax, fac, g, mixer, COLORS, band)
                ax.set_title(f"{g}: {'VDN' if mixer == 'vdn' else 'QMIX'} ($\\rho$ = {rho:g})")
                if col == 0:
                    ax.set_ylabel("score")
            axes[-1, 0].set_xlabel("environment steps")
            axes[-1, 1].set_xlabel("environment steps")
        handles, labels = {}, []
        for ax in axes.ravel():
            for h, lab in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(lab, h)
        fig.legend(list(handles.values()), list(handles), loc="outside upper center", ncol=len(handles),
                   frameon=False, fontsize=7.5)
        paths += save(fig, figures_dir, "deep_factorised")
        write_caption(figures_dir, "deep_factorised", """
Robust VDN (left) and QMIX (right) agents in PyTorch trained on nominal samples with each
target (robustgames.deep._losses), one game per row. Curve: the normalised score
1 - (V* - V)/|V*| of the EXACT robust value V of the greedy decentralised policy (each
agent's argmax) under the target's true set (contamination or TV of radius rho; GroupDR:
the building's climate set; nonrobust: contamination) against the exact robust optimum V*
(= V/V* when V* > 0; at most 1, and 1 exactly at the optimum, for either sign of V*: the
absorbing game's V* is negative). Dotted line: the optimum (score 1). Band: mean +-
Student-t 95% half-width over seeds (an estimate; 3 seeds, so wide), clipped at 1 above.
Triangles at the right edge: the score of the exact tabular fixed point of the target with
the VDN (least-squares) or monotone mixer (exact, no sampling). Line styles differ per target because several targets
give identical curves (e.g. every target's VDN on climbing). Each score axis zooms on the
last three quarters of training (earlier, near-random policies may leave it below) and is
cut at -1: fixed points below -1 are marked by downward triangles at the right edge with
their score printed.
'absorbing' is the signed-reward instance of the DrIGM study where dropping rho min V
changes the greedy policy; 'chute' is the DrIGM study's finite-horizon chute-mapping game.
""")
    mp = [r for r in data["runs"] if r["part"] == "mappo"]
    mgames = [g for g in ("grid", "penalty") if any(r["game"] == g for r in mp)]
    if mgames:
        fig, axes = figure(len(mgames), 3, width=7.0, height=2.2 * len(mgames) + 0.5, sharex=True,
                           layout="constrained")
        keys = (("distance_rqe_mean", "TV to exact RQE", (0.0, 1.0)),
                ("distance_qre_mean", "TV to exact logit QRE", (0.0, 1.0)),
                ("exploitability_mean", "regularised exploitability", (0.0, None)))
        for row, g in enumerate(mgames):
            for v, ci in VARIANT_COLORS.items():
                rs = [r for r in mp if r["game"] == g and r["variant"] == v]
                if not rs:
                    continue
                x = np.array(rs[0]["history"]["episodes"])
                lab = f"{v} ($\\tau$={rs[0]['tau']:g}, $\\epsilon$={rs[0]['epsilon']:g})"
                for col, (key, _, (lo_b, hi_b)) in enumerate(keys):
                    m, lo, hi = _bands([r["history"][key] for r in rs])
                    if hi_b is not None:  # a total variation distance is at most 1
                        lo, hi = np.minimum(lo, hi_b), np.minimum(hi, hi_b)
                    axes[row, col].plot(x, m, color=COLORS[ci], lw=1.3, label=lab, zorder=3)
                    band(axes[row, col], x, lo, hi, COLORS[ci], floor=lo_b, alpha=0.14, edges=False)
            for col, (_, t, (lo_b, hi_b)) in enumerate(keys):
                ax = axes[row, col]
                if row == 0:
                    ax.set_title(t)
                if col == 0:
                    ax.set_ylabel(f"{'grid world' if g == 'grid' else 'penalty (one shot)'}")
                if hi_b is not None:
                    ax.set_ylim(-0.02, 1.02)
                else:
                    ax.set_ylim(bottom=0.0)
                if row == len(mgames) - 1:
                    ax.set_xlabel("episodes")
        handles = {}
        for ax in axes.ravel():
            for h, lab in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(lab, h)
        fig.legend(list(handles.values()), list(handles), loc="outside upper center", ncol=3, frameon=False,
                   fontsize=7.5)
        paths += save(fig, figures_dir, "deep_mappo")
        write_caption(figures_dir, "deep_mappo", """
Risk-averse MAPPO (C51 critic, entropic risk of the critic in GAE, fixed entropy
coefficient eps) in three ablations, against the exact Markov RQE (robustgames.solve_rqe at
the same tau, eps) and the exact logit QRE (tau = 0, same eps). Distances: total variation
between the learned and exact strategies, averaged over the learned policy's own
step-state occupancy (max over players); exploitability: the occupancy-averaged one-stage
regularised deviation gain in the RQE game (0 exactly at an RQE; computed with the stage
certificate kernel). Bands: mean +- Student-t 95% half-width over seeds (estimates; 3
seeds, so wide; clipped to the quantity's range [0, 1] or [0, inf)); the exact references'
exploitability is recorded per cell (rqe_exploitability).
""")
    return paths
