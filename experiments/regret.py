"""Regret experiments of MORNAVI (THEORY.md section 4; arXiv 2508.02948).

Every cell plays ``K`` episodes of a nominal game with an online learner
(:func:`robustgames.learn`) and stores the EXACT robust gap of each episode's policy,
the learner's certified bound and the regret ``Regret(k) = sum_{j<=k} gap_j``.

Studies (``STUDIES``; each a list of configurations times ``n_seeds`` seeds):

``regret_k``
    Cumulative regret against ``K`` on one fail-state game, TV and KL balls at several
    radii. Theory: ``O~(sqrt(K))`` for both (TV needs the fail state); the certified
    bound ``sum_k (Vbar - Vlow)(s_1)`` must stay above the regret.
``regret_scaling``
    Regret at a fixed ``K`` as ``S``, ``prod A_i``, ``H`` and ``1/sigma`` grow one at a
    time (random fail-state games drawn per seed, TV ball). The TV bound
    ``sqrt(min(1/sigma, H) H^2 S K prod A_i)`` predicts exponents 1/2 in ``S`` and
    ``prod A_i``, 3/2 in ``H`` while ``H < 1/sigma`` (1 beyond), 1/2 in ``1/sigma`` while
    ``1/sigma < H`` (0 beyond). They are upper-bound exponents: a measured exponent
    below them is consistent with the theory, one above them is not.
``baselines``
    MORNAVI against the non-robust optimistic Nash-VI (plans with ``sigma = 0``) and the
    uniform policy, scored by the robust gap (TV and KL).
``lower_bound``
    The support-shift game (both variants; a TV adversary moves mass to a state the
    nominal game never visits): regret linear in ``K``; against the fail-state game:
    ``sqrt(K)``.
``cooperative``
    Cooperative games (team reward): the two-robot intersection (climbing matrix) and,
    when available, the tiny chute-mapping instance of DRMARL.
``regret_minimax``
    The worst case over instances behind the ``sqrt(K)`` rate: for each ``K`` its own
    game (:func:`minimax_game`), a two-player team game whose robust gap between the best
    and the next joint actions is ``delta_K = c / sqrt(K)`` (the lower-bound
    construction); the regret at ``K`` then grows like ``sqrt(K)`` (log-log slope 1/2),
    whereas on a fixed game the gap is fixed and the slope stays below 1/2.

A cell's configuration is JSON: ``{"game": {...}, "set": {"kind", "radius"},
"learner": {...}, "episodes": K, "game_seed": int | None}``. With ``game_seed`` an int
every seed plays the same game instance (the band over seeds is the learner's
randomness); with ``None`` each seed draws its own instance from its seed. The cell's
:class:`numpy.random.SeedSequence` spawns two children: the first draws the game, the
second drives the learner (so a game is the same for every learner at one seed).
"""

from __future__ import annotations

import numpy as np

import robustgames as rg

STUDY_NAMES = ("regret_k", "regret_scaling", "baselines", "lower_bound", "cooperative", "regret_minimax")

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
    if kind == "minimax":
        return minimax_game(spec["delta"])
    if kind == "chute":
        kwargs = {k: v for k, v in spec.items() if k not in ("kind", "group")}
        return rg.chute_mapping_game(**kwargs, rng=0).as_markov_game(spec.get("group"))
    raise ValueError(f"unknown game kind {kind!r}")


def minimax_game(delta: float):
    """Two-player team game of the minimax (lower-bound) construction; robust gap ``delta``.

    States START (0), GOOD (1), FAIL (2), horizon ``H = 2``, two actions per player, both
    players get the same reward (a team game). At ``h = 1`` START moves to GOOD with
    probability ``p(a_1, a_2) = 1/2 + delta (a_1 + a_2 - 1)`` and to FAIL otherwise; at
    ``h = 2`` GOOD pays 1, FAIL (absorbing, reward 0) pays 0, so the fail-state condition
    of the TV bound holds. Under a TV ball of radius ``sigma <= 1/2 - delta`` the adversary
    moves ``sigma`` of mass from GOOD to FAIL, so the robust value of a joint action is
    ``p(a) - sigma``: joint actions ``(1, 1)`` and ``(0, 1)`` (likewise ``(1, 0)`` and
    ``(0, 0)``) differ by exactly ``delta``, which is each player's gain from a unilateral
    switch to action 1. The unique robust equilibrium is ``(1, 1)``; every other joint
    action has robust gap ``delta`` (``2 delta`` in total value for ``(0, 0)``, which the
    learners' first-action tie-break picks first). Under KL the gaps are ``delta`` up to
    the slope of the KL worst value of a Bernoulli in its mean (about 1 here).
    """
    delta = float(delta)
    if not 0.0 < delta <= 0.25:
        raise ValueError(f"delta must be in (0, 1/4], got {delta}")
    START, GOOD, FAIL = 0, 1, 2
    P = np.zeros((2, 3, 2, 2, 3))
    R = np.zeros((2, 3, 2, 2, 2))
    a1, a2 = np.meshgrid([0, 1], [0, 1], indexing="ij")
    p = 0.5 + delta * (a1 + a2 - 1)
    P[0, START, :, :, GOOD] = p
    P[0, START, :, :, FAIL] = 1.0 - p
    P[:, GOOD, :, :, GOOD] = 1.0
    P[:, FAIL, :, :, FAIL] = 1.0
    P[1, START, :, :, FAIL] = 1.0  # START is never visited at h = 2
    R[1, GOOD] = 1.0
    return rg.MarkovGame(P, R, name=f"minimax team game (delta={delta:.4g})")


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


