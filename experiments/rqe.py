"""The ``rqe`` study of ``robustgames reproduce`` (docs/theory.md sections 7.5-7.6).

Three parts, each a list of runner cells (``config["experiment"] == "rqe"``, ``config["part"]``):

* ``"games"`` (one cell): predicted play of RQE, Nash and logit QRE on matrix games: the
  classic games of :mod:`robustgames.games._matrix` (textbook payoffs, shared
  ``tau``/``epsilon``) and the 13 games of the RQE paper (arXiv 2406.14156: Goeree-Holt-Palfrey
  game 4, Selten-Chmura games 1-12) with the payoffs, the observed play and the fitted
  ``(tau_i, epsilon_i)`` (log-barrier regulariser) read from the authors' notebook
  (kishanpb/Risk-averse-Quantal-Equilibria, ``notebook-for-matrix-games.ipynb``, the executed
  cells; facts only). The logit QRE is ``rqe(tau=0, regularizer="entropy")`` (docs/theory.md
  section 7.1: ``tau -> 0`` gives the logit QRE at ``lambda = 1/epsilon``) with ``lambda`` fitted
  to the observed play on a log grid (least squares). Certified: each RQE's first-order
  residual and exploitabilities (stored).
* ``"plane"`` (one cell per ``tau``): the risk-rationality plane for the coordination game
  ``eye(2)`` (both players), ``tau_1 = tau_2 = tau``, ``eps_1 = eps_2 = eps`` log-spaced.
  At each point: Newton RQE from the four corner starts (certified distinct RQE counted) and
  projected simultaneous gradient play on the paired game
  (:func:`robustgames.equilibria._rqe_dynamics.paired_gradient_play`) from the same starts,
  classified ``unique`` (all runs reach residual <= 1e-8 and end within 1e-5 of each other),
  ``several`` (all converge, ends more than 1e-3 apart) or ``not_converged``; compared with
  the tractability curve ``eps_1 tau_1 eps_2 tau_2 = 1`` (:func:`robustgames.rqe_tractable`).
  A run that has not converged in ``max_iter`` steps climbs the step-size ladder
  :data:`LADDER` (each rung continues from where the previous one stopped: first the same
  step for another ``max_iter`` steps, then a quarter of the step for ``max_iter`` more), so
  a point is ``not_converged`` only after ``3 max_iter`` steps per start; the ladder and the
  rung reached are stored.
* ``"grid"`` (one cell per ``tau``): the Markov RQE of the authors' grid world
  (:func:`robustgames.rqe_grid_world`, :func:`robustgames.solve_rqe`), greedy paths and start
  strategies (:func:`grid_part`).

:func:`export` gathers the stored cells into ``data/rqe_<profile>.json``, which the figures
(:mod:`robustgames.paper_figures.rqe`) read.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

STUDY = "rqe"

#: per profile: plane grid size, dynamics budget, grid-world taus
PROFILES = {
    "smoke": {"plane_n": 3, "max_iter": 5_000, "grid_taus": (0.1,), "grid_horizon": 3},
    "quick": {"plane_n": 7, "max_iter": 40_000, "grid_taus": (0.01, 0.1, 1.0, 10.0), "grid_horizon": 15},
    "full": {"plane_n": 13, "max_iter": 200_000, "grid_taus": (0.01, 0.1, 1.0, 10.0), "grid_horizon": 15},
}
PLANE_TAU = (1e-2, 1e2)
PLANE_EPS = (1e-2, 1e1)
CLASSIC_TAU = 1.0
CLASSIC_EPS = 0.5

#: The 13 games of arXiv 2406.14156 (authors' notebook, executed cells): row payoff R1,
#: column payoff R2 (both (row action, column action)), observed [P(row plays 0), P(col plays 0)],
#: fitted epsilon, tau (log-barrier regulariser, KL adversary).
PAPER_GAMES = {
    "GHP4": ([[200, 160], [370, 10]], [[160, 10], [200, 370]], (0.47, 0.65), (170, 110), (0.001, 0.06)),
    "SC1": ([[10, 0], [9, 10]], [[10, 18], [9, 8]], (0.079, 0.69), (0.21, 0.555), (0.1, 100)),
    "SC2": ([[9, 0], [6, 8]], [[4, 13], [7, 5]], (0.217, 0.527), (0.68, 10), (0.08, 2)),
    "SC3": ([[8, 0], [7, 10]], [[6, 14], [7, 4]], (0.163, 0.793), (0.216, 0.837), (0.1, 56)),
    "SC4": ([[7, 0], [5, 9]], [[4, 11], [6, 2]], (0.286, 0.736), (0.35, 1.64), (0.1, 30)),
    "SC5": ([[7, 0], [4, 8]], [[2, 9], [5, 1]], (0.327, 0.664), (0.38, 2.7), (0.1, 10)),
    "SC6": ([[7, 1], [3, 8]], [[1, 7], [5, 0]], (0.445, 0.596), (0.92, 3.8), (0.1, 6)),
    "SC7": ([[10, 4], [9, 14]], [[12, 22], [9, 8]], (0.141, 0.564), (0.49, 1.88), (0.1, 11)),
    "SC8": ([[9, 3], [6, 11]], [[7, 16], [7, 5]], (0.25, 0.586), (0.36, 2.8), (0.1, 10)),
    "SC9": ([[8, 3], [7, 13]], [[9, 17], [7, 4]], (0.254, 0.827), (0.179, 0.65), (0.1, 90)),
    "SC10": ([[7, 2], [5, 11]], [[6, 13], [6, 2]], (0.366, 0.699), (0.1, 2.11), (0.3, 20)),
    "SC11": ([[7, 2], [4, 10]], [[4, 11], [5, 1]], (0.331, 0.652), (0.172, 2.97), (0.1, 25)),
    "SC12": ([[7, 3], [3, 10]], [[3, 9], [5, 0]], (0.439, 0.604), (0.23, 5.74), (0.04, 19)),
}


def _profile(profile: str) -> dict:
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    return PROFILES[profile]


def plane_axes(profile: str):
    """``(taus, epsilons)``: log-spaced axes of the risk-rationality plane."""
    n = _profile(profile)["plane_n"]
    return np.logspace(*np.log10(PLANE_TAU), n), np.logspace(*np.log10(PLANE_EPS), n)


def cells(profile: str, seed: int = 0):
    """The study's cells for ``profile`` (``"smoke"``, ``"quick"``, ``"full"``)."""
    from robustgames.runner import Cell

    P = _profile(profile)
    out = [Cell(STUDY, {"experiment": STUDY, "part": "games", "profile": profile}, 0, seed)]
    taus, _ = plane_axes(profile)
    out += [Cell(STUDY, {"experiment": STUDY, "part": "plane", "profile": profile, "tau": float(t)}, 0, seed)
            for t in taus]
    out += [Cell(STUDY, {"experiment": STUDY, "part": "grid", "profile": profile, "tau": float(t),
                         "horizon": P["grid_horizon"]}, 0, seed) for t in P["grid_taus"]]
    return out


