"""Deep agents against the exact truth (docs/theory.md section 10).

Two parts, one reproduce cell per run (PyTorch is needed: ``pip install torch==2.13.0 &&
pip install -e ".[deep]"``; the study is in the ``full`` profile only):

* ``factorised``: robust VDN and QMIX (:func:`robustgames.deep.train_factorised`) with every
  target of :data:`robustgames.deep._losses.LOSS_TARGETS` used here (exact contamination
  with the batch minimum, the published contamination target, the G-network, the exact TV
  dual, non-robust; GroupDR on the building) on the coordination games (climbing,
  penalty, intersection), the chute-mapping game of the DrIGM study (finite horizon 4, 21
  states; the agents' finite-horizon form), the building game and the absorbing signed-reward instance of
  the DrIGM study (:func:`robustgames.experiments.drigm.find_dropped_term_counterexample`,
  where dropping ``rho min V`` changes the greedy policy). Curve: the normalised score
  :func:`normalised_score` ``1 - (V* - V)/|V*|`` of the EXACT robust value ``V`` of the
  greedy decentralised policy against the exact robust optimum ``V*`` (``V/V*`` when
  ``V* > 0``; at most 1, 1 at the optimum, for either sign: the absorbing game's ``V*`` is
  negative), every ``track_every`` steps; next to it the score of the exact tabular fixed point
  of the same target and mixer (:func:`robustgames.factorization.target_fixed_point`,
  ``"vdn"`` for VDN, ``"monotone"`` for QMIX) on the small games.
* ``mappo``: risk-averse MAPPO (:func:`robustgames.deep.train_rqe_mappo`) in its three
  ablations on the RQE grid world (horizon 15) and the one-shot penalty game, compared with
  the exact Markov RQE and QRE at the same ``tau``, ``epsilon``.

* ``rqe_ac``: the RQE actor-critic (:func:`robustgames.deep.train_rqe_actor_critic`, the
  RQE's tilted advantage from a joint-action critic; docs/theory.md 10.3) and risk-averse
  MAPPO side by side, at parameters inside the tractability condition ``eps_1 tau_1 eps_2 tau_2 > 1`` (unconfirmed against the paper, docs/theory.md 7.2):
  the one-shot penalty game (``tau = 10``, ``eps = 0.15``) and the grid world (``tau = 2``,
  ``eps = 0.75``).

Seeds: cell ``k`` trains with seed ``k + 100 (root seed mod 10000)`` (root seed 0: seeds 0, 1, 2). Tables: mean
and Student-t 95% CI over seeds (:func:`robustgames.experiments.chute.t_interval`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["PROFILES", "cells", "cost", "cell", "export", "markdown_factorised", "markdown_mappo", "markdown_rqe_ac",
           "games",
           "normalised_score"]

STUDY = "deep"

PROFILES = {
    "smoke": dict(games=("penalty",), targets=("contamination_exact", "g_network"), mixers=("vdn", "qmix"),
                  seeds=2, steps=150, track_every=75, rho=0.1, absorbing_rho=0.3,
                  mappo_games=("penalty",), variants=("both", "rationality"), mappo_seeds=2, iterations=4,
                  episodes=4, mappo_track=2, grid_horizon=3,
                  rqe_ac={"penalty": (10.0, 0.15)}, rqe_ac_seeds=1),
    "full": dict(games=("climbing", "penalty", "intersection", "chute", "building", "absorbing"),
                 targets=("contamination_exact", "contamination", "g_network", "tv_exact", "nonrobust", "groupdr"),
                 mixers=("vdn", "qmix"), seeds=3, steps=2000, track_every=200, rho=0.1, absorbing_rho=0.3,
                 mappo_games=("grid", "penalty"), variants=("both", "risk", "rationality"), mappo_seeds=3,
                 iterations=100, episodes=16, mappo_track=10, grid_horizon=15,
                 rqe_ac={"penalty": (10.0, 0.15), "grid": (2.0, 0.75)}, rqe_ac_seeds=3),
}

#: the exact monotone fixed point is computed on games with at most this many states (its
#: projection is the costly one; every game of the study is within: the chute has 21)
MONOTONE_MAX_STATES = 30

#: the factorised part's games in table and figure order
GAME_ORDER = ("climbing", "penalty", "intersection", "chute", "building", "absorbing")

#: (tau, epsilon) of the MAPPO runs (the RQE study's grid-world epsilon is 0.1; tau = 1 is
#: one of its risk levels)
MAPPO_PARAMETERS = dict(tau=1.0, epsilon=0.1, eps_min=0.02)


def normalised_score(value, optimum):
    """Normalised score of an exact robust value against the exact robust optimum.

    ``score = 1 - (V* - V) / |V*|`` (``V`` the exact robust value of the learned greedy
    policy, ``V*`` the exact robust optimum, ``V <= V*``): the loss ``V* - V`` in units of
    ``|V*|``, subtracted from 1. It equals ``V / V*`` when ``V* > 0``, and for either sign
    of ``V*`` it is at most 1 with equality exactly at the optimum (a plain ``V / V*``
    exceeds 1 for a WORSE value when ``V* < 0``, e.g. the absorbing game). The one score
    of the deep study's tables, figures and README.

    Parameters
    ----------
    value, optimum : float or array_like
        ``V`` and ``V*`` (``optimum`` non-zero; ``None`` entries of ``value`` give ``None``).

    Returns
    -------
    float or None (list for a list ``value``)
    """
    if isinstance(value, (list, tuple)):
        return [normalised_score(v, optimum) for v in value]
    if value is None or optimum is None:
        return None
    value, optimum = float(value), float(optimum)
    if optimum == 0.0 or not np.isfinite(optimum):
        raise ValueError(f"optimum must be finite and non-zero, got {optimum!r}")
    return 1.0 - (optimum - value) / abs(optimum)


def _profile(profile):
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    return PROFILES[profile]


def games(name: str):
    """``(game, group, terminal, rho_override)`` of a factorised-part game name."""
    from robustgames.experiments import drigm

    if name == "absorbing":
        ce = drigm.find_dropped_term_counterexample(np.random.default_rng(0), 0.3, 200)
        import robustgames as rg

        g = rg.MarkovGame(np.asarray(ce["transitions"]),
                          np.repeat(np.asarray(ce["rewards"])[..., None], 2, axis=-1), gamma=ce["gamma"])
        return g, None, ce["terminal"]
    (g, group), = drigm.games([name]).values()
    return g, group, None


def cells(profile: str, seed: int = 0):
    """One cell per (game, target, mixer, seed) and per (game, variant, seed)."""
    from robustgames.runner import Cell

    P = _profile(profile)
    out = []
    for g in P["games"]:
        for t in P["targets"]:
            if t == "groupdr" and g != "building":
                continue
            for m in P["mixers"]:
                for k in range(P["seeds"]):
                    out.append(Cell(STUDY, {"experiment": STUDY, "part": "factorised", "profile": profile, "game": g,
                                            "target": t, "mixer": m, "run": k}, k, seed))
    for g in P["mappo_games"]:
        for v in P["variants"]:
            for k in range(P["mappo_seeds"]):
                out.append(Cell(STUDY, {"experiment": STUDY, "part": "mappo", "profile": profile, "game": g,
                                        "variant": v, "run": k}, k, seed))
    for g in P["rqe_ac"]:
        for method in ("ac", "mappo"):
            for k in range(P["rqe_ac_seeds"]):
                out.append(Cell(STUDY, {"experiment": STUDY, "part": "rqe_ac", "profile": profile, "game": g,
                                        "method": method, "run": k}, k, seed))
    return out


def cost(config: dict) -> float:
    """Relative run time (seconds, roughly, on one core)."""
    P = _profile(config["profile"])
    if config["part"] in ("mappo", "rqe_ac"):
        return (1.2 if config["game"] == "grid" else 0.05) * P["iterations"] * P["episodes"] / 16
    chute = 4.0 if config["game"] == "chute" else 1.0  # measured: ~25 s of training per 2000 steps
    return chute * P["steps"] / 2000 * (8.0 if config["mixer"] == "qmix" else 5.0)


def _fixed_point(game, target, mixer, rho, group, terminal):
    """``(ratio, score)`` of the exact tabular fixed point of ``target`` with the VDN or
    monotone mixer (``(None, None)`` where not computed): its greedy policy's exact robust
    value over / scored against (:func:`normalised_score`) the exact robust optimum."""
    from robustgames.factorization import target_fixed_point

    name = {"nonrobust": "contamination"}.get(target, target)
    r = 0.0 if target == "nonrobust" else rho
    mx = "vdn" if mixer == "vdn" else "monotone"
    if game.n_states > MONOTONE_MAX_STATES and mx == "monotone":
        return None, None
    kw = dict(group=group) if target == "groupdr" else {}
    res = target_fixed_point(game, name, r, mixer=mx, terminal=terminal, tol=1e-8, max_iter=100_000, **kw)
    if target == "nonrobust":  # its greedy policy, evaluated under the contamination set of radius rho
        from robustgames.factorization import robust_policy_value, team_robust_q
        from robustgames.uncertainty import Contamination

        U = Contamination(rho)
        v_pol = robust_policy_value(game, U, res.actions, terminal=terminal)
        v_opt = team_robust_q(game, U, terminal=terminal).V
        v = float(game.initial @ (v_pol if game.discounted else v_pol[0]))  # finite horizon: step 0
        opt = float(game.initial @ (v_opt if game.discounted else v_opt[0]))
    else:
        v, opt = res.value, res.optimum
    if not opt or not np.isfinite(v):
        return None, None
    return v / opt, normalised_score(v, opt)


def factorised_run(config: dict, seed: int) -> dict:
    import torch

    from robustgames.deep import train_factorised

    torch.set_num_threads(1)
    P = _profile(config["profile"])
    game, group, terminal = games(config["game"])
    rho = P["absorbing_rho"] if config["game"] == "absorbing" else P["rho"]
    res = train_factorised(game, config["target"], rho, config["mixer"], steps=P["steps"], seed=seed,
                           terminal=terminal, group=group if config["target"] == "groupdr" else None,
                           track_every=P["track_every"], tracker=terminal is None)
    opt = res.optimum
    igm = res.igm
    fp_ratio, fp_score = _fixed_point(game, config["target"], config["mixer"], rho, group, terminal)
    return {"part": "factorised", **{k: config[k] for k in ("game", "target", "mixer", "run")}, "seed": seed,
            "rho": rho, "optimum": opt, "value": res.robust_value, "ratio": res.ratio,
            "steps": res.history["step"], "values": res.history["robust_value"],
            "ratios": [v / opt if opt else None for v in res.history["robust_value"]],
            "score": normalised_score(res.robust_value, opt),
            "scores": normalised_score(list(res.history["robust_value"]), opt),
            "td_loss": res.history["td_loss"], "seconds": res.seconds, "uncertainty": res.uncertainty,
            "igm_given": float(np.mean(igm.igm_given)) if igm is not None else None,
            "vdn_residual_linf": float(np.max(igm.vdn_residual_linf)) if igm is not None else None,
            "fixed_point_ratio": fp_ratio, "fixed_point_score": fp_score,
            "tracker_gap_cce": [r["gap_cce"] for r in res.tracker.records] if res.tracker is not None else None}


def mappo_run(config: dict, seed: int) -> dict:
    import torch

    import robustgames as rg
    from robustgames.deep import train_rqe_mappo, variant_parameters
    from robustgames.games import penalty_game

    torch.set_num_threads(1)
    P = _profile(config["profile"])
    game = rg.rqe_grid_world(horizon=P["grid_horizon"]) if config["game"] == "grid" else penalty_game(horizon=1)
    tau, eps = variant_parameters(config["variant"], MAPPO_PARAMETERS["tau"], MAPPO_PARAMETERS["epsilon"],
                                  MAPPO_PARAMETERS["eps_min"])
    res = train_rqe_mappo(game, tau, eps, iterations=P["iterations"], episodes=P["episodes"],
                          track_every=P["mappo_track"], seed=seed)
    return {"part": "mappo", **{k: config[k] for k in ("game", "variant", "run")}, "seed": seed, "tau": tau,
            "epsilon": eps, "history": res.history, "critic": res.critic, "distance_rqe": res.distance_rqe,
            "distance_qre": res.distance_qre, "distance_rqe_mean": res.distance_rqe_mean,
            "distance_qre_mean": res.distance_qre_mean, "exploitability": res.exploitability,
            "exploitability_mean": res.exploitability_mean, "rqe_exploitability": res.rqe_exploitability,
            "seconds": res.seconds}


def rqe_ac_run(config: dict, seed: int) -> dict:
    """The RQE actor-critic (:func:`robustgames.deep.train_rqe_actor_critic`) or risk-averse
    MAPPO at the profile's ``rqe_ac`` parameters of the game (``eps tau > 1``: a unique RQE)."""
    import torch

    import robustgames as rg
    from robustgames.deep import train_rqe_actor_critic, train_rqe_mappo
    from robustgames.games import penalty_game

    torch.set_num_threads(1)
    P = _profile(config["profile"])
    game = rg.rqe_grid_world(horizon=P["grid_horizon"]) if config["game"] == "grid" else penalty_game(horizon=1)
    tau, eps = P["rqe_ac"][config["game"]]
    f = train_rqe_actor_critic if config["method"] == "ac" else train_rqe_mappo
    res = f(game, tau, eps, iterations=P["iterations"], episodes=P["episodes"], track_every=P["mappo_track"],
            seed=seed)
    return {"part": "rqe_ac", **{k: config[k] for k in ("game", "method", "run")}, "seed": seed, "tau": tau,
            "epsilon": eps, "history": res.history, "distance_rqe": res.distance_rqe,
            "distance_rqe_mean": res.distance_rqe_mean, "exploitability": res.exploitability,
            "exploitability_mean": res.exploitability_mean, "rqe_exploitability": res.rqe_exploitability,
            "seconds": res.seconds}


