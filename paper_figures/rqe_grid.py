"""Figure: Markov RQE policies on the RQE paper's grid world for several risk aversions.

Draws, from the data stored by the ``rqe`` study (:func:`robustgames.experiments.rqe.grid_part`:
the Markov RQE of :func:`robustgames.games._rqe_grid.rqe_grid_world` by backward induction,
docs/theory.md section 7.6, the same ``tau`` for the opponents' actions and the next state,
entropy regulariser, ``epsilon`` fixed), per ``tau``, each player's greedy path (the most
probable action at every step, the intended move assumed to succeed, as in the authors'
plots) and its action probabilities at the start. Nothing is computed here: :func:`draw`
writes ``rqe_grid.png/.pdf`` and the caption ``rqe_grid.txt``.
"""

from __future__ import annotations

import numpy as np

COLORS = ("#d62728", "#1f77b4")


def draw(out_dir, data):
    """Draw the figure into ``out_dir`` from stored ``data`` (``{"epsilon", "runs"}``, the
    ``"grid"`` part of ``data/rqe_<profile>.json`` written by
    :func:`robustgames.experiments.rqe.export`); returns the written paths."""
    from matplotlib.patches import FancyArrowPatch, Rectangle

    from robustgames.games._rqe_grid import RQE_GRID_MAP, RQE_GRID_MOVES
    from robustgames.paper_figures._style import figure, save, write_caption

    runs = data["runs"]
    fig, axes = figure(1, len(runs), width=2.2 * len(runs), height=3.6)
    shade = {"#": "#555555", "0": "#f4b6b6", "1": "#b6cdf4", "_": "#f7f7f7"}
    names = [m[0] for m in RQE_GRID_MOVES]
    for ax, run in zip(axes[0], runs):
        ax.grid(False)
        for r, row in enumerate(RQE_GRID_MAP):
            for k, ch in enumerate(row):
                y = 3 - r
                ax.add_patch(Rectangle((k, y), 1, 1, facecolor=shade[ch], edgecolor="k", lw=0.6))
                if ch in "01":
                    ax.text(k + 0.08, y + 0.82, f"goal {ch}", fontsize=6.5)
                elif ch == "#":
                    ax.text(k + 0.08, y + 0.82, "hazard", fontsize=6.5, color="w")
        for i in range(2):
            off = (-0.12, 0.12)[i]
            pts = [(k + 0.5 + off, 3 - r + 0.5 + off) for (r, k) in (tuple(step[i]) for step in run["path"])]
            ax.plot(*pts[0], "o", color=COLORS[i], ms=6)
            for a, b in zip(pts[:-1], pts[1:]):
                if a != b:
                    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=9, color=COLORS[i], lw=1.5))
        ax.set_xlim(0, 3)
        ax.set_ylim(0, 4)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        lines = [f"$\\tau$ = {run['tau']:g}"]
        for i in range(2):
            p = run["start_strategies"][i]
            lines.append(f"P{i}: " + " ".join(f"{n[0].upper()}{q:.2f}" for n, q in zip(names, p)))
        ax.set_title("\n".join(lines), fontsize=6.5)
    paths = save(fig, out_dir, "rqe_grid")
    cert = max(r["residual"] for r in runs), max(r["exploitability"] for r in runs)
    write_caption(out_dir, "rqe_grid", f"""
Markov RQE on the RQE paper's 4x3 grid world (arXiv 2406.14156; map ['1__', '#__', '#__', '0__'],
horizon {runs[0]['horizon']}, moves succeed w.p. 0.9, 0.5 when the players are adjacent; +1 on the own goal, -2 on a
hazard, 0.1 otherwise), solved by backward induction with Q_h = r + CE_tau(V_{{h+1}}) and a stage RQE at
every state (entropy regulariser, epsilon = {data['epsilon']:g}, passed value = regularised stage utility;
docs/theory.md section 7). Player 0 (red) starts on player 1's goal, player 1 (blue) on player 0's goal
(the start is our choice: the authors' code does not show it). Arrows: greedy path (most probable action
at each step, intended move assumed to succeed). Titles: each player's action probabilities at the start
(R/U/L/D = right/up/left/down). For tau >= 1 the greedy paths stop in the right-hand column (the
most probable action there pushes into the wall, i.e. stays): the entropic risk of 15-step returns then
weighs the rare noisy steps towards a hazard or the other player heavily. Certificates over all {runs[0]['horizon']} x 144 stages and all tau: max first-order residual
{cert[0]:.1e}, max stage exploitability {cert[1]:.1e} (certified when below 1e-9; the paths are the
solver's output, not an estimate). Uniqueness of the stage RQE is
certified only when eps^2 tau^2 > 1: {', '.join(f"tau={r['tau']:g}: {r['unique_certain']}" for r in runs)}.
""")
    return paths