def cost(config: dict) -> float:
    """Relative run time (for the runner's ordering)."""
    part = config.get("part")
    if part == "grid":
        return 50.0 * config.get("horizon", 15)
    if part == "plane":
        return 10.0 * _profile(config["profile"])["plane_n"]
    return 5.0


def cell(config: dict, seed) -> dict:
    """Run one cell; returns ``{"json": <strict JSON text>}``."""
    from robustgames.runner import strict_json

    part = config.get("part")
    if part == "games":
        payload = games_part()
    elif part == "plane":
        payload = plane_row(float(config["tau"]), config["profile"])
    elif part == "grid":
        payload = grid_part(float(config["tau"]), int(config.get("horizon", 15)))
    else:
        raise ValueError(f"config['part'] must be 'games', 'plane' or 'grid', got {part!r}")
    return {"json": strict_json(payload)}


# --------------------------------------------------------------------------- games
def _classic_games():
    from robustgames.games import _matrix as m

    out = {}
    for name in ("matching_pennies", "prisoners_dilemma", "stag_hunt", "rock_paper_scissors", "climbing_game"):
        U = getattr(m, name)(scale=True).rewards[0, 0]
        out[name] = np.asarray(U, dtype=np.float64)
    return out


def _rqe_record(U, tau, eps, reg):
    from robustgames.equilibria._rqe import rqe

    r = rqe(U, tau, eps, reg)
    return {"strategies": [s.tolist() for s in r.strategies], "residual": r.residual,
            "exploitability": float(r.exploitability.max()), "tractable": r.tractable,
            "unique_certain": r.unique_certain, "method": r.method}