def cell(config: dict, seed) -> dict:
    """Run one cell; returns ``{"json": <strict JSON text>}``."""
    from robustgames.runner import strict_json

    s = int(config["run"]) + (int(seed.entropy) % 10_000 * 100 if hasattr(seed, "entropy") else 0)
    if config["part"] == "factorised":
        return {"json": strict_json(factorised_run(config, s))}
    if config["part"] == "mappo":
        return {"json": strict_json(mappo_run(config, s))}
    if config["part"] == "rqe_ac":
        return {"json": strict_json(rqe_ac_run(config, s))}
    raise ValueError(f"config['part'] must be 'factorised', 'mappo' or 'rqe_ac', got {config['part']!r}")


def _ci(values):
    from robustgames.experiments.chute import t_interval

    return t_interval(values)


def _fixed_point_score(run):
    """The run's ``fixed_point_score``; records written before it existed carry only
    ``fixed_point_ratio`` = ``V_fp / V*`` with the run's ``optimum`` ``V*`` (the same exact
    optimum), so ``V_fp = ratio * V*``."""
    if "fixed_point_score" in run:
        return run["fixed_point_score"]
    ratio = run.get("fixed_point_ratio")
    return None if ratio is None else normalised_score(ratio * run["optimum"], run["optimum"])


