"""DrIGM: the published robust targets and mixers against the exact robust optimum.

For every game of :func:`games` (climbing, penalty, intersection, chute, building), every
target of :data:`robustgames.factorization.TARGETS` and every mixer of
:data:`robustgames.factorization.MIXERS`: the fixed point of the target with the mixer
(:func:`robustgames.factorization.target_fixed_point`), the EXACT robust value of its
greedy decentralised policy under the true set (TV or contamination of radius ``rho``;
for the group targets the building's climate set), as a fraction of the exact robust
optimum (docs/theory.md sections 6.2 and 6.3). Group targets apply only where a group of
models exists (the building's climates, discounted); other cells are "n/a".
Cost (measured on the shared 2-core machine): the building (gamma = 0.95, 9 states), every
target with the four projected mixers at one radius, ~30 s (the L_inf VDN fit is one
block-diagonal LP over all states per iteration, the monotone projection vectorised over
rankings; before, one LP and one Python loop over rankings per state and iteration, more than
60 s); the building's rows also carry the greedy policy's value under every climate
(``ood``, / that climate's optimum: out-of-distribution evaluation).

``table(rho)`` returns the rows; ``markdown(rows)`` formats them; ``run(out_dir, rho)``
writes ``drigm_table.md`` and returns its path.

The ``robustgames reproduce`` study ``"drigm"`` (:data:`PROFILES`, :func:`cell_configs`,
:func:`drigm_cell`, :func:`collect`): one cell per ``(game, rho)`` computing the rows above
for the profile's mixers at that radius, and one cell searching seeded small random
absorbing games with signed rewards for one where the greedy policies of the dropped
(``"contamination"``) and exact contamination targets differ (docs/theory.md section 6.2:
with a terminal state pinned at 0 the dropped term is not a constant shift). Everything is
exact (fixed points by iteration to ``tol``, greedy values by exact robust evaluation):
no sampling, no confidence intervals. The exception: one ``"learners"`` cell per
(game, target, mixer) of the profile's ``learners`` (:func:`learner_runs`): sample-based
robust factored Q-learners over seeds against the exact fixed points (quick profile: 8 cells,
~21 s of CPU in total, measured; figure ``drigm_learners.png``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import robustgames as rg
from robustgames.factorization import MIXERS, TARGETS, target_fixed_point
from robustgames.games import climbing_game, intersection_game, penalty_game
from robustgames.games._building import building_climates, building_game

__all__ = ["games", "table", "markdown", "run", "PROFILES", "cell_configs", "cost", "drigm_cell", "collect",
           "find_dropped_term_counterexample", "learner_game", "learner_runs"]


def games(names=None):
    """``{name: (game, group or None)}``; ``group`` = (rewards, kernels) over climates.
    ``names``: only these games (default: all five, in the order above)."""
    makers = {
        "climbing": lambda: climbing_game(gamma=0.9),
        "penalty": lambda: penalty_game(gamma=0.9),
        "intersection": lambda: intersection_game(gamma=0.9),
        "chute": lambda: rg.chute_mapping_game(rng=0).as_markov_game(),
    }
    unknown = [n for n in names or () if n not in (*makers, "building")]
    if unknown:
        raise ValueError(f"names must be among {', '.join((*makers, 'building'))}, got {unknown}")
    out = {k: (f(), None) for k, f in makers.items() if names is None or k in names}
    if names is not None and "building" not in names:
        return out
    b = building_game()
    K = building_climates()
    m = len(K)
    out["building"] = (b, (np.repeat(b.rewards[None, ..., 0], m, axis=0), np.stack(list(K.values()))))
    return out


def table(rho: float = 0.2, *, targets=TARGETS, mixers=MIXERS, only=None):
    """Rows ``dict(game, target, mixer, value, optimum, ratio, converged)`` (``value`` None
    where the target does not apply)."""
    rows = []
    for name, (game, group) in games().items():
        if only is not None and name not in only:
            continue
        for target in targets:
            for mixer in mixers:
                row = dict(game=name, target=target, mixer=mixer, value=None, optimum=None, ratio=None,
                           converged=None)
                if target.startswith("group"):
                    if group is None or not game.discounted:
                        rows.append(row)
                        continue
                    res = target_fixed_point(game, target, rho, mixer=mixer, group=group)
                else:
                    res = target_fixed_point(game, target, rho, mixer=mixer)
                row.update(value=res.value, optimum=res.optimum, ratio=res.ratio, converged=res.converged)
                rows.append(row)
    return rows


def markdown(rows, rho=None) -> str:
    """One Markdown table per game: targets as rows, mixers as columns, cells
    ``value / optimum`` (``*`` marks a projected iteration that did not converge)."""
    mixers = [m for m in MIXERS if any(r["mixer"] == m for r in rows)]
    mixers += [m for m in dict.fromkeys(r["mixer"] for r in rows) if m not in mixers]
    lines = []
    if rho is not None:
        lines.append(f"Exact robust value of the greedy policy of each fixed point / exact robust optimum "
                     f"(rho = {rho}; n/a: the target needs a group of models; -: not computed in this "
                     f"profile; *: the projected iteration did not reach its tolerance).\n")
    for game in dict.fromkeys(r["game"] for r in rows):
        sub = [r for r in rows if r["game"] == game]
        lines.append(f"### {game}")
        lines.append("")
        lines.append("| target | " + " | ".join(mixers) + " |")
        lines.append("|---|" + "---|" * len(mixers))
        for target in dict.fromkeys(r["target"] for r in sub):
            cells = []
            for m in mixers:
                r = next((x for x in sub if x["target"] == target and x["mixer"] == m), None)
                if r is None:  # not computed in this profile
                    cells.append("-")
                elif r["ratio"] is None:
                    cells.append("n/a")
                else:
                    cells.append(f"{r['ratio']:.3f}" + ("" if r["converged"] else "*"))
            lines.append(f"| {target} | " + " | ".join(cells) + " |")
        lines.append("")
        ood = [r for r in sub if r.get("ood")]
        if ood:
            climates = list(ood[0]["ood"])
            lines.append(f"Out of distribution ({game}): value of the greedy policy under every climate (exact, "
                         f"non-robust) / the optimal value under that climate; mixers with the same greedy policy "
                         f"for a target share a row.")
            lines.append("")
            lines.append("| target | mixers | robust value / optimum | " + " | ".join(climates) + " |")
            lines.append("|---|---|---|" + "---|" * len(climates))
            for target in dict.fromkeys(r["target"] for r in ood):
                groups = {}
                for r in ood:
                    if r["target"] == target:
                        groups.setdefault(tuple(np.ravel(r["actions"]).tolist()), []).append(r)
                for rs in groups.values():
                    lines.append(f"| {target} | {', '.join(r['mixer'] for r in rs)} | {rs[0]['ratio']:.3f} | " +
                                 " | ".join(f"{rs[0]['ood'][c]:.3f}" for c in climates) + " |")
            lines.append("")
    return "\n".join(lines)


def run(out_dir=".", rho: float = 0.2) -> Path:
    """Compute :func:`table` and write ``drigm_table.md`` into ``out_dir``."""
    rows = table(rho)
    path = Path(out_dir) / "drigm_table.md"
    path.write_text(markdown(rows, rho))
    return path


# ---------------------------------------------------------------------------------------
# the ``robustgames reproduce`` study "drigm"

#: the sample-based learners' runs (game, target, mixer): on the small signed game the exact
#: and dropped contamination targets, the exact TV target with the joint table and VDN; the
#: G-network target on the same game with rewards <= 0 (the code's sign: with rewards >= 0
#: its g is 0 and Q = r from the first visit); on the climbing game the exact contamination
#: target with the three mixers, and the exact TV target with VDN (whose Q does not converge).
_LEARNER_RUNS = (("signed", "contamination_exact", "joint"), ("signed", "contamination", "joint"),
                 ("signed", "tv_exact", "joint"), ("signed", "tv_exact", "vdn"), ("cost", "g_network", "joint"),
                 ("climbing", "contamination_exact", "joint"), ("climbing", "contamination_exact", "vdn"),
                 ("climbing", "contamination_exact", "monotone"), ("climbing", "tv_exact", "vdn"))

#: per profile: games, radius grid, the radius of the README table, the mixers computed at
#: every radius (``sweep``) and at the table radius only (``table``), per-game restrictions
#: (``only_mixers``, applied off the table radius: the building's projected mixers ~18 s per
#: radius after the vectorised monotone projection and the one-LP-per-iteration L_inf VDN fit,
#: measured, against more than 60 s before; the intersection's ~15 s per radius), the fixed-point
#: tolerance of the projected mixers (the joint mixer always uses 1e-10; quick: 1e-4, which
#: gave the same greedy actions as 1e-6 for "vdn_linf" and "monotone" on the four small
#: games at rho = 0.1), and the
#: counterexample search (radius, number of seeded tries). ``game_tol``: per-game tolerance
#: (the building's projected mixers converge in ~170 iterations at 1e-4).
PROFILES = {
    "smoke": dict(games=("climbing", "penalty"), rhos=(0.1, 0.3), table_rho=0.1, sweep=("joint", "vdn"),
                  table=("joint", "vdn"), only_mixers={}, tol=1e-6, ce_rho=0.3, ce_tries=200,
                  learners=dict(rho=0.3, steps=2000, seeds=2, checkpoints=4,
                                runs=(("signed", "contamination_exact", "joint"),))),
    "quick": dict(games=("climbing", "penalty", "intersection", "chute", "building"), rhos=(0.05, 0.1, 0.2, 0.3),
                  table_rho=0.1, sweep=("joint", "vdn", "linear_monotone", "monotone"), table=MIXERS,
                  only_mixers={"building": ("joint",), "intersection": ("joint", "vdn", "linear_monotone")},
                  tol=1e-4, ce_rho=0.3, ce_tries=200,
                  learners=dict(rho=0.3, steps=20_000, seeds=3, checkpoints=20, runs=_LEARNER_RUNS)),
    "full": dict(games=("climbing", "penalty", "intersection", "chute", "building"),
                 rhos=(0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5), table_rho=0.1, sweep=MIXERS,
                 table=MIXERS, only_mixers={}, tol=1e-6, game_tol={"building": 1e-4}, ce_rho=0.3,
                 ce_tries=400, learners=dict(rho=0.3, steps=200_000, seeds=8, checkpoints=40, runs=_LEARNER_RUNS)),
}


def _mixers(profile: dict, game: str, rho: float) -> list[str]:
    """Mixers of one (game, rho) cell: the sweep's, plus the table's at the table radius;
    a per-game restriction applies off the table radius."""
    mixers = list(profile["sweep"])
    if rho == profile["table_rho"]:
        mixers += [m for m in profile["table"] if m not in mixers]
    only = profile["only_mixers"].get(game)
    if only is not None and rho != profile["table_rho"]:
        mixers = [m for m in mixers if m in only]
    return [m for m in MIXERS if m in mixers]


def cell_configs(profile: str) -> list[dict]:
    """The configs of the study's cells: one per (game, rho), then the counterexample search."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    p = PROFILES[profile]
    out = []
    for g in p["games"]:
        for rho in p["rhos"]:
            mixers = _mixers(p, g, rho)
            # the L_inf-VDN projection (one LP per iteration) gets a cell of its own
            groups = [[m for m in mixers if m != "vdn_linf"], [m for m in mixers if m == "vdn_linf"]]
            tol = p.get("game_tol", {}).get(g, p["tol"])
            out += [dict(experiment="drigm", profile=profile, part="table", game=g, rho=float(rho), mixers=ms,
                         tol=tol) for ms in groups if ms]
    out.append(dict(experiment="drigm", profile=profile, part="counterexample", rho=p["ce_rho"],
                    tries=p["ce_tries"], rhos=[float(r) for r in p["rhos"]]))
    lp = p.get("learners")
    if lp:
        out += [dict(experiment="drigm", profile=profile, part="learners", game=g, target=t, mixer=m,
                     rho=float(lp["rho"]), steps=int(lp["steps"]), seeds=int(lp["seeds"]),
                     checkpoints=int(lp["checkpoints"])) for g, t, m in lp["runs"]]
    return out