def _fit_qre(U, observed):
    """Logit QRE (``rqe`` at ``tau = 0``, entropy, ``lambda = 1/eps``) with ``lambda`` on a log
    grid minimising the squared distance of ``(x_0, y_0)`` to the observed play."""
    from robustgames.equilibria._rqe import rqe

    scale = float(np.abs(U).max())
    best = None
    for lam in np.logspace(-3, 1, 81) / scale:
        r = rqe(U, 0.0, 1.0 / lam, "entropy")
        pred = np.array([r.strategies[0][0], r.strategies[1][0]])
        err = float(((pred - np.asarray(observed)) ** 2).sum())
        if best is None or err < best[0]:
            best = (err, lam, r)
    err, lam, r = best
    return {"lambda": float(lam), "strategies": [s.tolist() for s in r.strategies], "residual": r.residual,
            "exploitability": float(r.exploitability.max())}


def games_part() -> dict:
    """RQE / Nash / logit QRE on the classic games and the paper's 13 games."""
    import robustgames as rg

    rows = []
    for name, U in _classic_games().items():
        rows.append({"game": name, "source": "classic", "payoffs": U.tolist(),
                     "tau": [CLASSIC_TAU] * 2, "epsilon": [CLASSIC_EPS] * 2, "regularizer": "entropy",
                     "rqe": _rqe_record(U, CLASSIC_TAU, CLASSIC_EPS, "entropy"),
                     "qre": _rqe_record(U, 0.0, CLASSIC_EPS, "entropy"),
                     "nash": [s.tolist() for s in rg.nash(U).strategies], "observed": None})
    for name, (R1, R2, obs, eps, tau) in PAPER_GAMES.items():
        U = np.stack([np.asarray(R1, float), np.asarray(R2, float)], axis=-1)
        rec = _rqe_record(U, list(tau), list(eps), "log_barrier")
        rows.append({"game": name, "source": "2406.14156", "payoffs": U.tolist(), "tau": list(tau),
                     "epsilon": list(eps), "regularizer": "log_barrier", "rqe": rec, "qre": _fit_qre(U, obs),
                     "nash": [s.tolist() for s in rg.nash(U).strategies], "observed": list(obs)})
    return {"part": "games", "rows": rows}


# --------------------------------------------------------------------------- plane
COORDINATION = np.stack([np.eye(2), np.eye(2)], axis=-1)
STARTS = [((a, 1 - a), (b, 1 - b)) for a in (0.9, 0.1) for b in (0.9, 0.1)]
CONVERGED = 1e-8
SAME = 1e-5
APART = 1e-3


def step_size(tau: float, eps: float) -> float:
    """Gradient-play step: ``0.25 min(1, tau, eps, 1/eps)`` (the adversary's KL term has
    curvature ``1/(tau p)``, the entropy ``eps/x``, the payoffs are in [0, 1])."""
    return 0.25 * min(1.0, tau, eps, 1.0 / eps)


#: step-size ladder of the plane's gradient play: (step factor, budget in units of max_iter);
#: a rung runs only when the previous one ended with residual > CONVERGED, from its end point
LADDER = ((1.0, 1), (1.0, 1), (0.25, 1))


