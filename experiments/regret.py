"""Regret experiments of MORNAVI (docs/theory.md section 4; arXiv 2508.02948).

Every cell plays ``K`` episodes of a nominal game with an online learner
(:func:`robustgames.learn`) and stores the EXACT robust gap of each episode's policy, the
regret ``Regret(k) = sum_{j<=k} gap_j``, the certified bound where a proof covers the
setting (``res.bound``: MORNAVI, TV/contamination sets, Hoeffding bonus, ``c_b >= 1``;
NaN elsewhere) and the learner's own number ``max_i mu.(Vbar_i - Vlow_i)``
(``res.learner_bound``: an optimistic estimate, certified only where ``bound`` is).

Every study runs MORNAVI, the non-robust optimistic Nash-VI (plans with ``sigma = 0``)
and uniform play on the SAME instances and seeds, all scored by the robust gap:

``regret_k``
    Fixed games whose robust equilibria are mixed, where the ``sqrt(K)`` rate is visible
    on one instance: :func:`robustgames.games.mixed_fail_state_game` (mixed equilibrium
    in closed form) and a random constant-sum fail-state game (TV and KL). MORNAVI with
    ``c_b = 1`` (certified under TV) and with the heuristic ``c_b = 0.1``; DR-NVI (robust,
    but with a generative model: a different data access) as a reference.
``regret_hard``
    The hard-instance family of the ``Omega(sqrt(K prod A_i))`` lower bound
    (:func:`robustgames.games.hidden_action_game`): a fresh instance per seed (the good
    joint action drawn uniformly), fixed ``eps``; uniform play has linear regret, a
    learner sublinear regret.
``regret_scaling``
    Regret at a fixed ``K`` as ``S``, ``prod A_i``, ``H`` and ``1/sigma`` grow one at a
    time (random constant-sum fail-state games drawn per seed, TV ball). The TV bound
    ``sqrt(min(1/sigma, H) H^2 S K prod A_i)`` gives upper-bound exponents; at this ``K``
    the runs are pre-asymptotic (the expected visits per ``(h, s, a)`` are stored), so a
    measured exponent is not a test of the bound's exponent.
``lower_bound``
    The support-shift game (both variants; a TV adversary moves mass to a state the
    nominal game never visits): regret linear in ``K``; a fail-state game avoids it.
``cooperative``
    The tiny chute-mapping instance of DRMARL as a cooperative Markov game (team reward).

A cell's configuration is JSON: ``{"game": {...}, "set": {"kind", "radius"},
"learner": {...}, "episodes": K, "game_seed": int | None}``. With ``game_seed`` an int
every seed plays the same game instance (the band over seeds is the learner's and the
episodes' randomness); with ``None`` each seed draws its own instance from its seed. The
cell's :class:`numpy.random.SeedSequence` spawns two children: the first draws the game,
the second drives the learner (so a game is the same for every learner at one seed).
"""

from __future__ import annotations

import numpy as np

import robustgames as rg

STUDY_NAMES = ("regret_k", "regret_hard", "regret_scaling", "lower_bound", "cooperative")

# -- building games, sets, learners from a config ------------------------------------------


def make_game(spec: dict, rng):
    """The game of a config's ``"game"`` entry (``rng`` draws random instances)."""
    kind = spec["kind"]
    if kind in ("fail_state", "fail_state_cs"):
        game = rg.fail_state_game(spec["n_states"], tuple(spec["n_actions"]), spec["horizon"],
                                        fail_prob=spec.get("fail_prob", 0.1), rng=rng)
        return constant_sum(game) if kind == "fail_state_cs" else game
    if kind == "random":
        return rg.random_game(spec["n_states"], tuple(spec["n_actions"]), spec["horizon"], rng=rng)
    if kind == "support_shift":
        return rg.support_shift_game(spec["horizon"], variant=spec["variant"],
                                           n_actions=tuple(spec.get("n_actions", (2, 1))))
    if kind == "intersection":
        game = rg.intersection_game(payoff=spec.get("payoff", "climbing"), slip=spec.get("slip", 0.1),
                                          length=spec.get("length", 3), horizon=spec.get("horizon"))
        return reverse_actions(game) if spec.get("reverse_actions") else game
    if kind == "hidden_action":
        return rg.hidden_action_game(tuple(spec["n_actions"]), spec["eps"], rng=rng)
    if kind == "mixed_fail_state":
        kwargs = {k: spec[k] for k in ("win", "fail_prob") if k in spec}
        return rg.mixed_fail_state_game(**kwargs)
    if kind == "chute":
        kwargs = {k: v for k, v in spec.items() if k not in ("kind", "group")}
        return rg.chute_mapping_game(**kwargs, rng=0).as_markov_game(spec.get("group"))
    raise ValueError(f"unknown game kind {kind!r}")