_STATES = {"climbing": 1, "penalty": 1, "intersection": 17, "chute": 21, "building": 9}
_MIXER_COST = {"joint": 1.0, "vdn": 1.0, "linear_monotone": 1.0, "monotone": 12.0, "vdn_linf": 18.0}


def cost(config: dict) -> float:
    """Rough relative run time of a cell (to start the long cells first)."""
    if config.get("part") == "counterexample":
        return 5.0
    if config.get("part") == "learners":  # ~40 us per sample, 1-3 s per quick cell
        return 1e-4 * config["steps"] * config["seeds"] * (3.0 if config["mixer"] == "monotone" else 1.0)
    return _STATES.get(config["game"], 10) * sum(_MIXER_COST.get(m, 10.0) for m in config["mixers"])


def _finite(x):
    return None if x is None or not np.isfinite(x) else float(x)


def _rows_for(game_name, rho, mixers, tol, targets=TARGETS):
    """Rows of one (game, rho): every target x mixer, with the fraction lost
    ``(optimum - value) / |optimum|`` (= ``1 - value/optimum`` when ``optimum > 0``)."""
    (game, group), = games([game_name]).values()
    climates = _climate_optima(game, group) if game_name == "building" else None
    rows = []
    for mixer in mixers:
        for target in targets:
            row = dict(game=game_name, rho=rho, target=target, mixer=mixer, value=None, optimum=None, ratio=None,
                       loss_frac=None, converged=None, iterations=None, actions=None)
            if target.startswith("group") and (group is None or not game.discounted):
                rows.append(row)
                continue
            kw = dict(group=group) if target.startswith("group") else {}
            t = 1e-10 if mixer == "joint" else tol
            row["tol"] = t
            res = target_fixed_point(game, target, rho, mixer=mixer, tol=t, max_iter=100_000, **kw)
            opt = res.optimum
            row.update(value=_finite(res.value), optimum=_finite(opt), ratio=_finite(res.ratio),
                       loss_frac=_finite((opt - res.value) / abs(opt)) if opt != 0 else None,
                       converged=bool(res.converged), iterations=int(res.iterations),
                       actions=np.asarray(res.actions).tolist())
            if climates is not None:
                row["ood"] = {c: _climate_value(game, K, res.actions) / opt_c for c, (K, opt_c) in climates.items()}
            rows.append(row)
    return rows