def summarise(runs: list[dict]) -> dict:
    """Per (game, target, mixer) and per (game, variant): means and CIs over seeds."""
    fac, mp, ac = {}, {}, {}
    for r in runs:
        if r["part"] == "factorised":
            fac.setdefault((r["game"], r["target"], r["mixer"]), []).append(r)
        elif r["part"] == "rqe_ac":
            ac.setdefault((r["game"], r["method"]), []).append(r)
        else:
            mp.setdefault((r["game"], r["variant"]), []).append(r)
    frows = []
    for (g, t, m), rs in fac.items():
        frows.append(dict(game=g, target=t, mixer=m, n=len(rs),
                          score=_ci([normalised_score(r["value"], r["optimum"]) for r in rs]),
                          optimum=rs[0]["optimum"], fixed_point_score=_fixed_point_score(rs[0]),
                          uncertainty=rs[0]["uncertainty"],
                          igm_given=_ci([r["igm_given"] for r in rs])["mean"],
                          seconds=float(np.mean([r["seconds"] for r in rs]))))
    mrows = []
    for (g, v), rs in mp.items():
        mrows.append(dict(game=g, variant=v, tau=rs[0]["tau"], epsilon=rs[0]["epsilon"], n=len(rs),
                          distance_rqe=_ci([r["distance_rqe_mean"] for r in rs]),
                          distance_qre=_ci([r["distance_qre_mean"] for r in rs]),
                          distance_rqe_max=_ci([r["distance_rqe"] for r in rs]),
                          exploitability=_ci([r["exploitability_mean"] for r in rs]),
                          exploitability_max=_ci([r["exploitability"] for r in rs]),
                          risk_error=_ci([float(np.max(np.abs(np.subtract(r["critic"]["risk_critic"],
                                                                          r["critic"]["risk_exact"]))))
                                          for r in rs]),
                          w1=_ci([float(np.max(r["critic"]["w1"])) for r in rs]),
                          rqe_exploitability=rs[0]["rqe_exploitability"],
                          seconds=float(np.mean([r["seconds"] for r in rs]))))
    arows = [dict(game=g, method=m, tau=rs[0]["tau"], epsilon=rs[0]["epsilon"], n=len(rs),
                  distance_rqe=_ci([r["distance_rqe_mean"] for r in rs]),
                  distance_rqe_max=_ci([r["distance_rqe"] for r in rs]),
                  exploitability=_ci([r["exploitability_mean"] for r in rs]),
                  seconds=float(np.mean([r["seconds"] for r in rs])))
             for (g, m), rs in ac.items()]
    return dict(factorised=frows, mappo=mrows, rqe_ac=arows)


