"""Chute mapping: tabular DRMARL learners against exact group-DRO ground truth.

The Table-1 style comparison of DRMARL (arXiv 2503.09755) on the exactly solvable chute
game (:func:`robustgames.chute_mapping_game`):

1. exact group-DRO dynamic programming (rectangular worst group; the paper's
   predicted-worst-group approximation and its relative error, variant "b");
2. VDN learners: nominal MARL, DRMARL with exhaustive worst-group search, DRMARL with the
   contextual-bandit predictor, random group selection, group-specific MARL (one per group);
   each scored EXACTLY per group (recirculation rate, throughput), mean and worst, with its
   compute (group-reward evaluations, environment steps, wall time), its exact robust value
   and its value under the paper's predicted-group approximation (32);
   diagnostic rows (why DRMARL can lose to MARL on variant "b"): the same exhaustive learner
   with the exact rectangular target ``min_g [r_g + P_g . V]`` (VDN), and a joint-table
   learner without the VDN factorisation, with the approximate and with the rectangular
   target (:func:`robustgames.learning.train_vdn`, ``factorisation`` / ``target``);
3. the CB predictor's accuracy and its cost against exhaustive search;
4. out-of-distribution mixes outside the convex hull of the groups (L1 distance to the hull
   by linear programming);
5. sensitivity to the number of groups ``m``.

``run(profile, out_dir, seed)`` writes one JSON file; ``paper_figures/chute.py`` draws it.
"""

from __future__ import annotations

import json
import pathlib
import time

import numpy as np

import robustgames
from robustgames.games import chute_mapping_game
from robustgames.learning import cb_accuracy, evaluate_joint_policy, train_cb_predictor, train_vdn
from robustgames.planning import group_dro_solve

PROFILES = {
    # "smoke": the same pipeline on few episodes and groups (seconds; for the test suite)
    "smoke": dict(episodes=300, cb_episodes=150, seeds=1, groups_grid=[3, 5], n_groups=5,
                  sensitivity_episodes=200, ood_points=5, joint_alpha=1.0),
    "quick": dict(episodes=2000, cb_episodes=1000, seeds=1, groups_grid=[5, 9, 21, 50], n_groups=9,
                  sensitivity_episodes=1500, ood_points=15, joint_alpha=1.0),
    "full": dict(episodes=8000, cb_episodes=4000, seeds=3, groups_grid=[5, 9, 21, 50], n_groups=9,
                 sensitivity_episodes=6000, ood_points=31, joint_alpha=1.0),
}
GAME = dict(n_destinations=2, n_chutes=5, capacity=2, volume=8, steps=4, max_new=1, n_levels=3)


def distance_to_hull(p, groups) -> float:
    """L1 distance from mix ``p`` to ``conv{groups}``: ``min_w ||p - G^T w||_1`` (an LP)."""
    from scipy.optimize import linprog

    m, N = groups.shape
    # variables: w (m), e_plus (N), e_minus (N)
    c = np.concatenate([np.zeros(m), np.ones(2 * N)])
    A_eq = np.zeros((N + 1, m + 2 * N))
    A_eq[:N, :m] = groups.T
    A_eq[:N, m:m + N] = -np.eye(N)
    A_eq[:N, m + N:] = np.eye(N)
    A_eq[N, :m] = 1.0
    b_eq = np.concatenate([p, [1.0]])
    res = linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=[(0, None)] * (m + 2 * N), method="highs")
    return float(res.fun)


def _metrics(game, policy, extra=None):
    ev = evaluate_joint_policy(game, policy)
    row = dict(recirculation=ev.recirculation_rate.tolist(), throughput=ev.throughput.tolist(),
               robust_value=ev.robust_value, predicted_value=ev.predicted_value, value=ev.value.tolist())
    row.update(extra or {})
    return row


def _cost(res):
    return dict(group_evaluations=int(res.group_evaluations), env_steps=int(res.env_steps),
                wall_time=float(res.wall_time), value_estimate=float(res.value_estimate))


# diagnostic learners: row name -> (factorisation, target); the joint table uses cfg["joint_alpha"]
DIAGNOSTICS = {
    "DRMARL exh. rectangular target": ("vdn", "rectangular"),
    "DRMARL joint table": ("joint", "approximate"),
    "DRMARL joint rectangular": ("joint", "rectangular"),
}


