"""Chute mapping: tabular DRMARL learners against exact group-DRO ground truth, over seeds.

The Table-1 analogue of DRMARL (arXiv 2503.09755) on the exactly solvable chute game
(:func:`robustgames.chute_mapping_game`; docs/theory.md section 5). Every seed is one
*instance* and one set of learner runs:

* **Instance** (variant ``"a"``: recirculated packages are lost, transitions independent
  of the induction draw, the setting of DRMARL Lemma 3.2; :data:`GAME`): candidate games
  are drawn from the seed until one passes the screen "the exact nominal-optimal policy
  loses at least :data:`MIN_SHORTFALL` of the exact group-robust optimum" (robust training
  matters there). The screen uses dynamic programming only, never a learner; the number
  of candidates screened is recorded.
* **Table 1**: exact references (robust-optimal and nominal-optimal dynamic programs) and
  the learners nominal MARL, DRMARL exhaustive worst group, DRMARL + contextual bandit,
  DRMARL random group and group-specific MARL (one learner per group, each scored on its
  own group), all with Robbins-Monro step sizes ``(1 + visits)**-OMEGA`` and sampled
  targets (:func:`robustgames.learning.train_vdn`, ``alpha="decay"``). Each policy is
  scored EXACTLY: throughput and recirculation per group (group held fixed all day), the
  exact (s, a)-rectangular robust value and the worst-group value ``min_g V_g``.
* **CB predictor**: accuracy on all feasible (s, a), on the pairs it visited, and the
  reward its mistakes cost (``r_{g_pred} - min_g r_g``).
* **Approximation** (variant ``"b"`` of the same instance, where transitions depend on
  the group): the paper's fixed-predicted-worst-group backup ``U`` against the exact
  rectangular backup ``T`` at ``V*`` per (h, s), and the value gap of the two dynamic
  programs per (h, s).
* **Diagnostic** (variant ``"b"``): exhaustive DRMARL with the paper's target and with the
  exact rectangular target, VDN and joint table, decaying step sizes.
* **Volume noise**: every Table-1 policy (trained at constant volume ``c``) evaluated
  exactly when each step's volume is uniform on ``{c - d, ..., c + d}``, against the
  robust optimum re-solved for that distribution.
* **m-sensitivity** and **out-of-distribution mixes** of the same instance.

``run_seed(profile, seed_sequence)`` computes one seed (a ``reproduce`` cell);
``aggregate(profile, per_seed, root_seed)`` builds the Table-1 summary with Student-t 95%
confidence intervals over seeds; ``run(profile, out_dir, seed)`` does both and writes one
JSON file that ``paper_figures/chute.py`` draws.
"""

from __future__ import annotations

import pathlib
import time

import numpy as np

import robustgames
from robustgames.games import chute_mapping_game
from robustgames.learning import cb_accuracy, evaluate_joint_policy, train_cb_predictor, train_vdn
from robustgames.planning import group_dro_solve
from robustgames.runner import strict_json

