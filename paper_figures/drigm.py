"""Figure, caption and README table of the DrIGM study (``robustgames reproduce --only drigm``).

Reads ONLY the JSON exported by ``robustgames reproduce`` (the record of
:func:`robustgames.experiments.drigm.collect`). Writes ``drigm.png/.pdf`` (robust-value loss
of every published target against the radius, per game and mixer, and the absorbing
signed-reward counterexample of the dropped ``rho min V`` term), its caption
``drigm.txt`` and ``drigm_table.md`` (value / optimum at the table radius), and
``drigm_learners.png/.pdf`` with ``drigm_learners.txt`` (sample-based learners against the
exact fixed points; the only sampled part).
Everything drawn is exact (docs/theory.md sections 6.2 and 6.3): fixed points of exact
tabular operators and exact robust policy evaluation, no sampling.
"""

from __future__ import annotations

import json
import pathlib
import textwrap

import numpy as np

TARGET_STYLE = {  # label, marker, linestyle
    "contamination_exact": ("contamination, exact", "o", "-"),
    "contamination": ("contamination, code (drops $\\rho\\min V$)", "s", "--"),
    "tv_exact": ("TV, exact", "^", "-"),
    "tv_dual": ("TV dual, drops $\\rho\\min V$", "v", "--"),
    "g_network": ("TV G-network (code)", "D", ":"),
    "rfqi": ("RFQI dual, $\\eta\\geq 0$ clamp", "P", "-."),
    "groupdr": ("GroupDR (reward-only min)", "X", ":"),
    "group_exact": ("group set, exact", "*", "-"),
}
MIXER_STYLE = {"vdn": ("VDN (least squares)", "s"), "vdn_linf": ("VDN ($L_\\infty$)", "D"),
               "monotone": ("monotone mixer", "^"), "linear_monotone": ("linear monotone (= VDN)", "x")}


def _load(path):
    return json.loads(pathlib.Path(path).read_text())


def _series(rows, game, target, mixer):
    sel = sorted((r for r in rows if r["game"] == game and r["target"] == target and r["mixer"] == mixer
                  and r["loss_frac"] is not None), key=lambda r: r["rho"])
    return np.array([r["rho"] for r in sel]), np.array([max(r["loss_frac"], 0.0) for r in sel])


def table(results_path) -> str:
    """The Markdown table (value / optimum at the table radius)."""
    return _load(results_path)["table_md"]