def _climate_value(game, kernel, actions):
    """Exact (non-robust) value at the start distribution of the deterministic joint policy
    ``actions`` when the outdoor temperature follows one climate (its kernel)."""
    from robustgames.factorization import robust_policy_value

    S, A = game.n_states, game.n_joint_actions
    r = game.rewards[..., 0].reshape(1, S, A)
    V = robust_policy_value(game, None, np.asarray(actions), group=(r, kernel.reshape(1, S, A, S)), tol=1e-12)
    return float(game.initial @ V)


def _climate_optima(game, group):
    """``{climate: (kernel, optimal value at the start distribution under that climate)}``
    for the building's climates (the group's kernels, in :data:`BUILDING_CLIMATES` order);
    the optimum by exact value iteration (``group_exact`` over that one climate)."""
    from robustgames.games._building import BUILDING_CLIMATES

    out = {}
    S, A = game.n_states, game.n_joint_actions
    for c, K in zip(BUILDING_CLIMATES, group[1]):
        one = (game.rewards[None, ..., 0], K[None])
        fp = target_fixed_point(game, "group_exact", 0.0, group=one, tol=1e-12, max_iter=1_000_000)
        out[c] = (K, _climate_value(game, K, fp.actions))
    return out


def _absorbing_instance(rng, n_states=3, acts=(2, 2), gamma=0.95):
    """A small cooperative game: Dirichlet(0.5) kernels, rewards N(-0.5, 1) (both signs),
    last state absorbing with reward 0 (pinned at value 0 as a terminal)."""
    S = n_states
    P = rng.dirichlet(np.full(S, 0.5), size=(S,) + tuple(acts))
    r = rng.normal(size=(S,) + tuple(acts)) - 0.5
    P[S - 1] = 0.0
    P[S - 1, ..., S - 1] = 1.0
    r[S - 1] = 0.0
    return rg.MarkovGame(P, np.repeat(r[..., None], len(acts), axis=-1), gamma=gamma), P, r