PROFILES = {
    # "smoke": the same pipeline, tiny (seconds; for the test suite)
    "smoke": dict(seeds=3, episodes=250, group_episodes=150, cb_episodes=200, diag_episodes=150,
                  sensitivity_episodes=150, groups_grid=[3, 9], spreads=[0, 2], ood_points=5),
    "quick": dict(seeds=10, episodes=1200, group_episodes=500, cb_episodes=4000, diag_episodes=600,
                  sensitivity_episodes=600, groups_grid=[3, 5, 9, 15], spreads=[0, 1, 2, 3, 4], ood_points=11),
    "full": dict(seeds=20, episodes=6000, group_episodes=3000, cb_episodes=20000, diag_episodes=4000,
                 sensitivity_episodes=3000, groups_grid=[3, 5, 9, 15, 25], spreads=[0, 1, 2, 3, 4, 5, 6],
                 ood_points=21),
}
#: the Table-1 game (variant "a"); variant "b" of the same instance for the approximation study
GAME = dict(n_destinations=2, n_chutes=5, capacity=2, volume=8, steps=4, max_new=1, n_levels=3, n_groups=9)
MIN_SHORTFALL = 0.02  # instance screen: nominal-optimal policy loses >= 2% robust value
MAX_CANDIDATES = 400
OMEGA = 0.8  # Robbins-Monro exponent of every learner: alpha_n = (1 + n)**-OMEGA
LEARNERS = ["MARL (nominal)", "DRMARL exhaustive", "DRMARL + CB", "DRMARL random group", "Group-specific MARL"]
REFERENCES = ["DP robust-optimal (exact)", "DP nominal-optimal (exact)"]
ROWS = REFERENCES + LEARNERS
DIAGNOSTICS = {  # row -> (factorisation, target) of exhaustive DRMARL on variant b
    "exh. VDN, paper target (32)": ("vdn", "approximate"),
    "exh. VDN, rectangular target": ("vdn", "rectangular"),
    "exh. joint table, expected target (32)": ("joint", "expected"),
    "exh. joint table, rectangular target": ("joint", "rectangular"),
}
METRICS = {  # key -> (label, scale, format)
    "thr_mean": ("throughput, mean over groups (packages/day)", 1.0, "{:.2f}"),
    "thr_worst": ("throughput, worst group", 1.0, "{:.2f}"),
    "rec_mean": ("recirculation, mean over groups (%)", 100.0, "{:.2f}"),
    "rec_worst": ("recirculation, worst group (%)", 100.0, "{:.2f}"),
    "robust": ("exact robust value", 1.0, "{:.4f}"),
    "robust_rel": ("robust value / robust optimum (%)", 100.0, "{:.2f}"),
    "worst_value": ("worst-group value min_g V_g", 1.0, "{:.4f}"),
}


# ---------------------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------------------
def t_interval(values, level: float = 0.95) -> dict:
    """Mean and Student-t confidence interval over seeds.

    ``mean +- t_{(1+level)/2, n-1} s / sqrt(n)``, ``s`` the sample standard deviation
    (``ddof=1``). ``None`` entries are dropped; with fewer than two values the bounds are
    ``None``. Returns ``dict(mean, lo, hi, n, sd)``.
    """
    from scipy.stats import t as student_t

    x = np.array([v for v in values if v is not None], dtype=np.float64)
    n = len(x)
    if n == 0:
        return dict(mean=None, lo=None, hi=None, n=0, sd=None)
    mean = float(x.mean())
    if n < 2:
        return dict(mean=mean, lo=None, hi=None, n=1, sd=None)
    sd = float(x.std(ddof=1))
    half = float(student_t.ppf(0.5 + level / 2, n - 1)) * sd / np.sqrt(n)
    return dict(mean=mean, lo=mean - half, hi=mean + half, n=n, sd=sd)


# ---------------------------------------------------------------------------------------
# one seed
# ---------------------------------------------------------------------------------------
def _tables(game):
    return game.transitions if game.variant == "b" else game.transitions[0]


def nominal_optimal_policy(game):
    """Exact nominal-optimal policy: backward induction on the historical-mixture tables."""
    r, P = game.mixture_tables()
    return group_dro_solve(r[None], P, game.steps, feasible=game.feasible)


def robust_optimal(game):
    """Exact group-DRO optimum ((s, a)-rectangular worst group)."""
    return group_dro_solve(game.rewards, _tables(game), game.steps, feasible=game.feasible)


