"""Figures and the Table-1 style comparison of the chute-mapping experiment.

Reads ONLY the JSON written by :func:`robustgames.experiments.chute.run`.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

ORDER = ["DP group-DRO (exact)", "DP predicted-group approx.", "MARL (nominal)", "DRMARL exhaustive",
         "DRMARL + CB", "DRMARL random group", "Group-specific MARL"]
# diagnostic rows (experiments/chute.py DIAGNOSTICS): exhaustive DRMARL with the exact
# rectangular target, and without the VDN factorisation (joint table)
DIAGNOSTIC_ORDER = ["DRMARL exh. rectangular target", "DRMARL joint table", "DRMARL joint rectangular"]


def _load(path):
    return json.loads(pathlib.Path(path).read_text())


def _summary(rows):
    """Seed-averaged mean and worst (over groups) recirculation and throughput of one row."""
    rec = np.array([r["recirculation"] for r in rows])
    thr = np.array([r["throughput"] for r in rows])
    out = dict(rec_mean=rec.mean(axis=1).mean(), rec_worst=rec.max(axis=1).mean(),
               thr_mean=thr.mean(axis=1).mean(), thr_worst=thr.min(axis=1).mean())
    rob = [r["robust_value"] for r in rows if r.get("robust_value") is not None]
    out["robust"] = float(np.mean(rob)) if rob else float("nan")
    pred = [r["predicted_value"] for r in rows if r.get("predicted_value") is not None]
    out["predicted"] = float(np.mean(pred)) if pred else float("nan")
    out["evals"] = float(np.mean([r.get("group_evaluations", 0) + r.get("cb_pretraining_samples", 0) for r in rows])) \
        if "group_evaluations" in rows[0] else float("nan")
    out["steps"] = float(np.mean([r["env_steps"] for r in rows])) if "env_steps" in rows[0] else float("nan")
    out["wall"] = float(np.mean([r["wall_time"] + r.get("cb_pretraining_time", 0.0) for r in rows])) \
        if "wall_time" in rows[0] else float("nan")
    return out


def table(results_path) -> str:
    """The Table-1 style comparison (per variant), CB accuracy, approximation error, m-sensitivity."""
    data = _load(results_path)
    lines = [f"Chute mapping (robustgames {data['version']}, profile {data['profile']}, seed {data['seed']})"]
    for variant, block in data["variants"].items():
        dp = block["dp"]
        lines.append("")
        lines.append(f"Variant {variant} ({'recirculated packages lost' if variant == 'a' else 'recirculated packages return'}),"
                     f" m={len(block['groups'])} groups, S={block['n_states']}, A={block['n_joint_actions']}")
        lines.append(f"  exact robust value {dp['robust_value']:.4f}; predicted-group approx {dp['approx_value']:.4f}"
                     f" (relative error {100 * dp['approx_relative_error']:.2f}%, paper: <0.57%);"
                     f" approx policy under true adversary {dp['approx_policy_robust_value']:.4f}")
        head = f"  {'method':30s} {'recirc mean':>11s} {'recirc worst':>12s} {'thr mean':>9s} {'thr worst':>9s}" \
               f" {'robust V':>9s} {'approx V':>9s} {'group evals':>11s} {'env steps':>9s} {'wall s':>7s}"
        lines.append(head)
        for name in ORDER + DIAGNOSTIC_ORDER:
            if name not in block["rows"]:
                continue
            if name == DIAGNOSTIC_ORDER[0]:
                lines.append("  -- diagnostics (exhaustive worst group; other target / no VDN factorisation) --")
            s = _summary(block["rows"][name])
            lines.append(f"  {name:30s} {100 * s['rec_mean']:10.2f}% {100 * s['rec_worst']:11.2f}% {s['thr_mean']:9.2f}"
                         f" {s['thr_worst']:9.2f} {s['robust']:9.4f} {s['predicted']:9.4f} {s['evals']:11.0f}"
                         f" {s['steps']:9.0f} {s['wall']:7.2f}")
        lines.append("  (robust V: exact value against the (s,a)-rectangular worst group; approx V: value under the"
                     " paper's approximation (32), worst group chosen by reward only — the objective that the"
                     " approximate-target learners optimise)")
        cb = block["cb"]
        lines.append(f"  CB predictor: accuracy {100 * np.mean([c['accuracy'] for c in cb]):.1f}% of feasible (s,a)"
                     f" ({100 * np.mean([c['accuracy_visited'] for c in cb]):.1f}% of the"
                     f" {100 * np.mean([c['share_visited'] for c in cb]):.0f}% it visited); mean reward lost"
                     f" {np.mean([c['mean_reward_lost'] for c in cb]):.4f} (max {np.max([c['max_reward_lost'] for c in cb]):.4f});"
                     f" cost {np.mean([c['samples'] for c in cb]):.0f} sampled rewards vs"
                     f" {np.mean([c['exhaustive_evaluations'] for c in cb]):.0f} exact evaluations for exhaustive search")
    lines.append("")
    lines.append("Sensitivity to the number of groups m (variant b):")
    rect = DIAGNOSTIC_ORDER[0]
    lines.append(f"  {'m':>3s} {'approx err':>10s} {'DP worst rec':>12s} {'MARL worst':>10s} {'exh worst':>10s}"
                 f" {'CB worst':>9s} {'CB acc':>7s} {'exh evals':>10s} {'CB samples':>10s}"
                 f" {'robust V: DP':>12s} {'MARL':>6s} {'exh':>6s} {'CB':>6s} {'rect':>6s}")
    for block in data["sensitivity"]:
        r = block["rows"]
        w = {k: _summary(v)["rec_worst"] for k, v in r.items()}
        v = {k: _summary(x)["robust"] for k, x in r.items()}
        cb = block["cb"][0]
        lines.append(f"  {block['n_groups']:3d} {100 * block['dp']['approx_relative_error']:9.2f}%"
                     f" {100 * w['DP group-DRO (exact)']:11.2f}% {100 * w['MARL (nominal)']:9.2f}%"
                     f" {100 * w['DRMARL exhaustive']:9.2f}% {100 * w['DRMARL + CB']:8.2f}% {100 * cb['accuracy']:6.1f}%"
                     f" {cb['exhaustive_evaluations']:10d} {cb['samples']:10d}"
                     f" {v['DP group-DRO (exact)']:12.4f} {v['MARL (nominal)']:6.3f} {v['DRMARL exhaustive']:6.3f}"
                     f" {v['DRMARL + CB']:6.3f} {v.get(rect, float('nan')):6.3f}")
    return "\n".join(lines)


def draw(results_path, figures_dir) -> list[pathlib.Path]:
    """Bar charts of mean/worst recirculation, OOD curves and the m-sensitivity; PNG and PDF."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = _load(results_path)
    figures_dir = pathlib.Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    variants = list(data["variants"])
    fig, axes = plt.subplots(2, len(variants) + 1, figsize=(5 * (len(variants) + 1), 8))
    for col, variant in enumerate(variants):
        block = data["variants"][variant]
        names = [n for n in ORDER if n in block["rows"]]
        stats = [_summary(block["rows"][n]) for n in names]
        ax = axes[0, col]
        x = np.arange(len(names))
        ax.bar(x - 0.2, [100 * s["rec_mean"] for s in stats], 0.4, label="mean over groups")
        ax.bar(x + 0.2, [100 * s["rec_worst"] for s in stats], 0.4, label="worst group")
        ax.set_xticks(x, [n.replace(" ", "\n", 1) for n in names], fontsize=7, rotation=45, ha="right")
        ax.set_ylabel("recirculation events / inducted (%)")
        ax.set_title(f"variant {variant}")
        ax.legend(fontsize=7)
        ood = block["ood"]
        ax = axes[1, col]
        mix = np.array(ood["mix"])
        for name, rec in ood["recirculation"].items():
            ax.plot(mix, 100 * np.array(rec), label=name, lw=1.2)
        inside = np.array(ood["distance_to_hull"]) <= 1e-9
        if inside.any():
            ax.axvspan(mix[inside].min(), mix[inside].max(), color="grey", alpha=0.15, label="convex hull of groups")
        ax.set_xlabel("share of destination 1 (test mix)")
        ax.set_ylabel("recirculation events / inducted (%)")
        ax.set_title(f"variant {variant}: in and out of distribution")
        ax.legend(fontsize=6)
    sens = data["sensitivity"]
    ms = [b["n_groups"] for b in sens]
    ax = axes[0, -1]
    for name in ["DP group-DRO (exact)", "MARL (nominal)", "DRMARL exhaustive", "DRMARL + CB",
                 "DRMARL exh. rectangular target"]:
        if not all(name in b["rows"] for b in sens):
            continue
        ax.plot(ms, [100 * _summary(b["rows"][name])["rec_worst"] for b in sens], "o-", label=name)
    ax.set_xscale("log")
    _m_ticks(ax)
    ax.set_xlabel("number of groups m")
    ax.set_ylabel("worst-group recirculation (%)")
    ax.set_title("sensitivity to m (variant b)")
    ax.legend(fontsize=7)
    ax = axes[1, -1]
    ax.plot(ms, [100 * b["cb"][0]["accuracy"] for b in sens], "o-", label="CB accuracy (all feasible s,a)")
    ax.plot(ms, [100 * b["dp"]["approx_relative_error"] for b in sens], "s-", label="approx. relative error")
    ax.set_xscale("log")
    _m_ticks(ax)
    ax.set_xlabel("number of groups m")
    ax.set_ylabel("%")
    ax.legend(fontsize=7)
    fig.tight_layout()
    paths = []
    for ext in ("png", "pdf"):
        p = figures_dir / f"chute.{ext}"
        fig.savefig(p, dpi=120)
        paths.append(p)
    plt.close(fig)
    return paths


def _m_ticks(ax):
    """Label the number-of-groups axis at the values actually run (5, 9, 21, 50)."""
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata())]
    if lines:
        ax.xaxis.set_major_locator(FixedLocator(sorted({float(x) for x in lines[0].get_xdata()})))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(ScalarFormatter())
