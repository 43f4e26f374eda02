"""Figures of the regret experiments (reads ONLY the stored records of ``experiments/regret``).

``draw(data_dir, figures_dir)`` draws, as PNG and PDF:

1. ``regret_vs_K``: cumulative robust regret of MORNAVI against ``K`` on log-log axes, TV
   and KL balls at several radii; mean over seeds with a 95% band (t-interval of the
   mean), the mean cumulative certified bound (dashed), a ``sqrt(K)`` reference, and in
   the legend the fitted slope with its 95% confidence interval.
2. ``regret_scaling``: regret at a fixed ``K`` as ``S``, ``prod A_i``, ``H``, ``1/sigma`` grow,
   with the growth the TV bound predicts (stored with each run as ``bound_scale``).
3. ``baselines``: MORNAVI against non-robust optimistic Nash-VI, DR-NVI (generative
   model) and the uniform policy, by robust gap and regret.
4. ``lower_bound``: the support-shift game (linear regret) against a fail-state game
   (``sqrt(K)``-type regret).
5. ``cooperative``: regret on cooperative games (intersection, chute mapping).
6. ``regret_minimax``: regret at the end of ``K`` episodes against ``K`` when the game
   depends on ``K`` (robust gap ``delta_K = c / sqrt(K)``, the lower-bound construction);
   slope from a least-squares fit of ``log Regret(K)`` on ``log K`` over every (K, seed)
   run, with a t-interval from its standard error.

Slopes: for every seed, least squares of ``log Regret(k)`` on ``log k`` over the stored
checkpoints with ``k >= K/2``; the reported slope is the mean over seeds with a Student-t
95% interval. ``summary.json`` lists every slope and the checks (smallest gap over all
episodes, certified-bound violations).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import stats

from ._style import COLORS, figure, save

__all__ = ["draw", "load", "fit_slope", "report"]


# -- reading ------------------------------------------------------------------------------


def load(data_dir, study: str) -> list[dict]:
    """Every stored record of ``study`` (arrays as numpy arrays)."""
    from robustgames.runner import ResultStore

    return list(ResultStore(data_dir).records(study))


def _group(records) -> dict:
    """Records grouped by configuration (canonical JSON of the config), seeds sorted."""
    from robustgames.runner import canonical_json

    groups = defaultdict(list)
    for r in records:
        groups[canonical_json(r["config"])].append(r)
    for g in groups.values():
        g.sort(key=lambda r: r["seed"]["seed_index"])
    return groups


def _stack(group, name) -> tuple[np.ndarray, np.ndarray]:
    k = group[0]["arrays"]["k"]
    return k, np.vstack([r["arrays"][name] for r in group])


# -- statistics ---------------------------------------------------------------------------


def mean_band(Y: np.ndarray, level: float = 0.95):
    """Mean over rows and a t-interval of the mean (collapses to the mean for one row)."""
    n = Y.shape[0]
    m = Y.mean(axis=0)
    if n < 2:
        return m, m, m
    half = stats.t.ppf(0.5 + level / 2, n - 1) * Y.std(axis=0, ddof=1) / math.sqrt(n)
    return m, m - half, m + half


def fit_slope(k: np.ndarray, Y: np.ndarray, *, start: float = 0.5, level: float = 0.95) -> dict:
    """Log-log slope of each row of ``Y`` over ``k >= start * K``; mean and t-interval over rows.

    Rows with a non-positive value in the window (zero regret) are left out.
    """
    k = np.asarray(k, dtype=float)
    window = k >= start * k[-1]
    x = np.log(k[window])
    slopes = []
    for y in np.atleast_2d(Y):
        yw = y[window]
        if np.all(yw > 0) and len(x) >= 2:
            slopes.append(np.polyfit(x, np.log(yw), 1)[0])
    slopes = np.asarray(slopes)
    if len(slopes) == 0:
        return {"slope": float("nan"), "low": float("nan"), "high": float("nan"), "n": 0}
    m = float(slopes.mean())
    if len(slopes) < 2:
        return {"slope": m, "low": m, "high": m, "n": 1}
    half = float(stats.t.ppf(0.5 + level / 2, len(slopes) - 1) * slopes.std(ddof=1) / math.sqrt(len(slopes)))
    return {"slope": m, "low": m - half, "high": m + half, "n": int(len(slopes))}


def _slope_text(f) -> str:
    if not np.isfinite(f["slope"]):
        return "slope n/a"
    return f"slope {f['slope']:.2f} [{f['low']:.2f}, {f['high']:.2f}]"


def _game_text(r) -> str:
    g = r["config"]["game"]
    v = r["values"]
    if g["kind"].startswith("fail_state"):
        kind = "constant-sum fail-state game" if g["kind"] == "fail_state_cs" else "fail-state game"
        acts = "x".join(str(a) for a in g["n_actions"])
        return f"{kind} (S={g['n_states']}, A={acts}, H={g['horizon']})"
    if g["kind"] == "support_shift":
        return f"support-shift game (variant {g['variant']}, H={g['horizon']})"
    return f"{v['game_name']} (S={v['n_states']}, |A|={v['n_joint_actions']}, H={v['horizon']})"


def _set_text(r) -> str:
    s = r["config"]["set"]
    return f"{s['kind']} $\\sigma$={s['radius']:g}"


def _learner_text(cfg) -> str:
    lr = cfg["learner"]
    if lr["kind"] == "MORNAVI":
        return f"MORNAVI ({lr['equilibrium'].upper()}, $c_b$={lr['c_b']:g})"
    if lr["kind"] == "OptimisticNashVI":
        return "Nash-VI (non-robust)"
    if lr["kind"] == "DRNVI":
        return f"DR-NVI (generative, N={lr['samples']})"
    return "uniform policy"


# -- checks -------------------------------------------------------------------------------


def checks(records) -> dict:
    """Smallest gap over every stored episode and certified-bound violations."""
    records = list(records)
    if not records:
        return {"runs": 0}
    with_bound = [r for r in records if r["values"]["has_bound"]]
    return {
        "runs": len(records),
        "min_gap": min(r["values"]["min_gap"] for r in records),
        "runs_with_bound": len(with_bound),
        "bound_violations": int(sum(r["values"]["bound_violations"] for r in with_bound)),
        "max_bound_excess": max((r["values"]["max_bound_excess"] for r in with_bound
                                 if isinstance(r["values"]["max_bound_excess"], float)), default=float("nan")),
        "episodes_without_certificate": int(sum(r["values"]["bound_missing"] for r in with_bound)),
    }


# -- figure 1: regret vs K ----------------------------------------------------------------


def _regret_panel(ax, groups, *, summary, study, show_bound=True, ref_slope=0.5, colors=None, label=None):
    ymax_end = 0.0
    for i, (key, g) in enumerate(groups):
        color = (colors or COLORS)[i % len(COLORS)]
        k, Y = _stack(g, "regret")
        m, lo, hi = mean_band(Y)
        f = fit_slope(k, Y)
        text = (label(g[0]) if label else _set_text(g[0])) + f": {_slope_text(f)}"
        ax.plot(k, np.maximum(m, 1e-12), color=color, label=text)
        ax.fill_between(k, np.maximum(lo, 1e-12), np.maximum(hi, 1e-12), color=color, alpha=0.2, lw=0)
        entry = {"study": study, "game": _game_text(g[0]), "set": g[0]["config"]["set"],
                 "learner": g[0]["config"]["learner"], "K": int(k[-1]), "seeds": len(g),
                 "regret": float(m[-1]), "fit": f}
        if show_bound and g[0]["values"]["has_bound"]:
            _, B = _stack(g, "bound_regret")
            bm = B.mean(axis=0)
            ax.plot(k, bm, color=color, ls="--", lw=1.0)
            entry["bound_regret"] = float(bm[-1])
            entry["bound_fit"] = fit_slope(k, B)
        summary.append(entry)
        ymax_end = max(ymax_end, float(m[-1]))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("episodes $k$")
    ax.set_ylabel("cumulative robust regret")
    return ymax_end


def _reference(ax, k_end, y_end, slope, text):
    ks = np.geomspace(max(k_end / 300.0, 1.0), k_end, 50)
    ax.plot(ks, y_end * (ks / k_end) ** slope, color="0.35", ls=":", lw=1.2, label=text)


def _fig_regret_vs_k(records, figures_dir, summary):
    groups = _group(records)
    tuned = [(k, g) for k, g in groups.items() if g[0]["config"]["learner"]["c_b"] < 1.0]
    theory = [(k, g) for k, g in groups.items() if g[0]["config"]["learner"]["c_b"] >= 1.0]
    fig, axes = figure(1, 3, width=11.0, height=3.6)
    first = next(iter(groups.values()))[0]
    K = int(first["config"]["episodes"])
    for ax, kind in zip(axes[0][:2], ("TV", "KL")):
        panel = sorted([(k, g) for k, g in tuned if g[0]["config"]["set"]["kind"] == kind],
                       key=lambda kg: kg[1][0]["config"]["set"]["radius"])
        if not panel:
            ax.set_visible(False)
            continue
        y_end = _regret_panel(ax, panel, summary=summary, study="regret_k")
        _reference(ax, K, y_end * 1.3, 0.5, r"$\propto\sqrt{K}$")
        ax.plot([], [], color="k", ls="--", lw=1.0, label="certified bound $\\sum_k(\\bar V-\\underline{V})(s_1)$")
        cb = panel[0][1][0]["config"]["learner"]["c_b"]
        ax.set_title(f"{kind} balls, Hoeffding bonus $c_b$={cb:g}")
        ax.legend(loc="lower right", fontsize=6.8)
    ax = axes[0][2]
    if theory:
        theory.sort(key=lambda kg: kg[1][0]["config"]["set"]["kind"], reverse=True)
        y_end = _regret_panel(ax, theory, summary=summary, study="regret_k", colors=COLORS[4:])
        _reference(ax, K, y_end * 1.3, 1.0, "$\\propto K$ (linear)")
        ax.set_title("$c_b$=1 (theory form): bonus saturated over $K$")
        ax.plot([], [], color="k", ls="--", lw=1.0, label="certified bound")
        ax.legend(loc="lower right", fontsize=6.8)
    else:
        ax.set_visible(False)
    seeds = len(next(iter(groups.values())))
    fig.suptitle(f"Cumulative robust regret of MORNAVI (CCE) vs $K$ — {_game_text(first)}; mean and 95% band over "
                 f"{seeds} seeds; slopes fitted on $k\\geq K/2$ (95% CI over seeds)", fontsize=9.5)
    fig.tight_layout()
    return save(fig, figures_dir, "regret_vs_K")


# -- figure 2: scaling ----------------------------------------------------------------------

_AXIS = {"S": "number of states $S$", "A": r"joint actions $\prod_i A_i$", "H": "horizon $H$",
         "inv_sigma": r"$1/\sigma$ (TV radius $\sigma$)"}


def _fig_scaling(records, figures_dir, summary):
    by_vary = defaultdict(list)
    for r in records:
        by_vary[r["config"]["vary"]].append(r)
    order = [v for v in ("S", "A", "H", "inv_sigma") if v in by_vary]
    ncols = 2 if len(order) > 1 else 1
    nrows = (len(order) + ncols - 1) // ncols
    fig, axes = figure(nrows, ncols, width=7.6, height=3.0 * nrows)
    flat = [a for row in axes for a in row]
    for a in flat[len(order):]:
        a.set_visible(False)
    K = seeds = None
    for ax, vary in zip(flat, order):
        groups = sorted(_group(by_vary[vary]).values(), key=lambda g: g[0]["config"]["x"])
        xs = np.array([g[0]["config"]["x"] for g in groups], dtype=float)
        R = [np.array([r["values"]["final_regret"] for r in g]) for g in groups]
        B = [np.array([r["values"]["final_bound_regret"] for r in g]) for g in groups]
        scale = np.array([np.mean([r["values"]["bound_scale"] for r in g]) for g in groups])
        K = groups[0][0]["config"]["episodes"]
        seeds = len(groups[0])
        mean = np.array([r.mean() for r in R])
        half = np.array([stats.t.ppf(0.975, len(r) - 1) * r.std(ddof=1) / math.sqrt(len(r)) if len(r) > 1 else 0.0
                         for r in R])
        xfit = np.concatenate([np.full(len(r), x) for x, r in zip(xs, R)])
        yfit = np.concatenate(R)
        ok = yfit > 0
        fit = stats.linregress(np.log(xfit[ok]), np.log(yfit[ok]))
        tq = stats.t.ppf(0.975, ok.sum() - 2)
        ax.errorbar(xs, mean, yerr=half, color=COLORS[0], marker="o", ms=4, capsize=2,
                    label=f"regret: slope {fit.slope:.2f} $\\pm$ {tq * fit.stderr:.2f}")
        bmean = np.array([b.mean() for b in B])
        bfit = stats.linregress(np.log(xs), np.log(bmean))
        ax.plot(xs, bmean, color=COLORS[1], marker="s", ms=3.5, mfc="none",
                label=f"certified bound: slope {bfit.slope:.2f}")
        # the bound's predicted growth, through the first regret point
        xx = np.geomspace(xs[0], xs[-1], 60)
        pred = np.interp(np.log(xx), np.log(xs), np.log(scale))
        local = np.diff(np.log(scale)) / np.diff(np.log(xs))
        ptxt = ", ".join(f"{e:.2g}" for e in local) if np.ptp(local) > 0.05 else f"{local.mean():.2g}"
        ax.plot(xx, mean[0] * np.exp(pred - pred[0]), color="0.3", ls="--", lw=1.1,
                label=f"bound shape, exponent {ptxt}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(_AXIS[vary])
        fixed = groups[0][0]["config"]
        g = fixed["game"]
        others = {"S": f"A={g['n_actions'][0]}x{g['n_actions'][1]}, H={g['horizon']}, $\\sigma$={fixed['set']['radius']:g}",
                  "A": f"S={g['n_states']}, H={g['horizon']}, $\\sigma$={fixed['set']['radius']:g}",
                  "H": f"S={g['n_states']}, A=2x2, $\\sigma$={fixed['set']['radius']:g}",
                  "inv_sigma": f"S={g['n_states']}, A=2x2, H={g['horizon']}"}[vary]
        ax.set_title(f"vary {vary if vary != 'inv_sigma' else '1/σ'} ({others})", fontsize=8.5)
        ax.legend(loc="upper left", fontsize=6.8)
        ax.minorticks_off()
        ax.set_xticks(xs, [f"{x:g}" for x in xs])
        summary.append({"study": "regret_scaling", "vary": vary, "x": xs.tolist(), "regret": mean.tolist(),
                        "fit": {"slope": float(fit.slope), "low": float(fit.slope - tq * fit.stderr),
                                "high": float(fit.slope + tq * fit.stderr)},
                        "bound_slope": float(bfit.slope), "predicted_exponents": local.tolist()})
    for a in flat[:len(order)]:
        a.set_ylabel(f"regret at K={K}")
    fig.suptitle(f"Regret of MORNAVI (CCE, TV, $c_b$=0.1) at fixed K={K}: random constant-sum fail-state games,\n"
                 f"one per seed, mean and 95% CI over {seeds} seeds; dashed: growth of the TV bound "
                 r"$\sqrt{\min(H,1/\sigma)\,H^2 S K\prod_i A_i}$", fontsize=9)
    fig.tight_layout()
    return save(fig, figures_dir, "regret_scaling")


# -- figure 3: baselines --------------------------------------------------------------------


def _fig_baselines(records, figures_dir, summary):
    by_set = defaultdict(list)
    for r in records:
        by_set[(r["config"]["set"]["kind"], r["config"]["set"]["radius"])].append(r)
    sets = sorted(by_set, reverse=True)
    fig, axes = figure(2, len(sets), width=3.5 * len(sets), height=5.6)
    order = ["MORNAVI", "OptimisticNashVI", "DRNVI", "UniformPolicy"]
    seeds = None
    for col, key in enumerate(sets):
        groups = sorted(_group(by_set[key]).values(), key=lambda g: order.index(g[0]["config"]["learner"]["kind"]))
        seeds = len(groups[0])
        ax = axes[0][col]
        _regret_panel(ax, [(None, g) for g in groups], summary=summary, study="baselines", show_bound=False,
                      label=lambda r: _learner_text(r["config"]))
        ax.set_title(f"{key[0]} $\\sigma$={key[1]:g}: cumulative robust regret")
        ax.legend(loc="lower right", fontsize=6.0)
        ax = axes[1][col]
        for i, g in enumerate(groups):
            k, G = _stack(g, "gap_mean")
            m, lo, hi = mean_band(G)
            ax.plot(k, np.maximum(m, 1e-6), color=COLORS[i], label=_learner_text(g[0]["config"]))
            ax.fill_between(k, np.maximum(lo, 1e-6), np.maximum(hi, 1e-6), color=COLORS[i], alpha=0.2, lw=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("episode $k$")
        ax.set_ylabel("robust CCE gap of $\\pi^k$")
        ax.set_title(f"{key[0]} $\\sigma$={key[1]:g}: per-episode robust gap (block means)")
    first = records[0]
    fig.suptitle(f"MORNAVI vs non-robust baselines — {_game_text(first)}; mean and 95% band over {seeds} seeds",
                 fontsize=9.5, y=1.01)
    fig.tight_layout()
    return save(fig, figures_dir, "baselines")


# -- figure 4: lower bound ------------------------------------------------------------------


def _fig_lower_bound(records, figures_dir, summary):
    groups = sorted(_group(records).values(), key=lambda g: (g[0]["config"]["game"]["kind"] != "support_shift",
                                                               g[0]["config"]["game"].get("variant", 0)))
    fig, axes = figure(1, 2, width=8.0, height=3.2)
    seeds = len(groups[0])
    K = int(groups[0][0]["config"]["episodes"])
    positive, zero = [], []
    for g in groups:
        (positive if g[0]["values"]["final_regret"] > 0 else zero).append(g)
    label = lambda r: _game_text(r).replace(" game", "")  # noqa: E731
    color_of = {id(g): COLORS[i] for i, g in enumerate(groups)}
    _regret_panel(axes[0][0], [(None, g) for g in positive], summary=summary, study="lower_bound",
                  show_bound=False, label=label, colors=[color_of[id(g)] for g in positive])
    y = max(g[0]["values"]["final_regret"] for g in positive)
    _reference(axes[0][0], K, y * 1.5, 1.0, r"$\propto K$")
    _reference(axes[0][0], K, y * 0.02, 0.5, r"$\propto\sqrt{K}$")
    for g in zero:
        summary.append({"study": "lower_bound", "game": _game_text(g[0]), "set": g[0]["config"]["set"],
                        "K": K, "seeds": len(g), "regret": 0.0, "fit": fit_slope(*_stack(g, "regret"))})
    note = "; ".join(f"{label(g[0])}: regret 0 (the learner's arbitrary choice at HIDDEN is the rewarded one)"
                     for g in zero)
    ax = axes[0][0]
    ax.set_title("log-log: slope 1 (linear) vs slope $\\leq$ 1/2", fontsize=9)
    ax.legend(loc="lower right", fontsize=6.5)
    ax = axes[0][1]
    for i, g in enumerate(groups):
        k, Y = _stack(g, "regret")
        m, lo, hi = mean_band(Y)
        ax.plot(k, m, color=COLORS[i], label=label(g[0]))
        ax.fill_between(k, lo, hi, color=COLORS[i], alpha=0.2, lw=0)
    ax.set_xlabel("episodes $k$")
    ax.set_ylabel("cumulative robust regret")
    ax.set_title("linear axes", fontsize=9)
    ax.legend(loc="upper left", fontsize=6.8)
    sigma = groups[0][0]["config"]["set"]["radius"]
    fig.suptitle(f"Support shift forces linear regret (TV $\\sigma$={sigma:g}, MORNAVI); a fail state avoids it — "
                 f"mean and 95% band over {seeds} seeds", fontsize=9.5, y=1.02)
    if note:
        fig.text(0.5, -0.04, note, ha="center", fontsize=7)
    fig.tight_layout()
    return save(fig, figures_dir, "lower_bound")


# -- figure 5: cooperative games ------------------------------------------------------------


def _fig_cooperative(records, figures_dir, summary):
    groups = list(_group(records).values())
    fig, axes = figure(1, len(groups), width=3.6 * len(groups), height=3.2)
    for ax, g in zip(axes[0], groups):
        y = _regret_panel(ax, [(None, g)], summary=summary, study="cooperative",
                          label=lambda r: f"regret ({_set_text(r)})")
        K = int(g[0]["config"]["episodes"])
        if y > 0:
            _reference(ax, K, y * 1.3, 0.5, r"$\propto\sqrt{K}$")
        ax.plot([], [], color="k", ls="--", lw=1.0, label="certified bound")
        ax.set_title(_game_text(g[0]), fontsize=8.5)
        ax.legend(loc="upper left", fontsize=6.8)
    fig.suptitle(f"Cooperative games (team reward), MORNAVI (CCE) — mean and 95% band over {len(groups[0])} seeds",
                 fontsize=9.5, y=1.03)
    fig.tight_layout()
    return save(fig, figures_dir, "cooperative")


# -- figure 6: minimax instances ----------------------------------------------------------


def _fig_minimax(records, figures_dir, summary):
    by_set = defaultdict(list)
    for r in records:
        by_set[(r["config"]["set"]["kind"], r["config"]["set"]["radius"])].append(r)
    sets = sorted(by_set, reverse=True)  # TV first
    fig, axes = figure(1, 1, width=5.4, height=4.0)
    ax = axes[0][0]
    seeds = c = None
    y_top = 0.0
    for i, key in enumerate(sets):
        groups = sorted(_group(by_set[key]).values(), key=lambda g: g[0]["config"]["episodes"])
        Ks = np.array([g[0]["config"]["episodes"] for g in groups], dtype=float)
        R = [np.array([r["values"]["final_regret"] for r in g]) for g in groups]
        seeds = len(groups[0])
        c = groups[0][0]["config"]["game"]["c"]
        mean = np.array([r.mean() for r in R])
        half = np.array([stats.t.ppf(0.975, len(r) - 1) * r.std(ddof=1) / math.sqrt(len(r)) if len(r) > 1 else 0.0
                         for r in R])
        xfit = np.concatenate([np.full(len(r), K) for K, r in zip(Ks, R)])
        yfit = np.concatenate(R)
        ok = yfit > 0
        if ok.sum() > 2 and len(np.unique(xfit[ok])) > 1:
            lr = stats.linregress(np.log(xfit[ok]), np.log(yfit[ok]))
            h = float(stats.t.ppf(0.975, ok.sum() - 2) * lr.stderr)
            fit = {"slope": float(lr.slope), "low": float(lr.slope - h), "high": float(lr.slope + h), "n": int(ok.sum())}
        else:
            fit = {"slope": float("nan"), "low": float("nan"), "high": float("nan"), "n": int(ok.sum())}
        ax.errorbar(Ks, mean, yerr=half, color=COLORS[i], marker="o", ms=4, capsize=2,
                    label=f"{_set_text(groups[0][0])}: {_slope_text(fit)}")
        y_top = max(y_top, float(mean.max()))
        summary.append({"study": "regret_minimax", "game": f"minimax game delta_K={c:g}/sqrt(K) (S=3,2x2,H=2)",
                        "set": groups[0][0]["config"]["set"], "learner": groups[0][0]["config"]["learner"],
                        "K": int(Ks[-1]), "seeds": seeds, "regret": float(mean[-1]), "fit": fit,
                        "K_grid": Ks.tolist(), "regret_by_K": mean.tolist()})
        K_end = Ks[-1]
    xs = np.geomspace(Ks[0], K_end, 50)
    ax.plot(xs, 1.3 * y_top * np.sqrt(xs / K_end), color="0.35", ls=":", lw=1.2, label=r"$\propto\sqrt{K}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(Ks, [f"{k:g}" for k in Ks])
    ax.tick_params(axis="x", which="minor", bottom=False, labelbottom=False)
    ax.set_xlabel("episodes $K$ (one game per $K$)")
    ax.set_ylabel("robust regret at the end of $K$ episodes")
    ax.legend(loc="upper left", fontsize=7)
    ax.set_title(f"Minimax instances: robust gap $\\delta_K = {c:g}/\\sqrt{{K}}$ (2-player team game, fail state)\n"
                 f"MORNAVI (CCE, $c_b$=0.1); mean and 95% CI over {seeds} seeds; "
                 f"slope: fit over all runs (95% CI)", fontsize=8.5)
    fig.tight_layout()
    return save(fig, figures_dir, "regret_minimax")


_FIGURES = {"regret_k": _fig_regret_vs_k, "regret_scaling": _fig_scaling, "baselines": _fig_baselines,
            "lower_bound": _fig_lower_bound, "cooperative": _fig_cooperative, "regret_minimax": _fig_minimax}


def draw(data_dir, figures_dir, studies=None) -> tuple[list[Path], dict]:
    """Draw every figure whose study has records; write ``summary.json``.

    Returns the paths written and the summary (fitted slopes per curve, checks per study).
    """
    data_dir, figures_dir = Path(data_dir), Path(figures_dir)
    paths: list[Path] = []
    summary = {"slopes": [], "checks": {}}
    for study, drawer in _FIGURES.items():
        if studies is not None and study not in studies:
            continue
        records = load(data_dir, study)
        if not records:
            continue
        summary["checks"][study] = checks(records)
        paths += drawer(records, figures_dir, summary["slopes"])
    figures_dir.mkdir(parents=True, exist_ok=True)
    out = figures_dir / "summary.json"
    out.write_text(json.dumps(summary, indent=1, default=float))
    paths.append(out)
    return paths, summary


def report(summary: dict) -> str:
    """Plain-text table of the fitted slopes and the checks."""
    lines = ["Fitted log-log slopes of cumulative regret (k >= K/2; mean over seeds, 95% CI):"]
    for e in summary["slopes"]:
        f = e["fit"]
        if "vary" in e:
            lines.append(f"  {e['study']:<15} regret at fixed K vs {e['vary']:<9} slope {f['slope']:.2f} "
                         f"[{f['low']:.2f}, {f['high']:.2f}]   (bound: {e['bound_slope']:.2f}; "
                         f"TV bound exponents {', '.join(f'{x:.2g}' for x in e['predicted_exponents'])})")
            continue
        s = e["set"]
        if e["study"] == "regret_minimax":
            lines.append(f"  {e['study']:<15} {e['game'][:48]:<48} {s['kind']} {s['radius']:<5g} final regret vs K "
                         f"(K={', '.join(f'{k:g}' for k in e['K_grid'])}; fit over all runs): slope {f['slope']:.2f} "
                         f"[{f['low']:.2f}, {f['high']:.2f}]  (sqrt(K): 0.5); regret at K={e['K']}: {e['regret']:.2f}")
            continue
        who = _learner_text({"learner": e["learner"]}) if "learner" in e else "MORNAVI"
        b = f"  bound slope {e['bound_fit']['slope']:.2f}" if "bound_fit" in e else ""
        lines.append(f"  {e['study']:<15} {e['game'][:48]:<48} {s['kind']} {s['radius']:<5g} {who[:34]:<34} "
                     f"K={e['K']:<6} regret {e['regret']:9.2f}  slope {f['slope']:.2f} [{f['low']:.2f}, {f['high']:.2f}]{b}")
    lines.append("Checks (every stored episode):")
    for study, c in summary["checks"].items():
        if not c.get("runs"):
            continue
        lines.append(f"  {study:<15} runs {c['runs']:<4} min gap {c['min_gap']:.3g}  certified-bound violations "
                     f"{c['bound_violations']} (runs with a bound: {c['runs_with_bound']}; episodes without a "
                     f"certificate: {c['episodes_without_certificate']})")
    return "\n".join(lines)