def find_dropped_term_counterexample(rng, rho: float = 0.3, tries: int = 200, *, rhos=()):
    """Search seeded small absorbing games with rewards of both signs (non-terminal states)
    for one where the greedy joint actions (non-terminal states) of the dropped
    ``"contamination"`` target and of ``"contamination_exact"`` differ AND the dropped
    policy loses exact robust value (docs/theory.md section 6.2).

    Returns ``None`` or a dict: the instance (``transitions``, ``rewards``, ``gamma``,
    ``terminal``), ``tries`` used, per-state greedy actions and exact robust values of
    both policies under the contamination set of radius ``rho`` (``V_drop_policy``,
    ``V_optimal``), start-distribution values, and ``sweep``: the same comparison at every
    radius of ``rhos``.
    """
    from robustgames.factorization import robust_policy_value, team_robust_q
    from robustgames.uncertainty import Contamination

    rng = np.random.default_rng(rng)
    for t in range(1, tries + 1):
        game, P, r = _absorbing_instance(rng)
        if not ((r[:-1] > 0).any() and (r[:-1] < 0).any()):  # rewards of both signs
            continue
        term = [game.n_states - 1]
        d = target_fixed_point(game, "contamination", rho, terminal=term, tol=1e-12, max_iter=1_000_000)
        e = target_fixed_point(game, "contamination_exact", rho, terminal=term, tol=1e-12, max_iter=1_000_000)
        if np.array_equal(d.actions[:-1], e.actions[:-1]) or e.value - d.value <= 1e-9:
            continue

        def compare(rh):
            dd = target_fixed_point(game, "contamination", rh, terminal=term, tol=1e-12, max_iter=1_000_000)
            ee = target_fixed_point(game, "contamination_exact", rh, terminal=term, tol=1e-12, max_iter=1_000_000)
            U = Contamination(rh)
            v_d = robust_policy_value(game, U, dd.actions, terminal=term)
            v_o = team_robust_q(game, U, terminal=term).V
            return dict(rho=float(rh), greedy_drop=dd.actions[:-1].tolist(), greedy_exact=ee.actions[:-1].tolist(),
                        differ=bool(not np.array_equal(dd.actions[:-1], ee.actions[:-1])),
                        value=float(dd.value), optimum=float(ee.value),
                        loss_frac=float((ee.value - dd.value) / abs(ee.value)) if ee.value != 0 else None,
                        V_drop_policy=v_d.tolist(), V_optimal=v_o.tolist(), V_drop_fixed_point=dd.V.tolist())

        return dict(tries=t, rho=float(rho), gamma=game.gamma, terminal=term, initial=game.initial.tolist(),
                    transitions=P.tolist(), rewards=r.tolist(), actions=[list(range(a)) for a in (2, 2)],
                    at_rho=compare(rho), sweep=[compare(float(x)) for x in rhos])
    return None