def draw(results_path, figures_dir) -> list[pathlib.Path]:
    """Draw ``drigm.png/.pdf``, write ``drigm.txt`` and ``drigm_table.md``; return the paths."""
    from robustgames.paper_figures._style import COLORS, figure, save, write_caption

    data = _load(results_path)
    rows = data["rows"]
    order = ("climbing", "penalty", "intersection", "chute", "building")
    present = list(dict.fromkeys(r["game"] for r in rows))
    games = [g for g in order if g in present] + [g for g in present if g not in order]
    targets = [t for t in TARGET_STYLE if any(r["target"] == t and r["loss_frac"] is not None for r in rows)]
    ncol = len(games) + 2  # the games, a spacer, the counterexample
    fig, axes = figure(2, ncol, width=1.75 * (len(games) + 1.6), height=4.6,
                       gridspec_kw=dict(width_ratios=[1] * len(games) + [0.22, 1.25], wspace=0.3, hspace=0.35))
    for ax in axes[:, -2]:
        ax.set_axis_off()
    tcolor = {t: COLORS[i % len(COLORS)] for i, t in enumerate(TARGET_STYLE)}
    mcolor = {"vdn": COLORS[0], "vdn_linf": COLORS[3], "monotone": COLORS[2], "linear_monotone": COLORS[7]}
    rhos = sorted({r["rho"] for r in rows})
    span = (max(rhos) - min(rhos)) if len(rhos) > 1 else 0.1
    dodge = 0.012 * span
    ymax = 0.0
    for j, game in enumerate(games):
        ax = axes[0, j]
        gt = [t for t in targets if any(r["game"] == game and r["target"] == t and r["loss_frac"] is not None
                                        for r in rows)]
        for k, t in enumerate(gt):
            x, y = _series(rows, game, t, "joint")
            if len(x):
                label, marker, ls = TARGET_STYLE[t]
                ax.plot(x + (k - (len(gt) - 1) / 2) * dodge, y, ls=ls, marker=marker, ms=3.5, color=tcolor[t],
                        label=label, lw=1.1)
                ymax = max(ymax, y.max())
        ax.set_title(game)
        joint = [r["loss_frac"] for r in rows if r["game"] == game and r["mixer"] == "joint"
                 and r["loss_frac"] is not None]
        if joint and max(joint) < 1e-9:
            ax.text(0.5, 0.55, "every target:\nloss 0", ha="center", va="center", transform=ax.transAxes,
                    fontsize=7, color="0.35")
        if j == 0:
            ax.set_ylabel("joint mixer\nloss $1 - V^{\\pi}/V^{*}$")
        ax2 = axes[1, j]
        for k, m in enumerate(("vdn", "vdn_linf", "monotone")):
            for t, ls, fill, ms in (("tv_exact", "-", True, 5.5), ("contamination_exact", "--", False, 3.2)):
                x, y = _series(rows, game, t, m)
                if len(x):
                    ax2.plot(x + (k - 1) * dodge, y, ls=ls if len(x) > 1 else "none", marker=MIXER_STYLE[m][1],
                             ms=ms, color=mcolor[m], mfc=mcolor[m] if fill else "white", lw=1.1,
                             label=f"{MIXER_STYLE[m][0]}, {'TV' if t == 'tv_exact' else 'contamination'} exact")
                    ymax = max(ymax, y.max())
        if not any(r["game"] == game and r["mixer"] != "joint" for r in rows):
            ax2.text(0.5, 0.5, "projected mixers\nnot computed\nin this profile", ha="center", va="center",
                     transform=ax2.transAxes, fontsize=7, color="0.4")
        ax2.set_xlabel("radius $\\rho$")
        if j == 0:
            ax2.set_ylabel("factored mixers\nloss $1 - V^{\\pi}/V^{*}$")
    top = max(0.05, 1.12 * ymax)
    for ax in axes[:, :-2].ravel():
        ax.set_ylim(-0.03 * top, top)
        ax.set_xlim(min(rhos) - 3 * dodge - 0.01, max(rhos) + 3 * dodge + 0.01)
    for ax in axes[:, 1:-2].ravel():
        ax.tick_params(labelleft=False)
    # legends below each row, outside the data
    h0 = {}
    for ax in axes[0, :-2]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            h0.setdefault(lab, h)
    fig.legend(h0.values(), h0.keys(), loc="lower left", bbox_to_anchor=(0.06, 0.99), ncol=4, fontsize=6.8,
               frameon=False, title="joint mixer (top row): target", title_fontsize=7)
    h1 = {}
    for ax in axes[1, :-2]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            h1.setdefault(lab, h)
    fig.legend(h1.values(), h1.keys(), loc="upper left", bbox_to_anchor=(0.06, 0.02), ncol=3, fontsize=6.8,
               frameon=False, title="factored mixers (bottom row): mixer, target", title_fontsize=7)

    # the absorbing signed-reward counterexample
    ce = data.get("counterexample")
    axc, axt = axes[0, -1], axes[1, -1]
    if ce is None:
        axc.set_axis_off()
        axt.set_axis_off()
        axc.text(0.5, 0.5, "no instance found", ha="center", va="center", transform=axc.transAxes)
        ce_text = "The seeded search found no absorbing instance with different greedy policies."
    else:
        a = ce["at_rho"]
        S = len(a["V_optimal"])
        x = np.arange(S)
        axc.bar(x - 0.2, a["V_optimal"], 0.4, color=COLORS[2], label="exact target's policy (optimal)")
        axc.bar(x + 0.2, a["V_drop_policy"], 0.4, color=COLORS[1], label="dropped target's policy")
        axc.axhline(0, color="0.3", lw=0.6)
        axc.set_xticks(x, [f"s{i}" for i in range(S - 1)] + [f"s{S - 1}\n(term.)"])
        axc.set_title(f"dropped $\\rho\\min V$: absorbing\nstate, signed rewards, $\\rho$={a['rho']:g}", fontsize=8.5)
        axc.set_ylabel("exact robust value")
        axt.set_axis_off()
        axt.legend(*axc.get_legend_handles_labels(), loc="upper left", bbox_to_anchor=(-0.05, 1.12),
                   fontsize=6.5, frameon=False)
        flat = lambda acts: "; ".join(f"({k // 2},{k % 2})" for k in acts)  # noqa: E731
        lines = [f"3 states, 2x2 actions, $\\gamma$={ce['gamma']:g}",
                 f"found after {ce['tries']} seeded tries",
                 "greedy joint actions $(a_1, a_2)$ in s0; s1:",
                 f"  exact target: {flat(a['greedy_exact'])}",
                 f"  dropped target: {flat(a['greedy_drop'])}",
                 "value at the start distribution:", f"  optimum {a['optimum']:.3f}",
                 f"  dropped policy {a['value']:.3f}",
                 f"  loss {100 * a['loss_frac']:.1f}% of |optimum|"]
        diff = [s["rho"] for s in ce["sweep"] if s["differ"]]
        lines.append("policies differ at $\\rho$ in " + ("{" + ", ".join(f"{r:g}" for r in diff) + "}"
                                                           if diff else "none") + " of the grid")
        axt.text(0.0, 0.8, "\n".join(lines), transform=axt.transAxes, ha="left", va="top", fontsize=6.8,
                 family="serif")
        ce_text = (f"Right column: a small random game (3 states, 2x2 joint actions, gamma {ce['gamma']:g}, rewards "
                   f"N(-0.5, 1) of both signs, last state absorbing with reward 0 and pinned at value 0 as by the code's "
                   f"(1 - done) mask), found at seeded try {ce['tries']}: the first in which the greedy joint "
                   f"actions of the dropped contamination target and of the exact one differ at rho "
                   f"{a['rho']:g} (with a loss); bars: exact robust values (contamination set) of the two greedy policies per "
                   f"state; the dropped target's policy loses {100 * a['loss_frac']:.1f}% of |optimum| at the "
                   f"start distribution.")
    pairs = [(d, e) for d in rows if d["target"] in ("contamination", "tv_dual") for e in rows
             if e["game"] == d["game"] and e["rho"] == d["rho"] and e["mixer"] == d["mixer"]
             and e["target"] == {"contamination": "contamination_exact", "tv_dual": "tv_exact"}[d["target"]]]
    n_same = sum(d["actions"] == e["actions"] for d, e in pairs)
    same_text = (f"Dropping rho min V (contamination code target, TV dual) left the greedy policy unchanged in "
                 f"{n_same} of {len(pairs)} (game, rho, mixer) cells (docs/theory.md section 6.2 proves it for the "
                 f"joint table of continuing and finite-horizon games without absorbing states; here it is "
                 f"measured for every mixer).")
    paths = save(fig, figures_dir, "drigm")
    profile = data.get("profile")
    proj = {r["game"]: r["tol"] for r in rows if r["mixer"] != "joint" and r.get("tol") is not None}
    if len(set(proj.values())) == 1:
        tols = f"{next(iter(proj.values())):g}"
    else:
        tols = ", ".join(f"{t:g} ({g})" for g, t in proj.items()) if proj else "their tolerance"
    main = f"""
DrIGM study ({profile} profile): robust-value loss 1 - V^pi / V* of the greedy decentralised
policy pi of each published robust Q-target's fixed point, against the radius rho. V* is the exact
robust optimum of the team game (TV set of radius rho for the TV targets, contamination set for the
contamination targets, the building's climate group set for the group targets) and V^pi the EXACT
robust value of pi under the same set, both at the start distribution. Everything is exact: fixed
points of the exact tabular operators (joint mixer iterated to 1e-10, projected mixers to
{tols} in sup norm), exact robust policy evaluation;
no sampling, no confidence intervals. Top row: joint (centralised) table, one line per target;
curves that coincide are dodged slightly along rho. {same_text} Bottom row: the exact
targets (TV large filled markers, contamination small open markers on top) with the factored mixers
VDN (least squares), VDN (L_inf) and the monotone mixer; a single marker is a mixer computed only at
the table radius {data['table_rho']} (the linear monotone mixer equals VDN and is not drawn; all
mixers at that radius are in drigm_table.md). A loss of 0 means the greedy policy is robust-optimal.
"""
    paras = [main, ce_text, f"Source data: {pathlib.Path(results_path).name}; table of value / optimum: "
             f"drigm_table.md."]
    text = "\n\n".join(textwrap.fill(" ".join(x.split()), 100) for x in paras)
    paths.append(write_caption(figures_dir, "drigm", text))
    tpath = pathlib.Path(figures_dir) / "drigm_table.md"
    tpath.write_text(data["table_md"])
    paths.append(tpath)
    if data.get("learners"):
        paths += draw_learners(data, figures_dir, pathlib.Path(results_path).name)
    return paths