def reverse_actions(game):
    """The same game with every player's actions listed in reverse order.

    Learners break ties towards the first joint action; in the climbing game that action
    is the team optimum, so an untrained learner would look perfect. Reversing the labels
    removes this accident (the game is the same up to names).
    """
    MarkovGame = rg.MarkovGame
    lead = 1 if game.horizon is None else 2
    axes = tuple(range(lead, lead + game.n_players))
    P = np.ascontiguousarray(np.flip(game.transitions, axis=axes))
    R = np.ascontiguousarray(np.flip(game.rewards, axis=axes))
    return MarkovGame(P, R, gamma=getattr(game, "gamma", None), initial=game.initial,
                      name=f"{getattr(game, 'name', 'game')} (actions reversed)")


def constant_sum(game):
    """The two-player fail-state game with player 2's reward replaced by ``1 - r_1``.

    Player 2 still gets 0 at FAIL (the last state), so FAIL keeps value 0 for both and
    the fail-state condition of the TV bound holds. Stage games of a constant-sum game
    often have only MIXED equilibria, whose mixing probabilities move continuously with
    the estimated kernel: the learner's policy is then never exactly an equilibrium and
    its gap shrinks like the estimation error, ``1/sqrt(k)``. This is the regime where
    the ``sqrt(K)`` regret rate is visible on a fixed instance; on games with strict pure
    equilibria an optimistic learner locks in after finitely many episodes and the
    regret flattens (``O(log K)``, gap-dependent), well below the bound.
    """
    MarkovGame = rg.MarkovGame
    if game.n_players != 2:
        raise ValueError(f"constant_sum needs a two-player game, got {game.n_players} players")
    S = game.n_states
    R = game.rewards.copy()
    regular = (np.arange(S) < S - 1).reshape((1, S) + (1,) * len(game.n_actions))
    R[..., 1] = np.where(regular, 1.0 - R[..., 0], 0.0)
    return MarkovGame(game.transitions, R, name="fail_state (constant-sum)")


def make_set(spec: dict):
    return getattr(rg, spec["kind"])(spec["radius"])


def make_learner(spec: dict, U):
    kind = spec["kind"]
    options = {k: v for k, v in spec.items() if k != "kind"}
    if kind == "MORNAVI":
        return rg.MORNAVI(U, **options)
    if kind == "OptimisticNashVI":
        return rg.OptimisticNashVI(**options)
    if kind == "DRNVI":
        return rg.DRNVI(U, **options)
    if kind == "UniformPolicy":
        return rg.UniformPolicy(**options)
    raise ValueError(f"unknown learner kind {kind!r}")


def checkpoints(K: int, n: int = 300) -> np.ndarray:
    """Episode counts ``k`` (1-based) at which curves are stored: all of them up to
    ``2 n``, else about ``n`` log-spaced counts (always including 1 and ``K``)."""
    if K <= 2 * n:
        return np.arange(1, K + 1)
    return np.unique(np.round(np.geomspace(1, K, n)).astype(np.int64))