def learner_game(name: str):
    """The learners' games: ``"signed"``, a small random cooperative game (3 states, 2x2 joint
    actions, gamma 0.6, Dirichlet(1) kernels, rewards ``U[0, 1] - 0.5`` of both signs, seed 0)
    on which dropping ``rho min V`` moves the fixed point (not the greedy policy); ``"cost"``,
    the same game with rewards ``U[0, 1] - 1 <= 0`` (the sign of the code's building
    rewards); or a game of :func:`games` (e.g. ``"climbing"``, where VDN miscoordinates)."""
    if name in ("signed", "cost"):
        rng = np.random.default_rng(0)
        P = rng.dirichlet(np.ones(3), size=(3, 2, 2))
        r = rng.random(size=(3, 2, 2)) - (0.5 if name == "signed" else 1.0)
        return rg.MarkovGame(P, np.repeat(r[..., None], 2, axis=-1), gamma=0.6)
    (game, _), = games([name]).values()
    return game


def learner_runs(game_name: str, target: str, mixer: str, rho: float, *, steps: int, seeds: int,
                 checkpoints: int, seed) -> dict:
    """Robust factored Q-learners (:func:`robustgames.train_factored`) against the exact fixed
    point of the same target and mixer (:func:`robustgames.factorization.target_fixed_point`).

    For every seed (children of ``seed``, a :class:`numpy.random.SeedSequence`): at
    ``checkpoints`` evenly spaced steps, ``q_error`` = ``||Q_learned - Q_fp||_inf`` (the
    mixer's joint table against the fixed point's ``Q``), ``v_error`` the same for the state
    values ``max_a Q``, and ``value`` = the EXACT robust value
    of the learned greedy decentralised policy at the start distribution; at the end, the
    :func:`~robustgames.factorization.igm_report` of the learned ``Q`` with the learned
    per-agent utilities (``igm_given``: fraction of states where their greedy product is in
    the joint argmax; ``vdn_residual_linf``: largest per-state L_inf VDN residual) and the
    fraction of states whose learned greedy joint action is the fixed point's.
    ``fp_value`` / ``optimum``: the fixed point's greedy policy's exact robust value and the
    exact robust optimum.
    """
    from robustgames.factorization import train_factored

    game = learner_game(game_name)
    fp = target_fixed_point(game, target, rho, mixer=mixer, tol=1e-12, max_iter=1_000_000)
    children = (seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)).spawn(seeds)
    out = dict(game=game_name, target=target, mixer=mixer, rho=float(rho), steps=None, q_error=[], value=[],
               fp_value=float(fp.value), optimum=float(fp.optimum), fp_converged=bool(fp.converged),
               v_error=[], igm_given=[], vdn_residual_linf=[], greedy_agree=[], final_q_error=[],
               final_v_error=[], final_value=[])
    for child in children:
        res = train_factored(game, target, rho, mixer, steps=steps, rng=np.random.default_rng(child),
                             n_checkpoints=checkpoints, reference=fp.Q)
        h = res.history
        out["steps"] = h["step"].astype(int).tolist()
        out["q_error"].append(h["q_error"].tolist())
        out["v_error"].append(h["v_error"].tolist())
        out["final_v_error"].append(float(h["v_error"][-1]))
        out["value"].append(h["robust_value"].tolist())
        out["final_q_error"].append(float(h["q_error"][-1]))
        out["final_value"].append(float(res.robust_value))
        out["igm_given"].append(float(np.mean(res.igm.igm_given)))
        out["vdn_residual_linf"].append(float(res.igm.vdn_residual_linf.max()))
        out["greedy_agree"].append(float(np.mean(np.asarray(res.actions) == np.asarray(fp.actions))))
    return out