def learner_summary(data) -> list[dict]:
    """One row per learner run: game, target, mixer, seeds, steps, the final
    ``||Q - Q_fp||_inf`` and ``||V - V_fp||_inf`` (mean and range over seeds), the final
    exact robust value of the greedy policy / optimum (mean, min, max), the fixed point's,
    the fraction of states where the learned greedy action is the fixed point's, and the
    learned Q's IGM (fraction of states, mean over seeds)."""
    out = []
    for L in data.get("learners", []):
        opt = L["optimum"]
        ratio = [v / opt for v in L["final_value"]] if opt else [float("nan")] * len(L["final_value"])
        out.append(dict(game=L["game"], target=L["target"], mixer=L["mixer"], rho=L["rho"], seeds=len(ratio),
                        steps=L["steps"][-1], q_error=float(np.mean(L["final_q_error"])),
                        q_error_range=[float(min(L["final_q_error"])), float(max(L["final_q_error"]))],
                        v_error=float(np.mean(L["final_v_error"])), value_ratio=float(np.mean(ratio)),
                        value_ratio_range=[float(min(ratio)), float(max(ratio))],
                        fp_ratio=L["fp_value"] / opt if opt else float("nan"),
                        greedy_agree=float(np.mean(L["greedy_agree"])), igm=float(np.mean(L["igm_given"]))))
    return out


