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


def draw(deep_json, figures_dir) -> list[Path]:
    """Draw ``deep_factorised`` and ``deep_mappo``; returns the written paths."""
    from robustgames.paper_figures._style import COLORS, band, figure, legend_below, save, write_caption

    data = json.loads(Path(deep_json).read_text())
    paths: list[Path] = []
    fac = [r for r in data["runs"] if r["part"] == "factorised"]
    games = [g for g in ("climbing", "penalty", "intersection", "building", "absorbing") if any(r["game"] == g for r in fac)]
    if games:
        fig, axes = figure(2, len(games), width=2.0 * len(games) + 0.8, height=4.6, sharex=False)
        for row, mixer in enumerate(("vdn", "qmix")):
            for col, g in enumerate(games):
                ax = axes[row, col]
                for t, ci in TARGET_COLORS.items():
                    rs = [r for r in fac if r["game"] == g and r["target"] == t and r["mixer"] == mixer]
                    if not rs:
                        continue
                    x = np.array(rs[0]["steps"])
                    m, lo, hi = _bands([r["ratios"] for r in rs])
                    ax.plot(x, m, color=COLORS[ci], lw=1.1, label=t)
                    band(ax, x, lo, hi, COLORS[ci])
                    fp = rs[0]["fixed_point_ratio"]
                    if fp is not None:
                        ax.plot([x[-1] * 1.04], [fp], marker="<", color=COLORS[ci], ms=4, clip_on=False)
                ax.axhline(1.0, color="k", lw=0.6, ls=":")
                rho = next((r["rho"] for r in fac if r["game"] == g), None)
                ax.set_title(f"{g} ({'VDN' if mixer == 'vdn' else 'QMIX'}, rho={rho:g})", fontsize=7.5)
                if col == 0:
                    ax.set_ylabel("exact robust value / optimum")
                if row == 1:
                    ax.set_xlabel("environment steps")
        legend_below(axes[1, len(games) // 2], ncol=len(TARGET_COLORS), offset=-0.32)
        fig.tight_layout()
        paths += save(fig, figures_dir, "deep_factorised")
        write_caption(figures_dir, "deep_factorised", """
Robust VDN (top) and QMIX (bottom) agents in PyTorch trained on nominal samples with each
target (robustgames.deep._losses), per game. Curve: the EXACT robust value of the greedy
decentralised policy (each agent's argmax) under the target's true set (contamination or
TV of radius rho; GroupDR: the building's climate set; nonrobust: contamination), divided
by the exact robust optimum; band: mean +- Student-t 95% half-width over seeds (estimate).
Triangles at the right edge: the same fraction for the exact tabular fixed point of the
target with the VDN (least-squares) or monotone mixer (exact, no sampling; none for the
monotone mixer on games with more than 20 states). 'absorbing' is the signed-reward
instance of the DrIGM study where dropping rho min V changes the greedy policy.
""")
    mp = [r for r in data["runs"] if r["part"] == "mappo"]
    mgames = [g for g in ("grid", "penalty") if any(r["game"] == g for r in mp)]
    if mgames:
        fig, axes = figure(len(mgames), 3, width=7.2, height=2.3 * len(mgames))
        for row, g in enumerate(mgames):
            for v, ci in VARIANT_COLORS.items():
                rs = [r for r in mp if r["game"] == g and r["variant"] == v]
                if not rs:
                    continue
                x = np.array(rs[0]["history"]["episodes"])
                lab = f"{v} (tau={rs[0]['tau']:g}, eps={rs[0]['epsilon']:g})"
                for col, key in enumerate(("distance_rqe_mean", "distance_qre_mean", "exploitability_mean")):
                    m, lo, hi = _bands([r["history"][key] for r in rs])
                    axes[row, col].plot(x, m, color=COLORS[ci], lw=1.1, label=lab)
                    band(axes[row, col], x, lo, hi, COLORS[ci], floor=0.0)
            for col, t in enumerate(("TV to exact RQE (same tau, eps)", "TV to exact logit QRE (tau=0, same eps)",
                                     "regularised exploitability")):
                axes[row, col].set_title(f"{g}: {t}", fontsize=7.2)
                axes[row, col].set_xlabel("episodes")
        legend_below(axes[-1, 1], ncol=3, offset=-0.35)
        fig.tight_layout()
        paths += save(fig, figures_dir, "deep_mappo")
        write_caption(figures_dir, "deep_mappo", """
Risk-averse MAPPO (C51 critic, entropic risk of the critic in GAE, fixed entropy
coefficient eps) in three ablations, against the exact Markov RQE (robustgames.solve_rqe at
the same tau, eps) and the exact logit QRE (tau = 0, same eps). Distances: total variation
between the learned and exact strategies, averaged over the learned policy's own
step-state occupancy (max over players); exploitability: the occupancy-averaged one-stage
regularised deviation gain in the RQE game (0 exactly at an RQE; computed with the stage
certificate kernel). Bands: mean +- Student-t 95% half-width over seeds (estimates; the
exact references are certified to 1e-9).
""")
    return paths