def screen_instance(ss: np.random.SeedSequence, variant: str = "a", **game_kw):
    """First candidate game (children of ``ss``) whose nominal-optimal policy loses at least
    :data:`MIN_SHORTFALL` of the robust optimum. Returns ``(game, candidate_index, info)``."""
    kw = {**GAME, **game_kw}
    for j in range(MAX_CANDIDATES):
        cand = np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (j,))
        game = chute_mapping_game(**kw, variant=variant, rng=np.random.default_rng(cand))
        v_star = float(robust_optimal(game).values[0, game.initial_state])
        nom = nominal_optimal_policy(game)
        v_nom_rob = float(evaluate_joint_policy(game, nom.policy).robust_value)
        short = (v_star - v_nom_rob) / abs(v_star)
        if short >= MIN_SHORTFALL:
            return game, cand, dict(candidates_screened=j + 1, robust_optimum=v_star,
                                    nominal_policy_robust_value=v_nom_rob, nominal_shortfall=short,
                                    nominal_optimum=float(nom.values[0, game.initial_state]))
    raise RuntimeError(f"no instance with nominal shortfall >= {MIN_SHORTFALL} in {MAX_CANDIDATES} candidates")


def _metrics(game, policy, v_star=None) -> dict:
    ev = evaluate_joint_policy(game, policy)
    rec, thr, val = ev.recirculation_rate, ev.throughput, ev.value
    return dict(recirculation=rec.tolist(), throughput=thr.tolist(), value=val.tolist(),
                thr_mean=float(thr.mean()), thr_worst=float(thr.min()), rec_mean=float(rec.mean()),
                rec_worst=float(rec.max()), robust=float(ev.robust_value),
                robust_rel=None if v_star is None else float(ev.robust_value / v_star),
                worst_value=float(val.min()), nominal_value=float(game.group_weights @ val))


def _learn(game, mode, episodes, rng, **kw):
    return train_vdn(game, mode, episodes=episodes, alpha="decay", omega=OMEGA, rng=rng, **kw)


def _reachable(game, policy):
    """(T, S) bool: states reachable from the start under ``policy`` for some group sequence."""
    P = game.transitions
    T, S = policy.shape
    reach = np.zeros((T, S), dtype=bool)
    reach[0, game.initial_state] = True
    s_idx = np.arange(S)
    for h in range(T - 1):
        nxt = (P[:, s_idx, policy[h]] > 0).any(axis=0)  # (S, S')
        reach[h + 1] = (reach[h][:, None] & nxt).any(axis=0)
    return reach


def approximation_study(game) -> dict:
    """The paper's fixed-predicted-worst-group approximation against the exact DP (variant b).

    Per (h, s): ``(U - T)/|T|`` at ``V*_{h+1}`` and the optimal action ``pi*_h(s)``, with
    ``T = min_g [r_g + P_g . V*]`` and ``U = r_{g'} + P_{g'} . V*``, ``g' = argmin_g r_g``
    (docs/theory.md section 5.4: ``0 <= U - T``); and the value gap of the two dynamic
    programs ``(V^U_h(s) - V*_h(s)) / |V*_h(s)|``.
    """
    from robustgames.planning import group_dro_backup

    P = game.transitions
    rect = group_dro_solve(game.rewards, P, game.steps, feasible=game.feasible)
    pred = group_dro_solve(game.rewards, P, game.steps, feasible=game.feasible, method="predicted")
    T, S = rect.policy.shape
    s_idx = np.arange(S)
    rel = np.empty((T, S))
    for h in range(T):
        u = group_dro_backup(game.rewards, P, rect.values[h + 1], method="predicted")[0]
        a = rect.policy[h]
        t_val = rect.q[h, s_idx, a]
        rel[h] = (u[s_idx, a] - t_val) / np.abs(t_val)
    gap = (pred.values[:T] - rect.values[:T]) / np.abs(rect.values[:T])
    reach = _reachable(game, rect.policy)
    s0 = game.initial_state
    return dict(one_step_rel=np.round(rel, 8).tolist(), value_gap_rel=np.round(gap, 8).tolist(),
                reachable=reach.tolist(), start_gap_rel=float(gap[0, s0]),
                approx_policy_shortfall=float((rect.values[0, s0] - evaluate_joint_policy(game, pred.policy).robust_value)
                                              / abs(rect.values[0, s0])),
                min_one_step_rel=float(rel.min()), min_value_gap_rel=float(gap.min()))