def regret_cell(config: dict, seed: np.random.SeedSequence) -> dict:
    """One run: ``learn(game, learner, K)``; returns curves at :func:`checkpoints` and checks.

    Stored arrays: ``k``; ``regret`` (cumulative exact robust gap at ``k``);
    ``bound_regret`` (cumulative certified bound; NaN for learners without one);
    ``gap_mean`` (mean exact gap over the episodes since the previous checkpoint).
    Stored values: ``final_regret``; ``min_gap`` (must be >= 0 up to round-off);
    ``bound_violations`` (episodes with ``gap > bound + 1e-9``) and ``max_bound_excess``;
    ``bound_missing`` (episodes whose certificate was NaN: the trivial bound ``H`` is used
    for them in ``bound_regret``, which stays a valid upper bound); game sizes.
    """
    game_ss, learn_ss = seed.spawn(2)
    gs = config.get("game_seed")
    game = make_game(config["game"], np.random.default_rng(game_ss if gs is None else gs))
    U = make_set(config["set"])
    learner = make_learner(config["learner"], U)
    K = int(config["episodes"])
    res = rg.learn(game, learner, K, rng=np.random.default_rng(learn_ss), U=U)
    gap = np.asarray(res.gap, dtype=np.float64)
    bound = np.asarray(res.bound, dtype=np.float64)
    if gap.shape != (K,) or bound.shape != (K,):
        raise RuntimeError(f"learn returned gap {gap.shape} and bound {bound.shape}, expected ({K},)")
    H = int(game.horizon)
    has_bound = bool(np.isfinite(bound).any())
    missing = ~np.isfinite(bound)
    k = checkpoints(K)
    regret = np.cumsum(gap)
    gap_mean = np.diff(np.concatenate([[0.0], regret[k - 1]])) / np.diff(np.concatenate([[0], k]))
    if has_bound:
        excess = np.where(missing, -np.inf, gap - bound)
        bound_regret = np.cumsum(np.where(missing, float(H), bound))[k - 1]
    else:
        excess, bound_regret = np.full(K, -np.inf), np.full(len(k), np.nan)
    return {
        "k": k,
        "regret": regret[k - 1],
        "bound_regret": bound_regret,
        "gap_mean": gap_mean,
        "final_regret": float(regret[-1]),
        "final_bound_regret": float(bound_regret[-1]),
        "min_gap": float(gap.min()),
        "final_gap": float(gap[-1]),
        "has_bound": has_bound,
        "bound_violations": int(np.sum(excess > 1e-9)),
        "max_bound_excess": float(excess.max()) if has_bound and not missing.all() else float("nan"),
        "bound_missing": int(missing.sum()) if has_bound else 0,
        "n_states": int(game.n_states),
        "n_joint_actions": int(np.prod(game.n_actions)),
        "horizon": H,
        "n_players": int(game.n_players),
        "game_name": str(getattr(game, "name", config["game"]["kind"])),
        "bound_scale": bound_scale(game, config["set"]),
    }


