"""Figures of the regret experiments (reads ONLY the stored records of ``experiments/regret``).

``draw(data_dir, figures_dir)`` draws, as PNG and PDF, each with a caption file
``<figure>.txt`` (what is certified, what is an estimate, how slopes are fitted):

1. ``regret_vs_K`` (study ``regret_k``): fixed games with mixed robust equilibria;
   MORNAVI, non-robust optimistic Nash-VI, uniform play (and DR-NVI with a generative
   model); cumulative regret and ``regret / sqrt(k)`` (flat = ``sqrt(K)`` growth).
2. ``regret_hard``: the hard-instance family of the lower bound (a fresh instance per
   seed); uniform play's regret is linear, a learner's sublinear.
3. ``regret_scaling``: regret at a fixed ``K`` as ``S``, ``prod A_i``, ``H``, ``1/sigma``
   grow, with the growth of the TV bound and the expected visits per ``(h, s, a)``.
4. ``lower_bound``: the support-shift games (linear regret) and a fail-state game.
5. ``cooperative``: the chute-mapping game as a cooperative Markov game.

"Certified bound" is drawn only for runs whose ``bound`` is finite (a proof covers them:
MORNAVI, TV, Hoeffding bonus, ``c_b >= 1``); the learner's own ``Vbar - Vlow`` elsewhere
is an optimistic estimate (stored in ``summary.json``, not drawn).

Slopes: for every seed, least squares of ``log Regret(k)`` on ``log k`` over the stored
checkpoints with ``k >= K/10`` (:data:`FIT_START`); the reported slope is the mean over
seeds with a Student-t 95% interval. ``summary.json`` lists every slope and the checks
(smallest gap over all episodes, certified-bound violations, configurations whose seeds
gave identical curves).
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np
from matplotlib.ticker import NullLocator
from scipy import stats

from ._style import COLORS, band, figure, legend_below, save, write_caption

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


FIT_START = 0.1  # slopes of regret curves: least squares over k >= K/10 (the last decade)
FIT_NOTE = ("log-log slopes: least squares of log Regret(k) on log k over k >= K/10 per seed, "
            "mean over seeds with a Student-t 95% interval")


def _game_text(r) -> str:
    g = r["config"]["game"]
    v = r["values"]
    if g["kind"].startswith("fail_state"):
        kind = "constant-sum fail-state game" if g["kind"] == "fail_state_cs" else "fail-state game"
        acts = "x".join(str(a) for a in g["n_actions"])
        return f"{kind} (S={g['n_states']}, A={acts}, H={g['horizon']})"
    if g["kind"] == "support_shift":
        return f"support-shift game (variant {g['variant']}, H={g['horizon']})"
    if g["kind"] == "mixed_fail_state":
        return "mixed-equilibrium fail-state game (S=4, A=2x2, H=2)"
    if g["kind"] == "hidden_action":
        acts = "x".join(str(a) for a in g["n_actions"])
        return f"hidden-action team game (A={acts}, eps={g['eps']:g}, H=2)"
    return f"{v['game_name']} (S={v['n_states']}, |A|={v['n_joint_actions']}, H={v['horizon']})"


def _set_text(r) -> str:
    s = r["config"]["set"]
    return f"{s['kind']} $\\sigma$={s['radius']:g}"


def _learner_key(cfg) -> tuple:
    lr = cfg["learner"]
    return (lr["kind"], lr.get("c_b"))


_LEARNER_ORDER = ["MORNAVI", "OptimisticNashVI", "DRNVI", "UniformPolicy"]


def _learner_sort(g):
    kind, cb = _learner_key(g[0]["config"])
    return (_LEARNER_ORDER.index(kind), -(cb or 0.0))


def _learner_text(cfg) -> str:
    lr = cfg["learner"]
    if lr["kind"] == "MORNAVI":
        extra = "" if lr["c_b"] >= 1.0 else ", heuristic"
        return f"MORNAVI ($c_b$={lr['c_b']:g}{extra})"
    if lr["kind"] == "OptimisticNashVI":
        return f"Nash-VI (non-robust, $c_b$={lr.get('c_b', 1.0):g})"
    if lr["kind"] == "DRNVI":
        return f"DR-NVI (generative model, N={lr['samples']})"
    return "uniform play"


def _learner_style(cfg) -> dict:
    kind, cb = _learner_key(cfg)
    if kind == "MORNAVI":
        return {"color": COLORS[0], "ls": "-"} if cb >= 1.0 else {"color": COLORS[6], "ls": "-."}
    return {"OptimisticNashVI": {"color": COLORS[1], "ls": "-"}, "DRNVI": {"color": COLORS[3], "ls": ":"},
            "UniformPolicy": {"color": COLORS[7], "ls": "--"}}[kind]


def _plain(text: str) -> str:
    return text.replace("$c_b$", "c_b").replace("$\\sigma$", "sigma")


# -- checks -------------------------------------------------------------------------------


def checks(records) -> dict:
    """Smallest gap over every stored episode and certified-bound violations."""
    records = list(records)
    if not records:
        return {"runs": 0}
    with_bound = [r for r in records if r["values"].get("certified", r["values"]["has_bound"])]
    groups = _group(records)
    identical = [_plain(_learner_text(g[0]["config"])) + " on " + _game_text(g[0]) for g in groups.values()
                 if len(g) > 1 and _seeds_identical(g)]
    return {
        "runs": len(records),
        "min_gap": min(r["values"]["min_gap"] for r in records),
        "runs_certified": len(with_bound),
        "runs_with_bound": len(with_bound),
        "bound_violations": int(sum(r["values"]["bound_violations"] for r in with_bound)),
        "max_bound_excess": max((r["values"]["max_bound_excess"] for r in with_bound
                                 if isinstance(r["values"]["max_bound_excess"], float)), default=float("nan")),
        "episodes_without_certificate": int(sum(r["values"]["bound_missing"] for r in with_bound)),
        "configs_with_identical_seeds": identical,
    }


def _seeds_identical(g) -> bool:
    Y = np.vstack([r["arrays"]["regret"] for r in g])
    return bool(np.all(np.ptp(Y, axis=0) == 0.0))


# -- shared drawing -----------------------------------------------------------------------


def _entry(study, g, f, **extra) -> dict:
    k, Y = _stack(g, "regret")
    v = g[0]["values"]
    e = {"study": study, "game": _game_text(g[0]), "set": g[0]["config"]["set"],
         "learner": g[0]["config"]["learner"], "learner_name": _plain(_learner_text(g[0]["config"])),
         "K": int(k[-1]), "seeds": len(g), "regret": float(Y[:, -1].mean()), "fit": f,
         "fit_window": f"k >= {FIT_START:g} K", "certified": bool(v.get("certified", v["has_bound"])),
         "seeds_identical": _seeds_identical(g)}
    if e["certified"]:
        e["certified_bound_regret"] = float(np.mean([r["values"]["final_bound_regret"] for r in g]))
    est = np.vstack([r["arrays"].get("estimate_regret", np.full(len(k), np.nan)) for r in g])
    if np.isfinite(est).all():
        e["optimistic_estimate_regret"] = float(est[:, -1].mean())
    sat = np.vstack([r["arrays"].get("saturated", np.full(len(k), np.nan)) for r in g])
    if np.isfinite(sat).all():
        e["saturated_fraction_last_block"] = float(sat[:, -1].mean())
    e.update(extra)
    return e


def _coincide_notes(groups) -> dict:
    """``{id(group): text}`` for groups whose mean curve equals an earlier group's (drawn
    under it), so no series is hidden without a note."""
    notes, means = {}, []
    for g in groups:
        m = _stack(g, "regret")[1].mean(axis=0)
        for other, mo in means:
            if mo.shape == m.shape and np.allclose(m, mo, rtol=1e-9, atol=1e-9):
                notes[id(g)] = f"\n    (same curve as {_learner_text(other[0]['config'])}, drawn under it)"
                break
        means.append((g, m))
    return notes


LOG_BAND_NOTE = ("On log axes the lower end of a band is cut at a tenth of the mean where the interval "
                 "reaches below it (the interval of a mean can include values <= 0).")


def _curves(ax_reg, ax_norm, groups, *, study, summary, legend_ax=None):
    """Regret (log-log) on ``ax_reg`` and regret / sqrt(k) on ``ax_norm``; one line per
    group; labels (learner, slope, certified bound) go to ``legend_ax`` (default: the last
    axes given)."""
    legend_ax = legend_ax or ax_norm or ax_reg
    notes = _coincide_notes(groups)
    for g in groups:
        st = dict(_learner_style(g[0]["config"]))
        kind, cb = _learner_key(g[0]["config"])
        st["zorder"] = 3 if kind == "MORNAVI" and cb >= 1.0 else 2
        k, Y = _stack(g, "regret")
        f = fit_slope(k, Y, start=FIT_START)
        zero = bool(np.all(Y[:, -1] <= 0))
        name = _learner_text(g[0]["config"])
        label = (f"{name}: regret 0 (not drawn on log axes)" if zero
                 else f"{name}: {_slope_text(f)}{notes.get(id(g), '')}")
        m, lo, hi = mean_band(Y)
        lo = np.maximum(lo, m / 10.0)
        for ax, scale in ((ax_reg, 1.0), (ax_norm, 1.0 / np.sqrt(k))):
            if ax is None or zero:
                continue
            ok = m > 0
            ax.plot(k[ok], (m * scale)[ok], **st)
            band(ax, k[ok], (lo * scale)[ok], (hi * scale)[ok], st["color"])
        legend_ax.plot([], [], label=label, **st)
        if g[0]["values"].get("certified") and ax_reg is not None:
            _, B = _stack(g, "bound_regret")
            cst = {"color": st["color"], "ls": (0, (5, 2)), "lw": 0.9}
            ax_reg.plot(k, B.mean(axis=0), **cst)
            legend_ax.plot([], [], label=f"certified bound $\\sum_k$ bound$_k$ of {name}" + (" (regret panel)" if ax_norm is not None else ""),
                           **cst)
        summary.append(_entry(study, g, f))
    for ax in (ax_reg, ax_norm):
        if ax is not None:
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("episodes $k$")
    if ax_reg is not None:
        ax_reg.set_ylabel("cumulative robust regret")
    if ax_norm is not None:
        ax_norm.set_ylabel(r"regret / $\sqrt{k}$")


def _certified_note(groups) -> str:
    cert = [_plain(_learner_text(g[0]["config"])) for g in groups if g[0]["values"].get("certified")]
    if cert:
        return (f"Certified (a proof covers it: TV set, Hoeffding bonus, c_b >= 1): the bound of {', '.join(cert)} "
                f"(dashed). Not certified: every other learner and every KL run; their optimistic estimates "
                f"(learner's Vbar - Vlow) are in summary.json, not drawn.")
    return ("Nothing in this figure is certified (no run has TV, Hoeffding and c_b >= 1); the learners' "
            "optimistic estimates (Vbar - Vlow) are in summary.json, not drawn.")


# -- figure 1: fixed games (regret vs K) ---------------------------------------------------


def _fig_regret_vs_k(records, figures_dir, summary):
    panels = defaultdict(list)
    for g in _group(records).values():
        c = g[0]["config"]
        panels[(c["game"]["kind"] != "mixed_fail_state", c["set"]["kind"] == "KL", c["set"]["radius"])].append(g)
    keys = sorted(panels)
    fig, axes = figure(2, len(keys), width=3.7 * len(keys), height=6.4)
    seeds = None
    for col, key in enumerate(keys):
        groups = sorted(panels[key], key=_learner_sort)
        seeds = len(groups[0])
        _curves(axes[0][col], axes[1][col], groups, study="regret_k", summary=summary)
        axes[0][col].set_title(f"{_game_text(groups[0][0])}\n{_set_text(groups[0][0])}", fontsize=8.5)
        legend_below(axes[1][col], offset=-0.2, fontsize=6.3)
        axes[1][col].set_title("regret / $\\sqrt{k}$: flat = $\\sqrt{K}$ growth, falling = slower", fontsize=8)
    fig.suptitle(f"Robust regret on fixed games with mixed robust equilibria (CCE gap); mean and 95% band over {seeds} "
                 f"seeds; legend: log-log slope over $k \\geq K/10$ [95% CI]", fontsize=9.5)
    fig.tight_layout()
    all_groups = [g for gs in panels.values() for g in gs]
    caption = (f"regret_vs_K. Cumulative robust regret (exact CCE gap of each episode's policy under the robust "
               f"objective) on fixed games whose robust equilibria are mixed; MORNAVI, non-robust optimistic Nash-VI "
               f"and uniform play on the same instance and seeds; DR-NVI plans once from N=100 generative samples per "
               f"(h,s,a) (a different data access: not an online learner). Bottom row: regret/sqrt(k); a curve that "
               f"flattens grows like sqrt(k), one that falls grows slower. {FIT_NOTE}; the slope is a local "
               f"measurement over one decade, not an asymptotic rate. {_certified_note(all_groups)} Uniform play's "
               f"gap does not depend on the episode's randomness, so its seeds coincide (zero-width band). {LOG_BAND_NOTE}")
    cap = write_caption(figures_dir, "regret_vs_K", caption)
    return save(fig, figures_dir, "regret_vs_K") + [cap]


# -- figure 2: hard-instance family ---------------------------------------------------------


def _fig_hard(records, figures_dir, summary):
    groups = sorted(_group(records).values(), key=_learner_sort)
    fig, axes = figure(1, 2, width=11.0, height=3.4)
    n0 = len(summary)
    _curves(axes[0][0], axes[0][1], groups, study="regret_hard", summary=summary)
    axes[0][1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=6.5, frameon=False)
    axes[0][0].set_title("cumulative robust regret", fontsize=8.5)
    axes[0][1].set_title("regret / $\\sqrt{k}$", fontsize=8.5)
    r0 = groups[0][0]
    g = r0["config"]["game"]
    A = int(np.prod(g["n_actions"]))
    uni = (max(g["n_actions"]) - 1) * g["eps"] / A
    seeds = len(groups[0])
    fig.suptitle(f"Lower-bound family: {_game_text(r0)}, {_set_text(r0)}; a fresh instance (good joint action drawn "
                 f"uniformly) per seed;\nmean and 95% band over {seeds} instances; legend: slope over $k\\geq K/10$ "
                 f"[95% CI]", fontsize=9)
    fig.tight_layout()
    fits = {e["learner_name"]: e["fit"] for e in summary[n0:]}
    uniform = fits.get("uniform play")
    mor = next((f for n, f in fits.items() if n.startswith("MORNAVI (c_b=1")), None)
    if uniform and mor:
        d = {"uniform_minus_mornavi_slope": uniform["slope"] - mor["slope"],
             "cis_disjoint": bool(uniform["low"] > mor["high"]), "criterion": "difference >= 0.3 and disjoint CIs"}
        d["passes"] = bool(d["uniform_minus_mornavi_slope"] >= 0.3 and d["cis_disjoint"])
        summary.append({"study": "regret_hard", "discrimination": d})
    caption = (f"regret_hard. Hard-instance family of the Omega(sqrt(K prod A_i)) lower bound: a two-step team game "
               f"in which one joint action, drawn uniformly for each seed, reaches the rewarded state with probability "
               f"1/2 + eps and all others with 1/2 (eps = {g['eps']:g}, prod A_i = {A}, fail state, TV ball). Uniform "
               f"play has robust CCE gap eps (max_i A_i - 1)/prod A_i = {uni:.4g} in every episode on every instance, "
               f"hence linear regret and identical seeds; a learner that finds the good action (or a zero-gap "
               f"equilibrium) has sublinear regret. At a fixed eps the achievable rate is gap-dependent (log K); the "
               f"lower bound's sqrt(K) needs eps ~ sqrt(prod A_i / K). {FIT_NOTE}. {_certified_note(groups)} "
               f"{LOG_BAND_NOTE}")
    cap = write_caption(figures_dir, "regret_hard", caption)
    return save(fig, figures_dir, "regret_hard") + [cap]


# -- figure 3: scaling ----------------------------------------------------------------------

_AXIS = {"S": "number of states $S$", "A": r"joint actions $\prod_i A_i$", "H": "horizon $H$",
         "inv_sigma": r"$1/\sigma$ (TV radius $\sigma$)"}


def _fig_scaling(records, figures_dir, summary):
    by_vary = defaultdict(list)
    for r in records:
        by_vary[r["config"]["vary"]].append(r)
    order = [v for v in ("S", "A", "H", "inv_sigma") if v in by_vary]
    ncols = 2 if len(order) > 1 else 1
    nrows = (len(order) + ncols - 1) // ncols
    fig, axes = figure(nrows, ncols, width=8.4, height=3.4 * nrows + 0.6)
    flat = [a for row in axes for a in row]
    for a in flat[len(order):]:
        a.set_visible(False)
    K = seeds = None
    visits_lines = []
    for ax, vary in zip(flat, order):
        by_learner = defaultdict(list)
        for g in _group(by_vary[vary]).values():
            by_learner[_learner_key(g[0]["config"])].append(g)
        fixed = None
        for lkey in sorted(by_learner, key=lambda t: _LEARNER_ORDER.index(t[0])):
            groups = sorted(by_learner[lkey], key=lambda g: g[0]["config"]["x"])
            cfg0 = groups[0][0]["config"]
            st = _learner_style(cfg0)
            xs = np.array([g[0]["config"]["x"] for g in groups], dtype=float)
            R = [np.array([r["values"]["final_regret"] for r in g]) for g in groups]
            K = cfg0["episodes"]
            seeds = len(groups[0])
            mean = np.array([r.mean() for r in R])
            half = np.array([stats.t.ppf(0.975, len(r) - 1) * r.std(ddof=1) / math.sqrt(len(r)) if len(r) > 1
                             else 0.0 for r in R])
            xfit = np.concatenate([np.full(len(r), x) for x, r in zip(xs, R)])
            yfit = np.concatenate(R)
            ok = yfit > 0
            fit = stats.linregress(np.log(xfit[ok]), np.log(yfit[ok]))
            tq = stats.t.ppf(0.975, ok.sum() - 2)
            f = {"slope": float(fit.slope), "low": float(fit.slope - tq * fit.stderr),
                 "high": float(fit.slope + tq * fit.stderr)}
            ax.errorbar(xs, mean, yerr=half, marker="o", ms=3.5, capsize=2, color=st["color"], ls=st["ls"],
                        label=f"{_learner_text(cfg0)}: {_slope_text(f)}")
            entry = {"study": "regret_scaling", "vary": vary, "learner_name": _plain(_learner_text(cfg0)),
                     "x": xs.tolist(), "regret": mean.tolist(), "fit": f,
                     "fit_method": "least squares of log final regret on log x over every (x, seed) run, t interval"}
            if "visits_median" in groups[0][0]["values"]:
                vmed = [float(np.median([r["values"]["visits_median"] for r in g])) for g in groups]
                vmin = [float(np.median([r["values"]["visits_min"] for r in g])) for g in groups]
                entry["expected_visits_median"] = vmed
                entry["expected_visits_min"] = vmin
                visits_lines.append(f"  vary {vary}, {_plain(_learner_text(cfg0))}: x = "
                                    + ", ".join(f"{x:g}: median {m:.0f} / min {n:.2g}" for x, m, n in zip(xs, vmed, vmin)))
            if lkey[0] == "MORNAVI":
                fixed = groups
                if groups[0][0]["values"].get("certified"):
                    bmean = np.array([np.mean([r["values"]["final_bound_regret"] for r in g]) for g in groups])
                    bfit = stats.linregress(np.log(xs), np.log(bmean))
                    ax.plot(xs, bmean, color=st["color"], marker="s", ms=3, mfc="none", ls=(0, (5, 2)), lw=0.9,
                            label=f"certified bound (MORNAVI): slope {bfit.slope:.2f}")
                    entry["certified_bound_slope"] = float(bfit.slope)
                scale = np.array([np.mean([r["values"]["bound_scale"] for r in g]) for g in groups])
                xx = np.geomspace(xs[0], xs[-1], 60)
                pred = np.interp(np.log(xx), np.log(xs), np.log(scale))
                local = np.diff(np.log(scale)) / np.diff(np.log(xs))
                ptxt = ", ".join(f"{e:.2g}" for e in local) if np.ptp(local) > 0.05 else f"{local.mean():.2g}"
                ax.plot(xx, mean[0] * np.exp(pred - pred[0]), color="0.3", ls=":", lw=1.1,
                        label=f"TV bound's shape, exponent {ptxt}")
                entry["predicted_exponents"] = local.tolist()
            summary.append(entry)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(_AXIS[vary])
        ax.set_ylabel(f"regret at K={K}")
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticks(xs, [f"{x:g}" for x in xs])
        cfg = fixed[0][0]["config"] if fixed else by_vary[vary][0]["config"]
        g = cfg["game"]
        others = {"S": f"A={g['n_actions'][0]}x{g['n_actions'][1]}, H={g['horizon']}, $\\sigma$={cfg['set']['radius']:g}",
                  "A": f"S={g['n_states']}, H={g['horizon']}, $\\sigma$={cfg['set']['radius']:g}",
                  "H": f"S={g['n_states']}, A=2x2, $\\sigma$={cfg['set']['radius']:g}",
                  "inv_sigma": f"S={g['n_states']}, A=2x2, H={g['horizon']}"}[vary]
        ax.set_title(f"vary {vary if vary != 'inv_sigma' else '1/σ'} ({others})", fontsize=8.5)
        legend_below(ax, offset=-0.27, fontsize=6.3)
    fig.suptitle(f"Regret at fixed K={K} (pre-asymptotic) as one size grows: random constant-sum fail-state games, one "
                 f"per seed, TV;\nmean and 95% CI over {seeds} seeds; slopes: log-log least squares over all runs "
                 f"[95% CI]", fontsize=9)
    fig.tight_layout()
    caption = (f"regret_scaling. Robust regret at K={K} episodes as S, prod A_i, H and 1/sigma grow one at a time "
               f"(a fresh random constant-sum fail-state game per seed). Dotted: the shape of the TV regret bound "
               f"sqrt(min(H,1/sigma) H^2 S K prod A_i) (an upper bound, exponents of its dependence). CAVEAT: at this K "
               f"the runs are pre-asymptotic: many (h,s,a) pairs have few visits (expected visits per reachable "
               f"(h,s,a) below, median over seeds), the bonus still dominates there, so the measured exponents "
               f"describe this K, not the asymptotic rate, and are not a test of the bound's exponents. Certified: "
               f"the dashed squares (MORNAVI's bound, TV, Hoeffding, c_b=1); Nash-VI and uniform play certify "
               f"nothing.\nExpected visits per reachable (h, s, a) over the run (median / min over pairs):\n"
               + "\n".join(visits_lines))
    cap = write_caption(figures_dir, "regret_scaling", caption)
    return save(fig, figures_dir, "regret_scaling") + [cap]


# -- figure 4: lower bound ------------------------------------------------------------------


def _fig_lower_bound(records, figures_dir, summary):
    by_game = defaultdict(list)
    for g in _group(records).values():
        c = g[0]["config"]["game"]
        by_game[(c["kind"] != "support_shift", c.get("variant", 0))].append(g)
    keys = sorted(by_game)
    fig, axes = figure(1, len(keys), width=3.9 * len(keys), height=3.3)
    seeds = sigma = None
    for ax, key in zip(axes[0], keys):
        groups = sorted(by_game[key], key=_learner_sort)
        seeds = len(groups[0])
        sigma = groups[0][0]["config"]["set"]["radius"]
        notes = _coincide_notes(groups)
        for g in groups:
            st = _learner_style(g[0]["config"])
            k, Y = _stack(g, "regret")
            f = fit_slope(k, Y, start=FIT_START)
            m, lo, hi = mean_band(Y)
            ax.plot(k, m, label=f"{_learner_text(g[0]['config'])}: {_slope_text(f)}{notes.get(id(g), '')}",
                    zorder=3 if g[0]["config"]["learner"]["kind"] == "MORNAVI" else 2, **st)
            band(ax, k, lo, hi, st["color"])
            summary.append(_entry("lower_bound", g, f))
        ax.set_xlabel("episodes $k$")
        ax.set_ylabel("cumulative robust regret")
        ax.set_title(_game_text(groups[0][0]), fontsize=8.5)
        legend_below(ax, offset=-0.28, fontsize=6.3)
    fig.suptitle(f"Support shift forces linear regret (TV $\\sigma$={sigma:g}); a fail state avoids it — linear axes, "
                 f"mean and 95% band over {seeds} seeds; slopes over $k\\geq K/10$ [95% CI]", fontsize=9)
    fig.tight_layout()
    groups = [g for gs in by_game.values() for g in gs]
    caption = ("lower_bound. Support-shift games (variants 0 and 1 differ only at a state the nominal game never "
               "visits, which a TV adversary reaches) force linear robust regret on every learner that sees only "
               "nominal episodes; on which variant a learner pays depends on its choice at the hidden state. A "
               "fail-state game of the same horizon avoids it. The wide bands on the support-shift games are real: "
               "the learner's (randomly tie-broken) choice at the hidden state decides, per seed, how much it pays. "
               f"{FIT_NOTE}. {_certified_note(groups)}")
    cap = write_caption(figures_dir, "lower_bound", caption)
    return save(fig, figures_dir, "lower_bound") + [cap]


# -- figure 5: cooperative games ------------------------------------------------------------


def _fig_cooperative(records, figures_dir, summary):
    by_game = defaultdict(list)
    for g in _group(records).values():
        by_game[_game_text(g[0])].append(g)
    fig, axes = figure(1, len(by_game), width=8.0 * len(by_game), height=3.4)
    for ax, (name, groups) in zip(axes[0], sorted(by_game.items())):
        groups.sort(key=_learner_sort)
        _curves(ax, None, groups, study="cooperative", summary=summary)
        ax.set_title(f"{name}, {_set_text(groups[0][0])}", fontsize=8.5)
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=6.5, frameon=False)
    seeds = len(next(iter(by_game.values()))[0])
    fig.suptitle(f"Cooperative game (team reward): mean and 95% band over {seeds} seeds", fontsize=9.5)
    fig.tight_layout()
    groups = [g for gs in by_game.values() for g in gs]
    caption = ("cooperative. Robust regret on the tiny chute-mapping instance of DRMARL as a cooperative Markov game "
               "(21 states, 4 joint actions, H=4). At this K the optimistic learners are still in their exploration "
               "phase: a slope near 1 means regret still grows linearly here, not a failure of the rate. "
               f"{FIT_NOTE}. {_certified_note(groups)} {LOG_BAND_NOTE}")
    cap = write_caption(figures_dir, "cooperative", caption)
    return save(fig, figures_dir, "cooperative") + [cap]


_FIGURES = {"regret_k": _fig_regret_vs_k, "regret_hard": _fig_hard, "regret_scaling": _fig_scaling,
            "lower_bound": _fig_lower_bound, "cooperative": _fig_cooperative}


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
    from robustgames.runner import strict_json

    out.write_text(strict_json(summary, indent=1))  # strict JSON: a NaN slope (failed fit) is null
    paths.append(out)
    return paths, summary


def report(summary: dict) -> str:
    """Plain-text table of the fitted slopes and the checks."""
    lines = ["Fitted log-log slopes of cumulative regret (curves: k >= K/10 per seed, mean and t 95% CI over seeds):"]
    for e in summary["slopes"]:
        if "discrimination" in e:
            d = e["discrimination"]
            lines.append(f"  {e['study']:<15} uniform slope - MORNAVI (c_b=1) slope = {d['uniform_minus_mornavi_slope']:.2f}, "
                         f"CIs disjoint: {d['cis_disjoint']} ({d['criterion']}: {'met' if d['passes'] else 'NOT met'})")
            continue
        f = e["fit"]
        who = e.get("learner_name", "MORNAVI")
        if "vary" in e:
            extra = (f"; TV bound exponents {', '.join(f'{x:.2g}' for x in e['predicted_exponents'])}"
                     if "predicted_exponents" in e else "")
            lines.append(f"  {e['study']:<15} vs {e['vary']:<9} {who[:36]:<36} slope {f['slope']:.2f} "
                         f"[{f['low']:.2f}, {f['high']:.2f}]{extra}")
            continue
        s = e["set"]
        b = f"  certified bound {e['certified_bound_regret']:.1f}" if "certified_bound_regret" in e else ""
        same = "  (seeds identical)" if e.get("seeds_identical") else ""
        lines.append(f"  {e['study']:<15} {e['game'][:44]:<44} {s['kind']} {s['radius']:<5g} {who[:36]:<36} "
                     f"K={e['K']:<6} regret {e['regret']:9.2f}  slope {f['slope']:.2f} [{f['low']:.2f}, {f['high']:.2f}]"
                     f"{b}{same}")
    lines.append("Checks (every stored episode):")
    for study, c in summary["checks"].items():
        if not c.get("runs"):
            continue
        lines.append(f"  {study:<15} runs {c['runs']:<4} min gap {c['min_gap']:.3g}  certified-bound violations "
                     f"{c['bound_violations']} (certified runs: {c['runs_certified']})"
                     + (f"; identical seeds: {len(c['configs_with_identical_seeds'])}"
                        if c.get("configs_with_identical_seeds") else ""))
    return "\n".join(lines)