def ladder_run(U, tau: float, eps: float, start, max_iter: int):
    """Projected gradient play on the paired game from ``start`` up the step-size ladder
    :data:`LADDER` (base step :func:`step_size`). Fixed-step play can stall inside the
    tractable region (the rate is proportional to the step times the strong-monotonicity
    modulus, small for small ``eps``) or oscillate when the step is too large for the
    curvature; more steps at the same size, then smaller steps, separate these cases from
    genuine non-convergence. Returns ``(x, y, residual, rung, steps)``: the end point, its
    first-order residual, the last rung used (0-based) and the total number of steps."""
    from robustgames.equilibria._rqe_dynamics import paired_gradient_play

    x0 = tuple(np.array(v, dtype=np.float64) for v in start)
    lr = step_size(tau, eps)
    steps = 0
    for rung, (factor, budget) in enumerate(LADDER):
        x, y, it, res = paired_gradient_play(U, tau, eps, lr=lr * factor, max_iter=max_iter * budget, tol=1e-10,
                                             x0=x0, check_every=100)
        steps += it
        if res <= CONVERGED:
            break
        x0 = (x, y)  # the adversaries restart at the opponent's strategy
    return x, y, res, rung, steps


def plane_point(tau: float, eps: float, max_iter: int, U=COORDINATION) -> dict:
    """Certified RQE count (Newton from the corner starts) and the dynamics' classification."""
    from robustgames.equilibria._rqe import rqe, rqe_tractable

    eqs = []
    cert = 0.0
    for s in STARTS:
        r = rqe(U, tau, eps, x0=[np.array(v) for v in s])
        c = max(r.residual, float(r.exploitability.max()))
        if r.converged and c <= 1e-9:
            cert = max(cert, c)
            z = np.concatenate(r.strategies)
            if all(np.abs(z - e).max() > APART for e in eqs):
                eqs.append(z)
    ends, res, rungs, steps = [], [], [], 0
    for s in STARTS:
        x, y, r, rung, k = ladder_run(U, tau, eps, s, max_iter)
        ends.append(np.concatenate([x, y]))
        res.append(r)
        rungs.append(rung)
        steps += k
    spread = max(float(np.abs(e - ends[0]).max()) for e in ends)
    worst = max(res)
    if worst <= CONVERGED and spread <= SAME:
        label = "unique"
    elif worst <= CONVERGED and spread > APART:
        label = "several"
    else:
        label = "not_converged"
    return {"tau": tau, "epsilon": eps, "product": (eps * tau) ** 2, "tractable": rqe_tractable(tau, eps),
            "n_certified_rqe": len(eqs), "certificate": cert, "dynamics": label, "dynamics_residual": worst,
            "dynamics_spread": spread, "lr": step_size(tau, eps), "max_iter": max_iter, "ladder_rung": max(rungs),
            "ladder": [list(r) for r in LADDER], "dynamics_steps": steps}


def plane_row(tau: float, profile: str) -> dict:
    _, epss = plane_axes(profile)
    mi = _profile(profile)["max_iter"]
    return {"part": "plane", "tau": tau, "points": [plane_point(tau, float(e), mi) for e in epss]}


# --------------------------------------------------------------------------- grid world
GRID_EPSILON = 0.1


def _greedy_path(game, res, s0):
    """Each player's most probable action at every step, the intended move assumed to succeed
    (as in the authors' plots); an absorbed player (hazard or own goal) stays."""
    from robustgames.games._rqe_grid import RQE_GRID_MAP, RQE_GRID_MOVES, rqe_grid_cells

    rows, cols = len(RQE_GRID_MAP), len(RQE_GRID_MAP[0])
    path = [rqe_grid_cells(s0)]
    s = s0
    for h in range(game.horizon):
        nxt = []
        for i in range(2):
            a = int(np.argmax(res.strategies[i][h, s]))
            (r, k) = path[-1][i]
            _, dr, dk = RQE_GRID_MOVES[a]
            absorbed = RQE_GRID_MAP[r][k] in ("#", str(i))
            if not absorbed and 0 <= r + dr < rows and 0 <= k + dk < cols:
                r, k = r + dr, k + dk
            nxt.append((r, k))
        path.append(tuple(nxt))
        s = (nxt[0][0] * cols + nxt[0][1]) * rows * cols + nxt[1][0] * cols + nxt[1][1]
    return [[list(c) for c in step] for step in path]


