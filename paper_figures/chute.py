"""Figures, captions and the Table-1 Markdown file of the chute-mapping study.

Reads ONLY the JSON written by :func:`robustgames.experiments.chute.run` (or exported by
``robustgames reproduce``). Writes, next to each other: ``chute.png/.pdf`` (Table 1 as
bars with 95% CIs, m-sensitivity, volume noise), ``chute_approx.png/.pdf`` (tightness of
the paper's fixed-worst-group approximation), ``chute_diagnostic.png/.pdf`` (CB accuracy,
variant-b diagnostic learners), a caption ``<name>.txt`` for each, and
``chute_table1.md``.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

ROWS = ["DP robust-optimal (exact)", "DP nominal-optimal (exact)", "MARL (nominal)", "DRMARL exhaustive",
        "DRMARL + CB", "DRMARL random group", "Group-specific MARL"]
SHORT = {"DP robust-optimal (exact)": "DP robust-opt.", "DP nominal-optimal (exact)": "DP nominal-opt.",
         "MARL (nominal)": "MARL (nominal)", "DRMARL exhaustive": "DRMARL exh.", "DRMARL + CB": "DRMARL + CB",
         "DRMARL random group": "DRMARL random", "Group-specific MARL": "group-specific"}


def _load(path):
    return json.loads(pathlib.Path(path).read_text())


def _ci(values):
    from robustgames.experiments.chute import t_interval

    return t_interval(values)


def table(results_path) -> str:
    """Table 1 (Markdown, from the JSON) plus the diagnostic and approximation summaries."""
    data = _load(results_path)
    if "table1_text" not in data:  # a legacy single-seed record
        return f"chute results {results_path}: legacy format without Table 1 (rerun reproduce)"
    lines = [data["table1_text"], ""]
    d = data["diagnostic"]
    lines.append("Variant b diagnostic (robust value / robust optimum, %, mean [95% CI]):")
    for k, ci in d.items():
        lines.append(f"- {k}: {100 * ci['mean']:.2f} [{100 * ci['lo']:.2f}, {100 * ci['hi']:.2f}]"
                     if ci["lo"] is not None else f"- {k}: {100 * ci['mean']:.2f}")
    a = data["approximation"]
    lines.append(f"Approximation (variant b): start-state value gap (U-DP - exact)/|exact| "
                 f"{100 * a['start_gap_rel']['mean']:.2f}% [{100 * (a['start_gap_rel']['lo'] or 0):.2f},"
                 f" {100 * (a['start_gap_rel']['hi'] or 0):.2f}]; robust shortfall of the approximate DP's policy "
                 f"{100 * a['approx_policy_shortfall']['mean']:.2f}%; smallest (U - T)/|T| {a['min_one_step_rel']:.2e}"
                 f" (theory: >= 0)")
    return "\n".join(lines)


def _bars(ax, data, key, scale, ylabel, rows):
    from robustgames.paper_figures._style import COLORS

    t1 = data["table1"]
    x = np.arange(len(rows))
    for i, name in enumerate(rows):
        ci = t1[name][key]
        if ci["mean"] is None:
            ax.text(i, 0.02, "n/a", ha="center", va="bottom", fontsize=7, transform=ax.get_xaxis_transform())
            continue
        lo = ci["lo"] if ci["lo"] is not None else ci["mean"]
        hi = ci["hi"] if ci["hi"] is not None else ci["mean"]
        ax.bar(i, scale * ci["mean"], 0.65, color=COLORS[i % len(COLORS)], alpha=0.55)
        ax.errorbar(i, scale * ci["mean"], yerr=[[scale * (ci["mean"] - lo)], [scale * (hi - ci["mean"])]],
                    color="k", capsize=3, lw=1)
        vals = [scale * s["rows"][name][key] for s in data["seeds"] if s["rows"][name][key] is not None]
        jitter = np.linspace(-0.2, 0.2, len(vals)) if len(vals) > 1 else [0.0]
        ax.plot(i + np.asarray(jitter), vals, ".", color="k", ms=2.5, alpha=0.6)
    ax.set_xticks(x, [SHORT[n] for n in rows], rotation=35, ha="right", fontsize=7)
    ax.set_ylabel(ylabel)


def _line_ci(ax, x, per_seed, color, label, marker="o", dodge=0.0, bands=False):
    """Mean over seeds with its Student-t 95% CI: error bars (dodged sideways by ``dodge``
    so that series stay readable) or, with ``bands``, a band."""
    from robustgames.paper_figures._style import band

    arr = np.array(per_seed, dtype=float)  # (seeds, len(x))
    cis = [_ci(arr[:, j]) for j in range(arr.shape[1])]
    mean = np.array([c["mean"] for c in cis])
    lo = np.array([c["lo"] if c["lo"] is not None else c["mean"] for c in cis])
    hi = np.array([c["hi"] if c["hi"] is not None else c["mean"] for c in cis])
    xx = np.asarray(x, dtype=float) + dodge
    if bands:
        ax.plot(xx, mean, marker + "-", color=color, label=label, ms=3.5)
        band(ax, xx, lo, hi, color)
    else:
        ax.errorbar(xx, mean, yerr=[mean - lo, hi - mean], fmt=marker + "-", color=color, label=label, ms=3.5,
                    capsize=2, lw=1.1, elinewidth=0.8)
    return lo.min()


def draw(results_path, figures_dir) -> list[pathlib.Path]:
    """Draw the three figures, write their captions and ``chute_table1.md``; return the paths."""
    from robustgames.paper_figures._style import COLORS, figure, legend_below, save, write_caption

    data = _load(results_path)
    figures_dir = pathlib.Path(figures_dir)
    if "table1_text" not in data:
        return []
    cfg, n, seeds = data["config"], data["n_seeds"], data["seeds"]
    game = cfg["game"]
    prof = (f"profile {data['profile']}: {n} seeds, {cfg['episodes']} training days per learner "
            f"({cfg['group_episodes']} per group-specific learner), CB {cfg['cb_episodes']} days")
    paths = []
    (figures_dir / "chute_table1.md").parent.mkdir(parents=True, exist_ok=True)
    (figures_dir / "chute_table1.md").write_text(data["table1_text"] + "\n")
    paths.append(figures_dir / "chute_table1.md")

    # ---- figure 1: Table 1, m-sensitivity, volume noise --------------------------------
    fig, axes = figure(2, 2, width=7.4, height=6.6)
    _bars(axes[0, 0], data, "robust_rel", 100, "exact robust value / robust optimum (%)", ROWS[:-1])
    axes[0, 0].set_title("(a) robust value (rectangular worst group)")
    cis = [data["table1"][r]["robust_rel"] for r in ROWS[:-1]]
    lows = [s["rows"][r]["robust_rel"] for s in seeds for r in ROWS[:-1]] + [c["lo"] for c in cis if c["lo"] is not None]
    highs = [1.015] + [c["hi"] + 0.01 for c in cis if c["hi"] is not None]
    axes[0, 0].set_ylim(max(0.0, 100 * min(lows) - 5), 100 * max(highs))
    _bars(axes[0, 1], data, "rec_worst", 100, "worst-group recirculation (%)", ROWS)
    axes[0, 1].set_title("(b) worst-group recirculation (lower is better)")
    ax = axes[1, 0]
    ms = [b["n_groups"] for b in seeds[0]["sensitivity"]]
    pos = np.arange(len(ms))
    for i, name in enumerate(["DP nominal-optimal (exact)", "MARL (nominal)", "DRMARL exhaustive", "DRMARL + CB"]):
        per = [[100 * b["robust_rel"][name] for b in s["sensitivity"]] for s in seeds]
        _line_ci(ax, pos, per, COLORS[i + 1], SHORT[name], marker="os^v"[i], dodge=0.06 * (i - 1.5))
    ax.set_xlabel("number of groups m (same history, re-clustered)")
    ax.set_ylabel("robust value / robust optimum (%)")
    ax.set_title("(c) sensitivity to m")
    ax.set_xticks(pos, [str(m) for m in ms])
    legend_below(ax, ncol=2, offset=-0.2)
    ax = axes[1, 1]
    spreads = seeds[0]["volume"]["spreads"]
    for i, name in enumerate(["DP robust-optimal (exact)", "DP nominal-optimal (exact)", "MARL (nominal)",
                              "DRMARL exhaustive", "DRMARL + CB", "DRMARL random group"]):
        per = [100 * np.array(s["volume"]["rows"][name]["robust"]) / np.array(s["volume"]["oracle_robust"])
               for s in seeds]
        _line_ci(ax, spreads, per, COLORS[i], SHORT[name], marker="os^v<>"[i], dodge=0.05 * (i - 2.5))
    ax.set_xlabel(f"volume spread d: V_t uniform on {{{game['volume']}-d, ..., {game['volume']}+d}}")
    ax.set_ylabel("robust value / re-solved optimum (%)")
    ax.set_title("(d) trained at volume c, tested under noise")
    ax.set_xticks(spreads)
    legend_below(ax, ncol=2, offset=-0.2)
    fig.suptitle(f"DRMARL Table-1 analogue, chute game variant a (recirculated packages lost), {n} seeds, "
                 f"mean and 95% CI", fontsize=9)
    fig.tight_layout()
    paths += save(fig, figures_dir, "chute")
    coincide = [f"{k} in {v} of {n} seeds" for k, v in data["same_policy"].items() if v]
    paths.append(write_caption(figures_dir, "chute", f"""