def bound_scale(game, set_spec: dict) -> float:
    """The regret bound of THEORY.md section 4 divided by ``sqrt(K)`` (logs dropped).

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

MINIMAX_C = 1.0  # regret_minimax: delta_K = MINIMAX_C / sqrt(K)
C_B = 0.1  # bonus multiplier of the experiments (see PROFILES' note)


def mornavi(c_b: float = C_B, **extra) -> dict:
    return {"kind": "MORNAVI", "equilibrium": "cce", "bonus": "hoeffding", "c_b": c_b, "delta": 0.1, **extra}


def _fail(S=5, A=(2, 2), H=3, fail_prob=0.1, kind="fail_state_cs") -> dict:
    return {"kind": kind, "n_states": S, "n_actions": list(A), "horizon": H, "fail_prob": fail_prob}


def _cfg(game, set_kind, radius, learner, K, game_seed, **extra) -> dict:
    return {"game": game, "set": {"kind": set_kind, "radius": radius}, "learner": learner,
            "episodes": K, "game_seed": game_seed, **extra}


# The Hoeffding bonus of THEORY.md with c_b = 1 keeps every Q-value at its cap until each
# (h, s, a) has been visited ~ (c_b min(H,1/sigma))^2 S iota times (about 600 on the
# regret_k game): over 10^4 episodes the learner is still in that saturated phase and the
# curve looks linear. The paper's constants are unconfirmed; the experiments use
# c_b = 0.1 (the certificate is still checked episode by episode: bound_violations) and
# regret_k also runs c_b = 1 at one radius per set to show the saturated phase.
PROFILES = {
    # quick: with the chute experiment, within 10 minutes on 2 cores (measured: see README)
    "quick": {"seeds": 8, "K": 5000, "K_minimax": [250, 500, 1000, 2000, 4000, 8000], "K_scaling": 2000, "K_coop": 2000,
              "tv": [0.1, 0.2, 0.4], "kl": [0.05, 0.1, 0.3],
              "S": [3, 5, 8, 12], "A": [2, 3, 4], "H": [2, 3, 4, 6], "inv_sigma": [2, 4, 8, 16]},
    "full": {"seeds": 16, "K": 100000, "K_minimax": [250, 500, 1000, 2000, 4000, 8000, 16000, 32000], "K_scaling": 20000, "K_coop": 20000,
             "tv": [0.05, 0.1, 0.2, 0.4], "kl": [0.02, 0.05, 0.1, 0.3],
             "S": [3, 5, 8, 12, 20], "A": [2, 3, 4, 5], "H": [2, 3, 4, 6, 8], "inv_sigma": [2, 4, 8, 16, 32]},
    # smoke: the test suite's miniature of every study
    "smoke": {"seeds": 2, "K": 60, "K_minimax": [20, 40], "K_scaling": 20, "K_coop": 20,
              "tv": [0.2], "kl": [0.1], "S": [3, 5], "A": [2, 3], "H": [2, 3], "inv_sigma": [2, 8]},
}


def configs(study: str, profile: str = "quick") -> list[dict]:
    """The configurations of ``study`` under ``profile`` (``"quick"``, ``"full"``, ``"smoke"``)."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    p = PROFILES[profile]
    K = p["K"]
    if study == "regret_k":
        out = [_cfg(_fail(), "TV", r, mornavi(), K, 0) for r in p["tv"]]
        out += [_cfg(_fail(), "KL", r, mornavi(), K, 0) for r in p["kl"]]
        out += [_cfg(_fail(), "TV", p["tv"][len(p["tv"]) // 2], mornavi(1.0), K, 0),
                _cfg(_fail(), "KL", p["kl"][len(p["kl"]) // 2], mornavi(1.0), K, 0)]
        return out
    if study == "regret_scaling":
        Ks = p["K_scaling"]
        out = []
        for S in p["S"]:
            out.append(_cfg(_fail(S=S), "TV", 0.2, mornavi(), Ks, None, vary="S", x=S))
        for a in p["A"]:
            out.append(_cfg(_fail(A=(a, a)), "TV", 0.2, mornavi(), Ks, None, vary="A", x=a * a))
        for H in p["H"]:
            # sigma = 0.05: 1/sigma = 20 > H, where the bound grows as H^{3/2}
            out.append(_cfg(_fail(H=H), "TV", 0.05, mornavi(), Ks, None, vary="H", x=H))
        for inv in p["inv_sigma"]:
            # H = 6: the bound grows as (1/sigma)^{1/2} up to 1/sigma = H, then is flat
            out.append(_cfg(_fail(H=6), "TV", 1.0 / inv, mornavi(), Ks, None, vary="inv_sigma", x=inv))
        return out
    if study == "baselines":
        out = []
        for kind, r in (("TV", 0.4), ("KL", 0.3)):
            for lr in (mornavi(), {"kind": "OptimisticNashVI", "equilibrium": "cce", "c_b": C_B},
                       {"kind": "DRNVI", "samples": 100, "equilibrium": "cce"}, {"kind": "UniformPolicy"}):
                out.append(_cfg(_fail(), kind, r, lr, K, 0))
        return out
    if study == "lower_bound":
        out = [_cfg({"kind": "support_shift", "horizon": 5, "variant": v}, "TV", 0.2, mornavi(), K, 0)
               for v in (0, 1)]
        return out + [_cfg(_fail(H=5), "TV", 0.2, mornavi(), K, 0)]
    if study == "cooperative":
        Kc = p["K_coop"]
        out = []
        if profile == "full":
            # at H = 8 the bonus keeps the intersection game saturated for >= 2e4 episodes
            # (measured: gap still rising at K = 2e4), so it is not in the quick profile
            out.append(_cfg({"kind": "intersection", "payoff": "climbing", "slip": 0.1, "reverse_actions": True},
                            "TV", 0.1, mornavi(), Kc, 0))
        out.append(_cfg(dict(CHUTE_GAME), "TV", 0.1, mornavi(), Kc, 0))
        return out
    if study == "regret_minimax":
        # one game per K: gap delta_K = c / sqrt(K) (c = MINIMAX_C); TV and KL as in regret_k
        out = []
        for K_ in p["K_minimax"]:
            game = {"kind": "minimax", "c": MINIMAX_C, "delta": MINIMAX_C / float(np.sqrt(K_))}
            out += [_cfg(game, "TV", 0.2, mornavi(), K_, 0), _cfg(game, "KL", 0.1, mornavi(), K_, 0)]
        return out
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
           "predicted_exponent", "bound_shape", "minimax_game"]