def grid_part(tau: float, horizon: int = 15, epsilon: float = GRID_EPSILON) -> dict:
    """Markov RQE of the authors' grid world at ``tau`` (entropy regulariser, ``epsilon``):
    greedy path, start strategies and values, and the stage certificates (maxima over all
    steps and states)."""
    from robustgames.games._rqe_grid import rqe_grid_world
    from robustgames.planning._rqe_markov import solve_rqe

    game = rqe_grid_world(horizon=horizon)
    s0 = int(np.argmax(game.initial))
    res = solve_rqe(game, tau, epsilon)
    return {"part": "grid", "tau": tau, "epsilon": epsilon, "horizon": horizon,
            "path": _greedy_path(game, res, s0),
            "start_strategies": [res.strategies[i][0, s0].tolist() for i in range(2)],
            "start_values": np.asarray(res.values[0, s0]).tolist(), "residual": float(res.residual),
            "exploitability": float(np.max(res.exploitability)), "unique_certain": bool(res.unique_certain)}


# --------------------------------------------------------------------------- export
def export(store, data: Path, profile: str, seed: int = 0):
    """Gather the stored cells into ``data/rqe_<profile>.json``; ``None`` if any is missing."""
    from robustgames.runner import strict_json

    parts = {"games": None, "plane": [], "grid": []}
    for c in cells(profile, seed):
        if not store.has(c):
            return None
        rec = json.loads(store.get(c)["values"]["json"])
        if rec["part"] == "games":
            parts["games"] = rec["rows"]
        else:
            parts[rec["part"]].append(rec)
    taus, epss = plane_axes(profile)
    out = {"profile": profile, "seed": seed, "games": parts["games"],
           "plane": {"game": "coordination eye(2), both players", "taus": taus.tolist(),
                     "epsilons": epss.tolist(), "points": [p for row in parts["plane"] for p in row["points"]]},
           "grid": {"epsilon": parts["grid"][0]["epsilon"] if parts["grid"] else None,
                    "runs": sorted(parts["grid"], key=lambda r: r["tau"])}}
    data = Path(data)
    data.mkdir(parents=True, exist_ok=True)
    path = data / f"rqe_{profile}.json"
    path.write_text(strict_json(out, indent=1))
    return path


def headline(data: dict) -> dict:
    """Numbers for ``figures/summary.json["rqe"]``."""
    rows = data["games"]
    certs = [max(r["rqe"]["residual"], r["rqe"]["exploitability"]) for r in rows]
    paper = [r for r in rows if r["observed"] is not None]
    dist = {k: [float(np.abs(np.array([r[k]["strategies"][0][0], r[k]["strategies"][1][0]])
                               - np.array(r["observed"])).max()) for r in paper] for k in ("rqe", "qre")}
    dist["nash"] = [float(np.abs(np.array([r["nash"][0][0], r["nash"][1][0]]) - np.array(r["observed"])).max())
                    for r in paper]
    pts = data["plane"]["points"]
    inside = [p for p in pts if p["tractable"]]
    grid = data["grid"]["runs"]
    return {
        "games_max_certificate": max(certs),
        "paper_games": len(paper),
        "paper_games_max_abs_error_vs_observed": {k: max(v) for k, v in dist.items()} if paper else None,
        "paper_games_mean_abs_error_vs_observed": {k: float(np.mean(v)) for k, v in dist.items()} if paper else None,
        "plane_points": len(pts),
        "plane_inside_unique": sum(p["dynamics"] == "unique" for p in inside),
        "plane_inside": len(inside),
        "plane_inside_several_certified": sum(p["n_certified_rqe"] > 1 for p in inside),
        "plane_inside_not_converged": sum(p["dynamics"] == "not_converged" for p in inside),
        "plane_outside_not_converged": sum(p["dynamics"] == "not_converged" for p in pts if not p["tractable"]),
        "plane_outside_several_certified": sum(p["n_certified_rqe"] > 1 for p in pts if not p["tractable"]),
        "grid_max_certificate": max(max(r["residual"], r["exploitability"]) for r in grid) if grid else None,
    }