def volume_study(game_kw, cand, policies, spreads) -> dict:
    """Exact evaluation of fixed policies when each step's volume is uniform on
    ``{c - d, ..., c + d}``, against the robust optimum re-solved for that distribution."""
    c = GAME["volume"]
    out = dict(spreads=list(spreads), oracle_robust=[], rows={k: dict(robust=[], worst_value=[], rec_worst=[],
                                                                        thr_worst=[]) for k in policies})
    for d in spreads:
        pmf = {v: 1.0 / (2 * d + 1) for v in range(c - d, c + d + 1)}
        g = chute_mapping_game(**game_kw, volume_pmf=pmf, rng=np.random.default_rng(cand))
        out["oracle_robust"].append(float(robust_optimal(g).values[0, g.initial_state]))
        for name, pol in policies.items():
            m = _metrics(g, pol)
            for k in ("robust", "worst_value", "rec_worst", "thr_worst"):
                out["rows"][name][k].append(m[k])
    return out


def run_seed(profile: str, ss: np.random.SeedSequence) -> dict:
    """Everything of one seed (module docstring); JSON-serialisable."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(map(repr, PROFILES))}")
    cfg = PROFILES[profile]
    start = time.perf_counter()
    game_ss, learn_ss, diag_ss, sens_ss = ss.spawn(4)
    game, cand, info = screen_instance(game_ss)
    s0, E = game.initial_state, cfg["episodes"]
    rect = robust_optimal(game)
    nom = nominal_optimal_policy(game)
    v_star = float(rect.values[0, s0])
    info["policies_differ_on_reachable_states"] = int(
        (_reachable(game, rect.policy) & (rect.policy != nom.policy)).sum())
    rows = {REFERENCES[0]: _metrics(game, rect.policy, v_star), REFERENCES[1]: _metrics(game, nom.policy, v_star)}
    policies = {REFERENCES[0]: rect.policy, REFERENCES[1]: nom.policy}
    r = learn_ss.spawn(6)
    marl = _learn(game, "nominal", E, r[0])
    exh = _learn(game, "exhaustive", E, r[1])
    cb = train_cb_predictor(game, marl.q_local, episodes=cfg["cb_episodes"], rng=r[2])
    cbl = _learn(game, "cb", E, r[3], predictor=cb.q_cb)
    rnd = _learn(game, "random", E, r[4])
    cost = {}
    for name, res in zip(LEARNERS[:4], (marl, exh, cbl, rnd)):
        rows[name] = _metrics(game, res.policy, v_star)
        policies[name] = res.policy
        cost[name] = dict(group_evaluations=int(res.group_evaluations), env_steps=int(res.env_steps),
                          wall_time=float(res.wall_time), value_estimate=float(res.value_estimate))
    cost["DRMARL + CB"].update(cb_samples=int(cb.group_samples), cb_wall_time=float(cb.wall_time))
    # group-specific MARL: one learner per group, each scored on its own group
    per = [_metrics(game, _learn(game, "group", cfg["group_episodes"], gs, group=g).policy)
           for g, gs in enumerate(r[5].spawn(game.n_groups))]
    thr = np.array([p["throughput"][g] for g, p in enumerate(per)])
    rec = np.array([p["recirculation"][g] for g, p in enumerate(per)])
    val = np.array([p["value"][g] for g, p in enumerate(per)])
    rows["Group-specific MARL"] = dict(recirculation=rec.tolist(), throughput=thr.tolist(), value=val.tolist(),
                                       thr_mean=float(thr.mean()), thr_worst=float(thr.min()),
                                       rec_mean=float(rec.mean()), rec_worst=float(rec.max()), robust=None,
                                       robust_rel=None, worst_value=float(val.min()),
                                       nominal_value=float(game.group_weights @ val))
    acc = cb_accuracy(game, cb.q_cb, cb.counts).to_dict()
    acc.update(samples=int(cb.group_samples), exhaustive_evaluations=int(exh.group_evaluations))
    # same policies compared pairwise (do two learners coincide?)
    names = REFERENCES + LEARNERS[:4]
    same = {f"{a} == {b}": bool(np.array_equal(policies[a], policies[b]))
            for i, a in enumerate(names) for b in names[i + 1:]}

    # variant b of the same instance: approximation and diagnostic learners
    kw_b = {**GAME, "variant": "b"}
    game_b = chute_mapping_game(**kw_b, rng=np.random.default_rng(cand))
    approx = approximation_study(game_b)
    rect_b = robust_optimal(game_b)
    vb = float(rect_b.values[0, game_b.initial_state])
    diag = {"DP robust-optimal (exact)": 1.0,
            "DP nominal-optimal (exact)": evaluate_joint_policy(game_b, nominal_optimal_policy(game_b).policy
                                                                ).robust_value / vb}
    dr = diag_ss.spawn(1 + len(DIAGNOSTICS))
    diag["MARL (nominal)"] = evaluate_joint_policy(
        game_b, _learn(game_b, "nominal", cfg["diag_episodes"], dr[0]).policy).robust_value / vb
    for k, (name, (fac, tgt)) in enumerate(DIAGNOSTICS.items()):
        res = _learn(game_b, "exhaustive", cfg["diag_episodes"], dr[k + 1], factorisation=fac, target=tgt)
        diag[name] = evaluate_joint_policy(game_b, res.policy).robust_value / vb

    # volume noise (variant a policies)
    volume = volume_study({**GAME, "variant": "a"}, cand,
                          {k: policies[k] for k in REFERENCES + LEARNERS[:4]}, cfg["spreads"])
    # m-sensitivity (variant a, same history, m groups)
    sens = []
    for m, mss in zip(cfg["groups_grid"], sens_ss.spawn(len(cfg["groups_grid"]))):
        g_m = chute_mapping_game(**{**GAME, "n_groups": m}, variant="a", rng=np.random.default_rng(cand))
        vm = float(robust_optimal(g_m).values[0, g_m.initial_state])
        e = cfg["sensitivity_episodes"]
        q = mss.spawn(4)
        mm = _learn(g_m, "nominal", e, q[0])
        ee = _learn(g_m, "exhaustive", e, q[1])
        cbm = train_cb_predictor(g_m, mm.q_local, episodes=cfg["cb_episodes"], rng=q[2])
        cc = _learn(g_m, "cb", e, q[3], predictor=cbm.q_cb)
        rel = {"DP nominal-optimal (exact)": evaluate_joint_policy(g_m, nominal_optimal_policy(g_m).policy
                                                                   ).robust_value / vm}
        for name, res in (("MARL (nominal)", mm), ("DRMARL exhaustive", ee), ("DRMARL + CB", cc)):
            rel[name] = evaluate_joint_policy(g_m, res.policy).robust_value / vm
        a_m = cb_accuracy(g_m, cbm.q_cb, cbm.counts)
        sens.append(dict(n_groups=m, robust_rel=rel, cb_accuracy_visited=a_m.accuracy_visited,
                         cb_reward_lost_visited=a_m.mean_reward_lost_visited))
    # out-of-distribution destination mixes p = (x, 1 - x)
    xs = np.linspace(0.0, 1.0, cfg["ood_points"])
    test = chute_mapping_game(**{**GAME, "variant": "a"}, groups=np.stack([xs, 1 - xs], axis=1))
    ood = dict(mix=xs.tolist(), distance_to_hull=[distance_to_hull(np.array([x, 1 - x]), game.groups) for x in xs],
               recirculation={k: evaluate_joint_policy(test, policies[k]).recirculation_rate.tolist()
                              for k in REFERENCES + LEARNERS[:4]})
    return dict(instance=dict(info, game_seed=dict(entropy=int(cand.entropy), spawn_key=list(cand.spawn_key)),
                              groups=game.groups.tolist(), group_weights=game.group_weights.tolist(),
                              n_states=game.n_states, n_joint_actions=game.n_joint_actions),
                rows=rows, cost=cost, same_policy=same, cb=acc, approximation=approx, diagnostic=diag,
                volume=volume, sensitivity=sens, ood=ood, wall_time=time.perf_counter() - start)


def distance_to_hull(p, groups) -> float:
    """L1 distance from mix ``p`` to ``conv{groups}``: ``min_w ||p - G^T w||_1`` (an LP)."""
    from scipy.optimize import linprog

    m, N = groups.shape
    c = np.concatenate([np.zeros(m), np.ones(2 * N)])
    A_eq = np.zeros((N + 1, m + 2 * N))
    A_eq[:N, :m] = groups.T
    A_eq[:N, m:m + N] = -np.eye(N)
    A_eq[:N, m + N:] = np.eye(N)
    A_eq[N, :m] = 1.0
    b_eq = np.concatenate([p, [1.0]])
    res = linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=[(0, None)] * (m + 2 * N), method="highs")
    return float(res.fun)


# ---------------------------------------------------------------------------------------
# aggregation over seeds
# ---------------------------------------------------------------------------------------
def _ci_text(ci, scale, fmt):
    if ci["mean"] is None:
        return "-"
    if ci["lo"] is None:
        return fmt.format(scale * ci["mean"])
    return f"{fmt.format(scale * ci['mean'])} [{fmt.format(scale * ci['lo'])}, {fmt.format(scale * ci['hi'])}]"


def aggregate(profile: str, per_seed: list, root_seed: int = 0) -> dict:
    """Table 1 with Student-t 95% CIs over seeds, paired differences, and every per-seed record."""
    n = len(per_seed)
    table = {name: {k: t_interval([s["rows"][name][k] for s in per_seed]) for k in METRICS} for name in ROWS}
    inst = {k: t_interval([s["instance"][k] for s in per_seed])
            for k in ("nominal_shortfall", "robust_optimum", "nominal_optimum", "candidates_screened",
                      "policies_differ_on_reachable_states")}
    paired = {}
    for a, b in (("DRMARL + CB", "MARL (nominal)"), ("DRMARL exhaustive", "MARL (nominal)"),
                 ("DRMARL + CB", "DRMARL exhaustive"), ("DRMARL + CB", "DRMARL random group")):
        paired[f"{a} - {b}"] = {k: t_interval([s["rows"][a][k] - s["rows"][b][k] for s in per_seed])
                                for k in ("worst_value", "robust", "rec_worst", "thr_worst")}
    cb = {k: t_interval([s["cb"][k] for s in per_seed])
          for k in ("accuracy", "accuracy_visited", "share_visited", "mean_reward_lost", "mean_reward_lost_visited",
                    "weighted_reward_lost", "max_reward_lost_visited")}
    same = {k: int(sum(s["same_policy"][k] for s in per_seed)) for k in per_seed[0]["same_policy"]}
    diag = {k: t_interval([s["diagnostic"][k] for s in per_seed]) for k in per_seed[0]["diagnostic"]}
    ap = [s["approximation"] for s in per_seed]
    approx = dict(start_gap_rel=t_interval([a["start_gap_rel"] for a in ap]),
                  approx_policy_shortfall=t_interval([a["approx_policy_shortfall"] for a in ap]),
                  max_one_step_rel=t_interval([float(np.max(a["one_step_rel"])) for a in ap]),
                  min_one_step_rel=min(a["min_one_step_rel"] for a in ap),
                  min_value_gap_rel=min(a["min_value_gap_rel"] for a in ap))
    out = dict(experiment="chute", profile=profile, seed=root_seed, version=robustgames.__version__,
               config=dict(game=GAME, variant="a", min_shortfall=MIN_SHORTFALL, omega=OMEGA, **PROFILES[profile]),
               n_seeds=n, instance=inst, table1=table, paired=paired, cb=cb, same_policy=same, diagnostic=diag,
               approximation=approx, seeds=per_seed,
               wall_time=float(sum(s["wall_time"] for s in per_seed)))
    out["table1_text"] = table1_text(out)
    return out


def table1_text(agg: dict) -> str:
    """Table 1 in Markdown: mean [95% CI] over seeds for every row and metric."""
    n = agg["n_seeds"]
    inst = agg["instance"]
    cols = ["thr_mean", "thr_worst", "rec_mean", "rec_worst", "robust", "robust_rel", "worst_value"]
    lines = [f"DRMARL Table-1 analogue, chute game variant a ({GAME['n_destinations']} destinations, "
             f"{GAME['n_chutes']} chutes, volume {GAME['volume']}, {GAME['steps']} steps, m = {GAME['n_groups']} groups), "
             f"{n} seeds (one screened instance and one set of learner runs per seed), profile {agg['profile']}; "
             f"mean [Student-t 95% CI over seeds].",
             f"Screen: nominal-optimal policy loses >= {100 * MIN_SHORTFALL:g}% of the robust optimum; measured "
             f"shortfall {_ci_text(inst['nominal_shortfall'], 100, '{:.2f}')} %; the two exact policies differ on "
             f"{_ci_text(inst['policies_differ_on_reachable_states'], 1, '{:.1f}')} reachable (step, state) pairs.",
             "",
             "| row | " + " | ".join(METRICS[c][0] for c in cols) + " |",
             "|---" * (len(cols) + 1) + "|"]
    for name in ROWS:
        cells = [_ci_text(agg["table1"][name][c], METRICS[c][1], METRICS[c][2]) for c in cols]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Paired differences over seeds (same instance), mean [95% CI]:")
    for key, d in agg["paired"].items():
        lines.append(f"- {key}: worst-group value {_ci_text(d['worst_value'], 1, '{:+.4f}')}, robust value "
                     f"{_ci_text(d['robust'], 1, '{:+.4f}')}, worst-group recirculation "
                     f"{_ci_text(d['rec_worst'], 100, '{:+.2f}')} pp")
    cb = agg["cb"]
    lines.append(f"CB predictor: accuracy {_ci_text(cb['accuracy_visited'], 100, '{:.1f}')} % on the visited pairs "
                 f"({_ci_text(cb['share_visited'], 100, '{:.0f}')} % of feasible (s, a)), "
                 f"{_ci_text(cb['accuracy'], 100, '{:.1f}')} % on all (unvisited pairs predict group 0); reward lost "
                 f"on visited pairs {_ci_text(cb['mean_reward_lost_visited'], 1, '{:.5f}')} per step, visit-weighted "
                 f"{_ci_text(cb['weighted_reward_lost'], 1, '{:.5f}')}.")
    same = [k for k, v in agg["same_policy"].items() if v]
    if same:
        lines.append("Identical greedy policies (number of seeds out of " + str(n) + "): "
                     + "; ".join(f"{k}: {agg['same_policy'][k]}" for k in same) + ".")
    lines.append("Group-specific MARL: one learner per group, each scored on its own group (an oracle that "
                 "knows the group; no single policy, so no robust value).")
    return "\n".join(lines)


def run(profile: str = "quick", out_dir=".", seed: int = 0) -> pathlib.Path:
    """Run every seed of ``profile`` and write ``chute_<profile>_seed<seed>.json`` (aggregated)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(map(repr, PROFILES))}")
    per_seed = [run_seed(profile, np.random.SeedSequence(seed, spawn_key=(k,)))
                for k in range(PROFILES[profile]["seeds"])]
    return write(aggregate(profile, per_seed, seed), out_dir)


def write(out: dict, out_dir) -> pathlib.Path:
    """Write the aggregated results as ``chute_<profile>_seed<seed>.json`` in ``out_dir``."""
    path = pathlib.Path(out_dir) / f"chute_{out['profile']}_seed{out['seed']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(strict_json(out, indent=1))  # strict JSON: a non-finite number is null
    return path


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(run(sys.argv[1] if len(sys.argv) > 1 else "quick", "results"))