def _fmt(ci, digits=3):
    if ci["mean"] is None:
        return "n/a"
    if ci["lo"] is None:
        return f"{ci['mean']:.{digits}f}"
    return f"{ci['mean']:.{digits}f} [{ci['lo']:.{digits}f}, {ci['hi']:.{digits}f}]"


def markdown_factorised(rows) -> str:
    """Normalised score (:func:`normalised_score`, ``1 - (V* - V)/|V*|``) of the exact robust
    value of the greedy decentralised policy (mean [95% CI] over seeds), and the same score
    for the exact tabular fixed point."""
    order = GAME_ORDER
    tord = PROFILES["full"]["targets"]
    rows = sorted(rows, key=lambda r: (order.index(r["game"]) if r["game"] in order else 99,
                                       tord.index(r["target"]) if r["target"] in tord else 99, r["mixer"]))
    out = ["| game | target | V* | VDN (deep) | VDN fixed point | QMIX (deep) | monotone fixed point |",
           "|---|---|---|---|---|---|---|"]
    by = {(r["game"], r["target"], r["mixer"]): r for r in rows}
    seen = []
    for r in rows:
        key = (r["game"], r["target"])
        if key in seen:
            continue
        seen.append(key)
        cols = []
        for m in ("vdn", "qmix"):
            x = by.get(key + (m,))
            fp = None if x is None else x["fixed_point_score"]
            cols += ["n/a" if x is None else _fmt(x["score"]), "n/a" if fp is None else f"{fp:.3f}"]
        out.append(f"| {r['game']} | {r['target']} | {r['optimum']:.3f} | " + " | ".join(cols) + " |")
    return "\n".join(out) + "\n"