def drigm_cell(config: dict, seed) -> dict:
    """The cell function of the study (``config`` from :func:`cell_configs`): ``{"rows":
    [...]}`` for a (game, rho) cell, ``{"counterexample": dict or None}`` for the search
    (seeded by ``seed``, a :class:`numpy.random.SeedSequence`)."""
    if config.get("part") == "counterexample":
        return {"counterexample": find_dropped_term_counterexample(
            np.random.default_rng(seed), config["rho"], config["tries"], rhos=config["rhos"])}
    if config.get("part") == "learners":
        return {"learners": learner_runs(config["game"], config["target"], config["mixer"], config["rho"],
                                         steps=config["steps"], seeds=config["seeds"],
                                         checkpoints=config["checkpoints"], seed=seed)}
    return {"rows": _rows_for(config["game"], float(config["rho"]), list(config["mixers"]), float(config["tol"]))}


def collect(values: list[dict], profile: str) -> dict:
    """Merge the cells' values into the study record: ``rows`` (every (game, rho, target,
    mixer)), ``counterexample``, ``table_rho``, ``table_md`` (Markdown at the table radius)."""
    order = {g: i for i, g in enumerate(("climbing", "penalty", "intersection", "chute", "building"))}
    rows = sorted((r for v in values for r in v.get("rows", [])),
                  key=lambda r: (order.get(r["game"], 99), r["game"], r["rho"], TARGETS.index(r["target"]),
                                 MIXERS.index(r["mixer"])))
    ce = next((v["counterexample"] for v in values if "counterexample" in v), None)
    runs = list(PROFILES[profile].get("learners", {}).get("runs", ()))
    learners = sorted((v["learners"] for v in values if "learners" in v),
                      key=lambda L: runs.index((L["game"], L["target"], L["mixer"]))
                      if (L["game"], L["target"], L["mixer"]) in runs else len(runs))
    table_rho = PROFILES[profile]["table_rho"]
    at = [r for r in rows if r["rho"] == table_rho]
    return dict(profile=profile, table_rho=table_rho, tol=PROFILES[profile]["tol"], rows=rows, counterexample=ce,
                table_md=markdown(at, table_rho), exact=True, learners=learners)


if __name__ == "__main__":  # pragma: no cover
    print(markdown(table(), 0.2))