def draw_learners(data, figures_dir, source_name="") -> list[pathlib.Path]:
    """``drigm_learners.png/.pdf`` and caption: sample-based learners against the exact
    fixed points (top: ``||Q - Q_fp||_inf``; bottom: exact robust value of the learned greedy
    policy / optimum, the fixed point's greedy value dashed), mean over seeds with the
    min-max band."""
    from robustgames.paper_figures._style import BAND_ALPHA, COLORS, figure, save, write_caption

    runs = data["learners"]
    games = list(dict.fromkeys(L["game"] for L in runs))
    fig, axes = figure(2, len(games), width=2.35 * len(games) + 0.6, height=4.4, sharex=False,
                       gridspec_kw=dict(hspace=0.32, wspace=0.3))
    for j, game in enumerate(games):
        ax, ax2 = axes[0, j], axes[1, j]
        for k, L in enumerate(r for r in runs if r["game"] == game):
            c = COLORS[k % len(COLORS)]
            x = np.asarray(L["steps"], float)
            lab = f"{TARGET_STYLE[L['target']][0]}, {L['mixer']}"
            e = np.maximum(np.asarray(L["q_error"], float), 1e-6)
            ax.plot(x, e.mean(axis=0), color=c, marker=TARGET_STYLE[L["target"]][1], ms=2.5, lw=1.1, label=lab)
            ax.fill_between(x, e.min(axis=0), e.max(axis=0), color=c, alpha=BAND_ALPHA, lw=0)
            opt = L["optimum"]
            v = np.asarray(L["value"], float) / opt
            ax2.plot(x, v.mean(axis=0), color=c, marker=TARGET_STYLE[L["target"]][1], ms=2.5, lw=1.1)
            ax2.fill_between(x, v.min(axis=0), v.max(axis=0), color=c, alpha=BAND_ALPHA, lw=0)
            ax2.axhline(L["fp_value"] / opt, color=c, ls="--", lw=0.9)
        ax.set_yscale("log")
        ax.set_title({"signed": "small game, signed rewards", "cost": "same game, rewards $\\leq 0$",
                      "climbing": "climbing game"}.get(game, game))
        ax2.set_xlabel("samples (nominal kernel)")
        if j == 0:
            ax.set_ylabel("$\\|Q_{learned} - Q_{fixed\\ point}\\|_\\infty$")
            ax2.set_ylabel("exact robust value of greedy\npolicy / exact optimum")
        ax2.set_ylim(min(0.0, ax2.get_ylim()[0]), 1.05)
        ax2.legend(*ax.get_legend_handles_labels(), fontsize=6.2, loc="upper left", bbox_to_anchor=(-0.05, -0.22),
                   frameon=False)
    rho = runs[0]["rho"]
    n_seeds = len(runs[0]["final_value"])
    paths = save(fig, figures_dir, "drigm_learners")
    lines = []
    for r in learner_summary(data):
        lines.append(f"{r['game']} / {r['target']} / {r['mixer']}: final ||Q - Q_fp||_inf {r['q_error']:.3g} "
                     f"(seeds {r['q_error_range'][0]:.3g}-{r['q_error_range'][1]:.3g}), ||V - V_fp||_inf "
                     f"{r['v_error']:.3g}; value/optimum {r['value_ratio']:.3f} (fixed point {r['fp_ratio']:.3f}); "
                     f"greedy action = fixed point's at {100 * r['greedy_agree']:.0f}% of states; learned Q "
                     f"IGM with its utilities at {100 * r['igm']:.0f}% of states.")
    main = f"""
DrIGM sample-based learners ({data.get('profile')} profile): tabular robust Q-learning
(robustgames.train_factored: one epsilon-greedy trajectory of the nominal kernel, epsilon 0.2,
steps (1+n)^-0.6, the TV dual variable / G-network g on a faster time scale) with the published
targets at rho = {rho:g}, {n_seeds} seeds (line: mean, band: min-max over seeds). Top: sup-norm
distance of the learner's joint Q table (the mixer evaluated at every joint action) to the EXACT
fixed point of the same target and mixer (robustgames.target_fixed_point; log scale). Bottom: the
EXACT robust value (TV or contamination set of radius rho) of the learned greedy decentralised
policy as a fraction of the exact robust optimum; dashed: the fixed point's greedy policy. The
joint-table learners approach the fixed points, the dropped-term one (contamination, code)
its own, shifted, fixed point. The VDN learner fits a visitation-weighted least-squares projection,
not the uniform one of the exact VDN operator, so it stays at a distance from that fixed point
and its greedy policy can differ from the fixed point's. With the TV target the factored learners
on the climbing game do not converge: their Q grows past the largest robust value any policy has
(see the numbers below; the dual variable is tracked per joint row while the additive tables
couple the rows). The learned Q goes through
igm_report with the learned per-agent utilities.
"""
    text = "\n\n".join([textwrap.fill(" ".join(main.split()), 100),
                         "\n".join(textwrap.fill(x, 100) for x in lines),
                         f"Source data: {source_name}."])
    paths.append(write_caption(figures_dir, "drigm_learners", text))
    return paths
