"""Robust values are below nominal values and monotone (non-increasing) in the radius.

Claim (docs/theory.md sections 1-3; follows from ``U(p0)`` containing ``p0`` and the balls being
nested in the radius; MORNAVI arXiv 2508.02948, DR-NVI arXiv 2404.18909): for every set
(TV, KL, chi-square, contamination) and radii ``0 <= r_1 <= r_2``

    sigma_{U_{r_2}}(v) <= sigma_{U_{r_1}}(v) <= sigma_{U_0}(v) = p0.v,

and consequently the robust value of any joint policy, ``rg.evaluate(game, U_r, pi)``, and the
optimal robust value of a single-agent game (``rg.solve``) are below the nominal ones and
non-increasing in ``r`` (monotonicity of the robust Bellman operator, induction).

How it is checked: seeded random rows with signed values and increasing radius grids for
each set, then random finite-horizon and discounted 2-player games with random correlated
policies (``rg.evaluate``) and random robust MDPs (``rg.solve``), all radii on one grid.
Tolerance ``1e-10`` relative to the value range.
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import (
    detects,
    fmt,
    function_set,
    result,
    row_value_cases,
    uncertainty_set,
)

CLAIM = ("Robust value <= nominal value and non-increasing in the radius, for every set (TV, KL, "
         "chi-square, contamination): per row sigma_{U_r2}(v) <= sigma_{U_r1}(v) <= p0.v for r1 <= r2, "
         "and for robust policy values (rg.evaluate) and optimal robust MDP values (rg.solve)")
SOURCE = ("docs/theory.md sec. 1-3 (nested balls containing p0); MORNAVI arXiv 2508.02948; "
          "DR-NVI arXiv 2404.18909")
METHOD = ("Seeded random rows (signed values) and games on increasing radius grids: support functions, "
          "rg.evaluate of random joint policies, rg.solve of robust MDPs, all compared pairwise.")

SET_NAMES = ("TV", "KL", "ChiSquare", "Contamination")
RADII = {"TV": (0.0, 0.05, 0.2, 0.5, 0.9, 1.0), "KL": (0.0, 0.01, 0.1, 0.5, 2.0, 8.0),
         "ChiSquare": (0.0, 0.01, 0.1, 0.5, 2.0, 20.0), "Contamination": (0.0, 0.05, 0.2, 0.5, 0.9, 1.0)}
TOL = 1e-10


def _game(rng, discounted, n_players=2):
    from robustgames.games._random import random_game

    if discounted:
        return random_game(3, 2, gamma=0.8, n_players=n_players, support=2, rng=rng)
    return random_game(3, 2, 3, n_players=n_players, support=2, rng=rng)


def _random_policy(rng, game):
    shape = game.policy_shape
    w = rng.dirichlet(np.full(game.n_joint_actions, 0.3), size=int(np.prod(shape[:-game.n_players])))
    return w.reshape(shape)


def _violations(seq, scale):
    """(largest amount above nominal, largest increase along the radius grid), both / scale."""
    seq = np.asarray(seq)
    above = float(np.max(seq[1:] - seq[0])) / scale
    inc = float(np.max(np.diff(seq, axis=0))) / scale
    return above, inc


def check(quick: bool = True, *, sets=None, seed: int = 4, n_rows=None, n_games=None, **_) -> object:
    """``sets`` maps a set name to a factory ``radius -> UncertaintySet`` (planted bugs)."""
    import robustgames as rg

    factories = {name: uncertainty_set(name) for name in SET_NAMES}
    factories.update(sets or {})
    rng = np.random.default_rng(seed)
    n = n_rows or (150 if quick else 1500)
    worst_above = {k: -np.inf for k in factories}
    worst_inc = {k: -np.inf for k in factories}
    nominal_err = 0.0
    for p0, v in row_value_cases(rng, n, S_max=8):
        scale = max(float(v.max() - v.min()), 1e-3 * max(1.0, float(np.abs(v).max())))
        for name, make in factories.items():
            vals = [float(make(r).worst_value(p0, v)) for r in RADII[name]]
            nominal_err = max(nominal_err, abs(vals[0] - float(p0 @ v)) / scale)
            a, i = _violations([float(p0 @ v)] + vals, scale)
            worst_above[name] = max(worst_above[name], a)
            worst_inc[name] = max(worst_inc[name], i)
    # game level: policy evaluation and robust MDP optimum
    g_above = g_inc = -np.inf
    n_g = n_games or (3 if quick else 12)
    for k in range(n_g):
        for name, make in factories.items():
            game = _game(rng, discounted=bool(k % 2))
            pi = _random_policy(rng, game)
            vals = [rg.evaluate(game, make(r), pi) for r in RADII[name]]
            scale = max(1.0, float(np.abs(vals[0]).max()))
            a, i = _violations(vals, scale)
            mdp = _game(rng, discounted=bool(k % 2), n_players=1)
            opt = [rg.solve(mdp, make(r), "nash", tol=1e-11).values for r in RADII[name]]
            a2, i2 = _violations(opt, scale)
            g_above, g_inc = max(g_above, a, a2), max(g_inc, i, i2)
    row_above, row_inc = max(worst_above.values()), max(worst_inc.values())
    measured = max(row_above, row_inc, nominal_err, g_above, g_inc)
    passed = measured <= TOL
    per_set = ", ".join(f"{k} {fmt(max(worst_above[k], worst_inc[k]))}" for k in factories)
    evidence = (f"largest violation / range: {n} rows x {len(factories)} sets x 6 radii: max (robust - nominal) "
                f"{fmt(row_above)}, max increase with radius {fmt(row_inc)} (worst per set: {per_set}); "
                f"radius 0 = p0.v within {fmt(nominal_err)}; {n_g} games per set (rg.evaluate, rg.solve): "
                f"max above nominal {fmt(g_above)}, max increase {fmt(g_inc)}")
    return result(passed, evidence, measured=measured, threshold=TOL, rows=n, games=n_g, row_above=row_above,
                  row_increase=row_inc, nominal_err=nominal_err, game_above=g_above, game_increase=g_inc,
                  per_set={k: max(worst_above[k], worst_inc[k]) for k in factories})


def _contamination_without_min(P, v, rho):
    """Planted bug (the DrIGM deep target's simplification): ``(1 - rho) p0.v``, dropping the
    ``rho min v`` term; wrong whenever ``min v != 0``."""
    return (1.0 - rho) * (P @ v)


def _kl_best_case(P, v, radius):
    """Planted bug: the KL tilt toward HIGH values (sign slip)."""
    return -uncertainty_set("KL")(radius).worst_value(P, -v)


def self_test() -> bool:
    """Both planted operators must be caught."""
    bugs = [{"Contamination": lambda r: function_set(_contamination_without_min, r, name="ContaminationNoMin")},
            {"KL": lambda r: function_set(_kl_best_case, r, name="KLBestCase")}]
    return all(detects(check, sets=b, n_rows=40, n_games=1) for b in bugs)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