def _compare(game, cfg, seeds, *, group_specific=True, episodes=None, diagnostics=tuple(DIAGNOSTICS)):
    """DP and all learners on one game; per-seed rows (lists over seeds).

    ``diagnostics``: names of :data:`DIAGNOSTICS` rows to add (exhaustive worst-group
    DRMARL with another factorisation or target). The joint table is trained with step
    size ``cfg["joint_alpha"]`` (its targets are exact expectations for the rectangular
    target, so ``alpha = 1`` is asynchronous backward induction on visited (s, a)).
    """
    episodes = episodes or cfg["episodes"]
    P = game.transitions if game.variant == "b" else game.transitions[0]
    s0 = game.initial_state
    rect = group_dro_solve(game.rewards, P, game.steps, feasible=game.feasible)
    pred = group_dro_solve(game.rewards, P, game.steps, feasible=game.feasible, method="predicted")
    dp = dict(
        robust_value=float(rect.values[0, s0]),
        approx_value=float(pred.values[0, s0]),
        approx_relative_error=float((pred.values[0, s0] - rect.values[0, s0]) / abs(rect.values[0, s0])),
        approx_policy_robust_value=float(evaluate_joint_policy(game, pred.policy).robust_value),
    )
    rows = {"DP group-DRO (exact)": [_metrics(game, rect.policy)],
            "DP predicted-group approx.": [_metrics(game, pred.policy)]}
    policies = {"DP group-DRO (exact)": rect.policy, "DP predicted-group approx.": pred.policy}
    cb_rows = []
    for k, ss in enumerate(seeds):
        rngs = ss.spawn(6 + len(DIAGNOSTICS))  # the first six are those of the original rows
        nom = train_vdn(game, "nominal", episodes=episodes, rng=rngs[0])
        exh = train_vdn(game, "exhaustive", episodes=episodes, rng=rngs[1])
        cb = train_cb_predictor(game, nom.q_local, episodes=cfg["cb_episodes"], rng=rngs[2])
        acc = cb_accuracy(game, cb.q_cb, cb.counts)
        cbl = train_vdn(game, "cb", episodes=episodes, predictor=cb.q_cb, rng=rngs[3])
        rnd = train_vdn(game, "random", episodes=episodes, rng=rngs[4])
        cost_cb = _cost(cbl)
        cost_cb.update(cb_pretraining_samples=int(cb.group_samples), cb_pretraining_time=float(cb.wall_time))
        learners = {"MARL (nominal)": (nom, _cost(nom)), "DRMARL exhaustive": (exh, _cost(exh)),
                    "DRMARL + CB": (cbl, cost_cb), "DRMARL random group": (rnd, _cost(rnd))}
        for j, (name, (fac, tgt)) in enumerate(DIAGNOSTICS.items()):
            if name in diagnostics:
                alpha = cfg["joint_alpha"] if fac == "joint" else 0.1
                res = train_vdn(game, "exhaustive", episodes=episodes, factorisation=fac, target=tgt, alpha=alpha,
                                rng=rngs[6 + j])
                learners[name] = (res, _cost(res))
        for name, (res, cost) in learners.items():
            rows.setdefault(name, []).append(_metrics(game, res.policy, cost))
            if k == 0:
                policies[name] = res.policy
        cb_rows.append(dict(acc.to_dict(), samples=int(cb.group_samples),
                            exhaustive_evaluations=int(exh.group_evaluations)))
        if group_specific:
            grs = rngs[5].spawn(game.n_groups)
            rec, thr, evals, steps, wall = [], [], 0, 0, 0.0
            for g in range(game.n_groups):
                res = train_vdn(game, "group", group=g, episodes=episodes, rng=grs[g])
                ev = evaluate_joint_policy(game, res.policy)
                rec.append(float(ev.recirculation_rate[g]))
                thr.append(float(ev.throughput[g]))
                evals += res.group_evaluations
                steps += res.env_steps
                wall += res.wall_time
            rows.setdefault("Group-specific MARL", []).append(
                dict(recirculation=rec, throughput=thr, robust_value=None, group_evaluations=int(evals),
                     env_steps=int(steps), wall_time=float(wall)))
    return dp, rows, cb_rows, policies


def _ood(game, policies, n_points):
    """Per-policy recirculation on destination mixes p = (x, 1 - x) across [0, 1]."""
    xs = np.linspace(0.0, 1.0, n_points)
    mixes = np.stack([xs, 1 - xs], axis=1)
    test = chute_mapping_game(**{**GAME, "variant": game.variant}, groups=mixes)
    dist = [distance_to_hull(p, game.groups) for p in mixes]
    out = dict(mix=xs.tolist(), distance_to_hull=dist, recirculation={}, throughput={})
    for name, pol in policies.items():
        ev = evaluate_joint_policy(test, pol)
        out["recirculation"][name] = ev.recirculation_rate.tolist()
        out["throughput"][name] = ev.throughput.tolist()
    return out


def run(profile: str = "quick", out_dir=".", seed: int = 0) -> pathlib.Path:
    """Run the chute-mapping comparison and write ``chute_<profile>_seed<seed>.json``."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(map(repr, PROFILES))}")
    cfg = PROFILES[profile]
    start = time.perf_counter()
    root = np.random.SeedSequence(seed)
    game_ss, learn_ss, sens_ss = root.spawn(3)
    out = dict(experiment="chute", profile=profile, seed=seed, version=robustgames.__version__,
               config=dict(game=GAME, **cfg), variants={})
    game_seed = int(game_ss.generate_state(1)[0])
    for variant, vss in zip(("a", "b"), learn_ss.spawn(2)):
        game = chute_mapping_game(**GAME, n_groups=cfg["n_groups"], variant=variant, rng=game_seed)
        dp, rows, cb_rows, policies = _compare(game, cfg, vss.spawn(cfg["seeds"]))
        policies = {k: v for k, v in policies.items() if k not in DIAGNOSTICS}
        out["variants"][variant] = dict(
            groups=game.groups.tolist(), group_weights=game.group_weights.tolist(),
            history=game.history.tolist(), n_states=game.n_states, n_joint_actions=game.n_joint_actions,
            dp=dp, rows=rows, cb=cb_rows, ood=_ood(game, policies, cfg["ood_points"]))
    sens = []
    for m, mss in zip(cfg["groups_grid"], sens_ss.spawn(len(cfg["groups_grid"]))):
        game = chute_mapping_game(**GAME, n_groups=m, variant="b", rng=game_seed)
        dp, rows, cb_rows, _ = _compare(game, cfg, mss.spawn(1), group_specific=False,
                                        episodes=cfg["sensitivity_episodes"],
                                        diagnostics=("DRMARL exh. rectangular target",))
        sens.append(dict(n_groups=m, dp=dp, rows=rows, cb=cb_rows))
    out["sensitivity"] = sens
    out["wall_time"] = time.perf_counter() - start
    path = pathlib.Path(out_dir) / f"chute_{profile}_seed{seed}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1))
    return path


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(run(sys.argv[1] if len(sys.argv) > 1 else "quick", "results"))