DRMARL (arXiv 2503.09755) Table-1 analogue on the exactly solvable chute-mapping game, variant "a":
{game['n_destinations']} destinations (agents), {game['n_chutes']} chutes, chute capacity {game['capacity']},
{game['volume']} packages inducted per step, {game['steps']} steps per day, m = {game['n_groups']} induction groups
(k-means clusters of a simulated history); recirculated packages are lost, so transitions do not depend on the
induction draw (the setting of DRMARL Lemma 3.2, where the reward-only worst-group target is exact). Variant "b"
(recirculated packages return next step) is used only in the approximation and diagnostic figures.
Each of the {n} seeds draws its own instance, screened by dynamic programming (never by a learner) so that the
exact nominal-optimal policy loses at least {100 * cfg['min_shortfall']:g}% of the exact group-robust optimum
(robust training matters there; measured shortfall {100 * data['instance']['nominal_shortfall']['mean']:.1f}% on
average), and its own learner runs. All learners use Robbins-Monro step sizes (1 + visits)^-{cfg['omega']} and
sampled targets; every policy is scored exactly. {prof}. Bars: mean over seeds; black error bars: Student-t 95% CI;
dots: the individual seeds (every seed is drawn). (a) the DP robust-optimal row is 100% by construction; the
group-specific learners (one per group, each scored on its own group) have no single policy, hence no robust
value. (c) robust value relative to the re-solved optimum for each m (same history re-clustered into m groups).
(d) each policy trained at constant volume c = {game['volume']}, evaluated exactly when the volume of every step
is uniform on {{c-d, ..., c+d}}, relative to the robust optimum re-solved for that distribution. (c), (d): mean
over seeds with Student-t 95% CI error bars, series shifted sideways slightly so that none hides another.
Student-t intervals are symmetric, so an interval can reach above 100% when one seed falls far below the others
(every seed's dot is drawn). In (c) the DP robust-optimal policy is 100% by definition and not drawn; the instances
were screened at m = {game['n_groups']} only. Coinciding greedy policies (series may hide each other): {'; '.join(coincide) if coincide else 'none'}.
"""))

    # ---- figure 2: approximation tightness ---------------------------------------------
    fig, axes = figure(1, 3, width=7.4, height=2.7)
    one = np.concatenate([np.ravel(s["approximation"]["one_step_rel"]) for s in seeds])
    reach = np.concatenate([np.ravel(s["approximation"]["reachable"]) for s in seeds]).astype(bool)
    gap = np.concatenate([np.ravel(s["approximation"]["value_gap_rel"]) for s in seeds])
    bins = np.linspace(0, max(1e-6, 100 * max(one.max(), gap.max())), 31)
    ax = axes[0, 0]
    ax.hist(100 * one, bins=bins, color=COLORS[0], alpha=0.6, label="all (h, s)")
    ax.hist(100 * one[reach], bins=bins, color=COLORS[1], alpha=0.8, label="reachable under pi*")
    ax.set_yscale("log")
    ax.set_xlabel("(U - T)/|T| at V*, pi* (%)")
    ax.set_ylabel("(step, state) pairs")
    ax.set_title("(a) one-step error")
    legend_below(ax, ncol=1, offset=-0.36)
    ax = axes[0, 1]
    ax.hist(100 * gap, bins=bins, color=COLORS[0], alpha=0.6, label="all (h, s)")
    ax.hist(100 * gap[reach], bins=bins, color=COLORS[1], alpha=0.8, label="reachable under pi*")
    ax.set_yscale("log")
    ax.set_xlabel("(V_U - V*)/|V*| (%)")
    ax.set_title("(b) value gap of the two DPs")
    legend_below(ax, ncol=1, offset=-0.36)
    ax = axes[0, 2]
    T = len(seeds[0]["approximation"]["value_gap_rel"])
    per_step = [[100 * np.mean(np.array(s["approximation"]["value_gap_rel"][h])) for h in range(T)] for s in seeds]
    _line_ci(ax, np.arange(T), per_step, COLORS[2], "value gap, mean over states")
    per_step = [[100 * np.mean(np.array(s["approximation"]["one_step_rel"][h])) for h in range(T)] for s in seeds]
    _line_ci(ax, np.arange(T), per_step, COLORS[3], "one-step error, mean over states", marker="s")
    ax.set_xlabel("step h")
    ax.set_ylabel("%")
    ax.set_xticks(np.arange(T))
    ax.set_title("(c) per step (95% CI over seeds)")
    legend_below(ax, ncol=1, offset=-0.36)
    fig.suptitle("How tight is DRMARL's fixed-predicted-worst-group approximation? (variant b, exact DP)", fontsize=9)
    fig.tight_layout()
    paths += save(fig, figures_dir, "chute_approx")
    a = data["approximation"]
    paths.append(write_caption(figures_dir, "chute_approx", f"""
Tightness of DRMARL's approximation (Appendix C.1, eq. 32: fix the predicted worst group g' = argmin_g r_g(s,a)
from the reward alone, then back up r_g' + P_g'.V) against the exact (s,a)-rectangular group-DRO backup
T V = min_g [r_g + P_g.V], on variant "b" (recirculated packages return, so transitions depend on the group; in
variant "a" the two coincide exactly) of the same {n} instances as the Table-1 figure. (a) (U - T)/|T| at the
exact values V*_(h+1) and the exact robust-optimal action, for every (step, state), pooled over seeds (log
counts; red: states reachable from the start under pi* for some group sequence). (b) relative gap of the
approximate dynamic program's value to the exact one per (step, state). (c) per-step means over states, 95% CI
over seeds (error bars). Theory (docs/theory.md section 5.4): U >= T, so both quantities are >= 0 (smallest measured
{a['min_one_step_rel']:.1e} and {a['min_value_gap_rel']:.1e}). Start-state value gap
{100 * a['start_gap_rel']['mean']:.2f}% on average; the approximate DP's greedy policy loses
{100 * a['approx_policy_shortfall']['mean']:.2f}% robust value on average. {prof}.
"""))

    # ---- figure 3: CB accuracy and variant-b diagnostic ------------------------------
    fig, axes = figure(1, 2, width=7.4, height=3.0)
    ax = axes[0, 0]
    keys = [("accuracy", "all feasible (s,a)"), ("accuracy_visited", "visited (s,a)")]
    for i, (k, lab) in enumerate(keys):
        vals = [100 * s["cb"][k] for s in seeds]
        ci = _ci(vals)
        ax.bar(i, ci["mean"], 0.6, color=COLORS[i], alpha=0.55)
        ax.errorbar(i, ci["mean"], yerr=[[ci["mean"] - ci["lo"]], [ci["hi"] - ci["mean"]]], color="k", capsize=3)
        ax.plot(i + np.linspace(-0.15, 0.15, len(vals)), vals, ".", color="k", ms=2.5, alpha=0.6)
    ax.set_xticks([0, 1], [lab for _, lab in keys], fontsize=7)
    ax.set_ylabel("CB predicts a worst group (%)")
    ax.set_ylim(0, 105)
    cb = data["cb"]
    ax.set_title(f"(a) CB accuracy; reward lost {cb['mean_reward_lost_visited']['mean']:.3f}/step on visited,\n"
                 f"{cb['weighted_reward_lost']['mean']:.4f} visit-weighted", fontsize=8)
    ax = axes[0, 1]
    names = list(data["diagnostic"])
    for i, k in enumerate(names):
        ci = data["diagnostic"][k]
        vals = [100 * s["diagnostic"][k] for s in seeds]
        ax.barh(i, 100 * ci["mean"], 0.6, color=COLORS[i % len(COLORS)], alpha=0.55)
        if ci["lo"] is not None:
            ax.errorbar(100 * ci["mean"], i, xerr=[[100 * (ci["mean"] - ci["lo"])], [100 * (ci["hi"] - ci["mean"])]],
                        color="k", capsize=3)
        ax.plot(vals, i + np.linspace(-0.15, 0.15, len(vals)), ".", color="k", ms=2.5, alpha=0.6)
    ax.set_yticks(np.arange(len(names)), names, fontsize=6.5)
    ax.invert_yaxis()
    lo = min([100 * s["diagnostic"][k] for s in seeds for k in names]
             + [100 * data["diagnostic"][k]["lo"] for k in names if data["diagnostic"][k]["lo"] is not None])
    hi = max([101.0] + [100 * data["diagnostic"][k]["hi"] + 0.5 for k in names if data["diagnostic"][k]["hi"] is not None])
    ax.set_xlim(max(0, lo - 3), hi)
    ax.set_xlabel("robust value / robust optimum (%)")
    ax.set_title("(b) variant b: which target reaches the optimum", fontsize=8)
    fig.suptitle("Contextual-bandit predictor (variant a) and target diagnostic (variant b), 95% CI over seeds",
                 fontsize=9)
    fig.tight_layout()
    paths += save(fig, figures_dir, "chute_diagnostic")
    paths.append(write_caption(figures_dir, "chute_diagnostic", f"""
(a) The contextual-bandit worst-group predictor of DRMARL + CB (tabular, running means of sampled rewards, trained
on rollouts of the nominal MARL policy with 30% random actions) on variant "a": share of (s,a) where
argmin_g Q_CB(s,a,g) attains min_g r_g(s,a), over all feasible pairs (an unvisited pair predicts group 0) and over
the pairs it visited ({100 * cb['share_visited']['mean']:.0f}% of feasible pairs on average). What the mistakes
cost: expected reward of the predicted group minus that of the true worst group, {cb['mean_reward_lost_visited']
['mean']:.4f} per step averaged over visited pairs, {cb['weighted_reward_lost']['mean']:.5f} weighted by visits.
(b) Variant "b" (recirculated packages return; transitions depend on the group) of the same instances: exact robust
value of exhaustive-search DRMARL with the paper's target (eq. 32, sampled next state) and with the exact
rectangular target min_g [r_g + P_g.V], with the VDN factorisation and with a joint table (expected targets),
all with decaying step sizes (1 + visits)^-{cfg['omega']} and {cfg['diag_episodes']} training days; nominal MARL
and the two exact DP policies for reference. Bars: mean; error bars: Student-t 95% CI; dots: seeds. {prof}.
"""))
    return paths