def _block_means(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Mean of ``x`` over the episodes since the previous checkpoint (1-based ``k``)."""
    c = np.cumsum(x)[k - 1]
    return np.diff(np.concatenate([[0.0], c])) / np.diff(np.concatenate([[0], k]))


def expected_visits(game, policies: np.ndarray) -> np.ndarray:
    """Expected number of visits of every ``(h, s, a)`` over the run, ``(H, S, A)``.

    ``sum_k d^k_h(s) pi^k_h(a|s)`` with ``d^k_1 = mu`` and
    ``d^k_{h+1}(s') = sum_{s,a} d^k_h(s) pi^k_h(a|s) P0_h(s'|s,a)``: the occupancy of the
    played policies under the true nominal kernel (the realised counts fluctuate around it).
    """
    H, S, A = game.horizon, game.n_states, game.n_joint_actions
    P = game.flat_transitions.reshape(H, S, A, S)
    pol = policies.reshape(policies.shape[0], H, S, A)
    d = np.broadcast_to(np.asarray(game.initial, dtype=float), (pol.shape[0], S)).copy()
    out = np.zeros((H, S, A))
    for h in range(H):
        occ = d[:, :, None] * pol[:, h]  # (K, S, A)
        out[h] = occ.sum(axis=0)
        d = np.einsum("ksa,sat->kt", occ, P[h])
    return out


def regret_cell(config: dict, seed: np.random.SeedSequence) -> dict:
    """One run: ``learn(game, learner, K)``; returns curves at :func:`checkpoints` and checks.

    Stored arrays: ``k``; ``regret`` (cumulative exact robust gap at ``k``);
    ``bound_regret`` (cumulative certified bound ``sum_j res.bound_j``; NaN unless the
    run is certified, i.e. ``res.bound`` is finite); ``estimate_regret`` (cumulative
    learner's number ``sum_j res.learner_bound_j``, an optimistic estimate; NaN for
    learners without one); ``gap_mean`` and ``saturated`` (means over the episodes since
    the previous checkpoint of the exact gap and of the fraction of optimistic values at
    their cap). Stored values: ``final_regret``; ``min_gap`` (must be >= 0 up to
    round-off); ``certified``; ``bound_violations`` (certified runs: episodes with
    ``gap > bound + 1e-9``) and ``max_bound_excess``; with ``config["visits"]`` the
    expected visits per reachable ``(h, s, a)`` (:func:`expected_visits`; min, median,
    max over the pairs with positive occupancy); game sizes.
    """
    game_ss, learn_ss = seed.spawn(2)
    gs = config.get("game_seed")
    game = make_game(config["game"], np.random.default_rng(game_ss if gs is None else gs))
    U = make_set(config["set"])
    learner = make_learner(config["learner"], U)
    K = int(config["episodes"])
    want_visits = bool(config.get("visits"))
    res = rg.learn(game, learner, K, rng=np.random.default_rng(learn_ss), U=U, keep_policies=want_visits,
                   warn=False)
    gap = np.asarray(res.gap, dtype=np.float64)
    bound = np.asarray(res.bound, dtype=np.float64)
    estimate = np.asarray(res.learner_bound, dtype=np.float64)
    saturated = np.asarray(res.saturated_fraction, dtype=np.float64)
    if gap.shape != (K,) or bound.shape != (K,):
        raise RuntimeError(f"learn returned gap {gap.shape} and bound {bound.shape}, expected ({K},)")
    certified = bool(np.isfinite(bound).all())
    k = checkpoints(K)
    regret = np.cumsum(gap)
    nan = np.full(len(k), np.nan)
    if certified:
        excess = gap - bound
        bound_regret = np.cumsum(bound)[k - 1]
    else:
        excess, bound_regret = np.full(K, -np.inf), nan
    out = {
        "k": k,
        "regret": regret[k - 1],
        "bound_regret": bound_regret,
        "estimate_regret": np.cumsum(estimate)[k - 1] if np.isfinite(estimate).all() else nan,
        "gap_mean": _block_means(gap, k),
        "saturated": _block_means(saturated, k) if np.isfinite(saturated).all() else nan,
        "final_regret": float(regret[-1]),
        "final_bound_regret": float(bound_regret[-1]),
        "min_gap": float(gap.min()),
        "final_gap": float(gap[-1]),
        "certified": certified,
        "has_bound": certified,
        "bound_violations": int(np.sum(excess > 1e-9)),
        "max_bound_excess": float(excess.max()) if certified else float("nan"),
        "bound_missing": 0,
        "n_states": int(game.n_states),
        "n_joint_actions": int(np.prod(game.n_actions)),
        "horizon": int(game.horizon),
        "n_players": int(game.n_players),
        "game_name": str(getattr(game, "name", config["game"]["kind"])),
        "bound_scale": bound_scale(game, config["set"]),
    }
    if want_visits:
        v = expected_visits(game, np.asarray(res.policies))
        v = v[v > 1e-9]
        out.update(visits_min=float(v.min()), visits_median=float(np.median(v)), visits_max=float(v.max()),
                   visited_pairs=int(v.size))
    return out


def bound_scale(game, set_spec: dict) -> float:
    """The regret bound of docs/theory.md section 4 divided by ``sqrt(K)`` (logs dropped).

    TV: ``sqrt(min(1/sigma, H) H^2 S prod A_i)``; KL:
    ``sqrt(H^4 exp(2 H^2) S prod A_i / (sigma^2 P0_min))`` with ``P0_min`` the smallest
    positive nominal transition probability. Stored with each run so the figures can
    overlay the predicted growth in ``S``, ``prod A_i``, ``H``, ``1/sigma`` from data alone.
    """
    S, H, A = game.n_states, int(game.horizon), float(np.prod(game.n_actions))
    sigma = float(set_spec["radius"])
    if set_spec["kind"] in ("TV", "Contamination"):
        return float(np.sqrt(min(1.0 / sigma, H) * H**2 * S * A)) if sigma > 0 else float(np.sqrt(H**3 * S * A))
    if set_spec["kind"] == "KL" and sigma > 0:
        P = np.asarray(game.transitions)
        p_min = float(P[P > 0].min())
        return float(np.sqrt(H**4 * np.exp(min(2.0 * H**2, 700.0)) * S * A / (sigma**2 * p_min)))
    return float("nan")


# -- study definitions ------------------------------------------------------------------------

C_B = 1.0  # bonus multiplier: c_b = 1 is the form the certificate covers (TV, Hoeffding)
C_B_HEURISTIC = 0.1  # a smaller bonus (faster learning, no certificate) shown next to it


def mornavi(c_b: float = C_B, **extra) -> dict:
    return {"kind": "MORNAVI", "equilibrium": "cce", "bonus": "hoeffding", "c_b": c_b, "delta": 0.1, **extra}


def nash_vi(c_b: float = C_B) -> dict:
    return {"kind": "OptimisticNashVI", "equilibrium": "cce", "c_b": c_b}


UNIFORM = {"kind": "UniformPolicy"}
DRNVI = {"kind": "DRNVI", "samples": 100, "equilibrium": "cce"}


def learners(heuristic: bool = True) -> list[dict]:
    """MORNAVI (``c_b = 1``, and the heuristic ``c_b = 0.1``), optimistic Nash-VI, uniform play."""
    out = [mornavi()]
    if heuristic:
        out.append(mornavi(C_B_HEURISTIC))
    return out + [nash_vi(), dict(UNIFORM)]


def _fail(S=5, A=(2, 2), H=3, fail_prob=0.1, kind="fail_state_cs") -> dict:
    return {"kind": kind, "n_states": S, "n_actions": list(A), "horizon": H, "fail_prob": fail_prob}


def _cfg(game, set_kind, radius, learner, K, game_seed, **extra) -> dict:
    return {"game": game, "set": {"kind": set_kind, "radius": radius}, "learner": learner,
            "episodes": K, "game_seed": game_seed, **extra}


MIXED_GAME = {"kind": "mixed_fail_state", "fail_prob": 0.1}
HARD_EPS = 0.2

PROFILES = {
    # quick: with the chute experiment, about 5 minutes on 2 cores (measured: see README)
    "quick": {"seeds": 8, "K": 5000, "K_mixed": 10000, "K_hard": 5000, "hard_actions": [3, 3], "K_scaling": 2000,
              "K_coop": 2000, "S": [3, 5, 8, 12], "A": [2, 3, 4], "H": [2, 3, 4, 6], "inv_sigma": [2, 4, 8, 16]},
    "full": {"seeds": 16, "K": 100000, "K_mixed": 100000, "K_hard": 50000, "hard_actions": [3, 3],
             "K_scaling": 20000, "K_coop": 20000,
             "S": [3, 5, 8, 12, 20], "A": [2, 3, 4, 5], "H": [2, 3, 4, 6, 8], "inv_sigma": [2, 4, 8, 16, 32]},
    # smoke: the test suite's miniature of every study
    "smoke": {"seeds": 2, "K": 60, "K_mixed": 60, "K_hard": 60, "hard_actions": [2, 2], "K_scaling": 20, "K_coop": 20,
              "S": [3, 5], "A": [2, 3], "H": [2, 3], "inv_sigma": [2, 8]},
}


def configs(study: str, profile: str = "quick") -> list[dict]:
    """The configurations of ``study`` under ``profile`` (``"quick"``, ``"full"``, ``"smoke"``)."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    p = PROFILES[profile]
    K = p["K"]
    if study == "regret_k":
        out = [_cfg(dict(MIXED_GAME), "TV", 0.1, lr, p["K_mixed"], 0) for lr in learners()]
        for kind, r in (("TV", 0.2), ("KL", 0.1)):
            out += [_cfg(_fail(), kind, r, lr, K, 0) for lr in learners() + [dict(DRNVI)]]
        return out
    if study == "regret_hard":
        game = {"kind": "hidden_action", "n_actions": list(p["hard_actions"]), "eps": HARD_EPS}
        return [_cfg(game, "TV", 0.1, lr, p["K_hard"], None) for lr in learners()]
    if study == "regret_scaling":
        Ks = p["K_scaling"]
        out = []
        for lr in learners(heuristic=False):
            for S in p["S"]:
                out.append(_cfg(_fail(S=S), "TV", 0.2, lr, Ks, None, vary="S", x=S, visits=True))
            for a in p["A"]:
                out.append(_cfg(_fail(A=(a, a)), "TV", 0.2, lr, Ks, None, vary="A", x=a * a, visits=True))
            for H in p["H"]:
                # sigma = 0.05: 1/sigma = 20 > H, where the bound grows as H^{3/2}
                out.append(_cfg(_fail(H=H), "TV", 0.05, lr, Ks, None, vary="H", x=H, visits=True))
            for inv in p["inv_sigma"]:
                # H = 6: the bound grows as (1/sigma)^{1/2} up to 1/sigma = H, then is flat
                out.append(_cfg(_fail(H=6), "TV", 1.0 / inv, lr, Ks, None, vary="inv_sigma", x=inv, visits=True))
        return out
    if study == "lower_bound":
        games = [{"kind": "support_shift", "horizon": 5, "variant": v} for v in (0, 1)] + [_fail(H=5)]
        return [_cfg(g, "TV", 0.2, lr, K, 0) for g in games for lr in learners(heuristic=False)]
    if study == "cooperative":
        return [_cfg(dict(CHUTE_GAME), "TV", 0.1, lr, p["K_coop"], 0) for lr in learners(heuristic=False)]
    raise ValueError(f"unknown study {study!r}; studies: {', '.join(STUDY_NAMES)}")


# the tiny chute-mapping instance (as experiments/chute.py: variant "a", one new chute at most)
CHUTE_GAME = {"kind": "chute", "n_destinations": 2, "n_chutes": 5, "capacity": 2, "volume": 8, "steps": 4,
              "max_new": 1, "n_levels": 3, "variant": "a"}


def n_seeds(profile: str = "quick") -> int:
    return PROFILES[profile]["seeds"]



def studies(profile: str = "quick", root_seed: int = 0, only=None) -> dict:
    """``{study name: [Cell, ...]}`` for ``profile``; ``only`` filters names by substring."""
    from robustgames.runner import make_cells

    out = {}
    for name in STUDY_NAMES:
        if only and not any(o in name for o in only):
            continue
        out[name] = make_cells(name, configs(name, profile), n_seeds(profile), root_seed)
    return out


def predicted_exponent(vary: str, x: float, config: dict) -> float:
    """Local exponent of the TV regret bound in the varied quantity at ``x`` (section 4):
    ``sqrt(min(1/sigma, H) H^2 S K prod A_i)``."""
    if vary in ("S", "A"):
        return 0.5
    sigma = config["set"]["radius"]
    H = config["game"]["horizon"]
    if vary == "H":
        return 1.5 if x < 1.0 / sigma else 1.0
    if vary == "inv_sigma":
        return 0.5 if x < H else 0.0
    raise ValueError(f"unknown varied quantity {vary!r}")


def bound_shape(vary: str, xs, config: dict) -> np.ndarray:
    """The TV bound's dependence on the varied quantity (up to a constant), at ``xs``."""
    xs = np.asarray(xs, dtype=float)
    sigma = config["set"]["radius"]
    H = config["game"]["horizon"]
    if vary in ("S", "A"):
        return np.sqrt(xs)
    if vary == "H":
        return np.sqrt(np.minimum(1.0 / sigma, xs) * xs**2)
    if vary == "inv_sigma":
        return np.sqrt(np.minimum(xs, H))
    raise ValueError(f"unknown varied quantity {vary!r}")


__all__ = ["regret_cell", "configs", "studies", "STUDY_NAMES", "PROFILES", "checkpoints", "constant_sum",
           "predicted_exponent", "bound_shape", "expected_visits", "learners"]