def markdown_mappo(rows) -> str:
    """Risk-averse MAPPO against the exact Markov RQE and QRE (mean [95% CI] over seeds)."""
    out = ["| game | variant | tau | eps | TV to RQE (occupancy mean) | TV to QRE (occupancy mean) | "
           "TV to RQE (max, reached) | regularised exploitability (mean) | critic entropic-risk error | "
           "critic W1 |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["game"], r["variant"])):
        out.append(f"| {r['game']} | {r['variant']} | {r['tau']:g} | {r['epsilon']:g} | {_fmt(r['distance_rqe'])} | "
                   f"{_fmt(r['distance_qre'])} | {_fmt(r['distance_rqe_max'])} | {_fmt(r['exploitability'])} | "
                   f"{_fmt(r['risk_error'])} | {_fmt(r['w1'])} |")
    return "\n".join(out) + "\n"


def markdown_rqe_ac(rows) -> str:
    """RQE actor-critic and risk-averse MAPPO at parameters with a unique RQE (mean [95% CI])."""
    out = ["| game | learner | tau | eps | TV to RQE (occupancy mean) | TV to RQE (max, reached) | "
           "regularised exploitability (mean) |", "|---|---|---|---|---|---|---|"]
    name = {"ac": "RQE actor-critic", "mappo": "risk-averse MAPPO"}
    for r in sorted(rows, key=lambda r: (r["game"] != "penalty", r["method"])):
        out.append(f"| {r['game']} | {name[r['method']]} | {r['tau']:g} | {r['epsilon']:g} | "
                   f"{_fmt(r['distance_rqe'])} | {_fmt(r['distance_rqe_max'])} | {_fmt(r['exploitability'])} |")
    return "\n".join(out) + "\n"


def export(store, data: Path, profile: str, seed: int = 0, *, allow_missing: bool = False):
    """Gather the stored cells into ``data/deep_<profile>.json``; ``None`` if any is missing
    (``allow_missing=True``: export what is stored, listing the missing cells under
    ``"missing"``, for an honestly labelled partial run)."""
    from robustgames.runner import strict_json

    runs, missing = [], []
    for c in cells(profile, seed):
        if not store.has(c):
            if not allow_missing:
                return None
            missing.append(c.config)
            continue
        runs.append(json.loads(store.get(c)["values"]["json"]))
    summary = summarise(runs)
    out = {"profile": profile, "seed": seed, "mappo_parameters": MAPPO_PARAMETERS, "missing": missing,
           "runs": runs, **summary,
           "table_factorised_md": markdown_factorised(summary["factorised"]),
           "table_mappo_md": markdown_mappo(summary["mappo"]),
           "table_rqe_ac_md": markdown_rqe_ac(summary["rqe_ac"])}
    data = Path(data)
    data.mkdir(parents=True, exist_ok=True)
    path = data / f"deep_{profile}.json"
    path.write_text(strict_json(out, indent=1))
    return path
