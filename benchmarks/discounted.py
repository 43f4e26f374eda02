"""Discounted solvers near gamma = 1: policy iteration against plain value iteration.

Instances: :func:`robustgames.solver_benchmark_game`, the random family of arXiv
2508.06661 (rewards U(-10, 10), 20% next-state support, Dirichlet(1) rows). Every case
solves one game twice in the same run, each to a certified gap bound of ``TOL = 1e-3``
(docs/theory.md 3.6):

* plain value iteration (the planning layer's ``_discounted_vi``) with its tolerance set to
  ``TOL / (2 gamma)``, which makes its returned greedy policy's certified bound
  ``2 gamma/(1-gamma) ||T V - V||`` at most ``TOL``;
* policy iteration (``_discounted_pi``): robust policy iteration with nature's policy
  iteration for the one-player and team cases, Hoffman-Karp for zero-sum at ``sigma = 0``.

For team games the value-iteration baseline is the strongest one: the game flattened to
one player over joint actions (an argmax per state; the two-player game would pay a
Lemke-Howson stage solve per state and sweep). Both solvers' times exclude the exact
re-evaluation and gap that :func:`robustgames.solve` adds (identical for both, and at
gamma = 0.999 dominated by value-iteration sweeps); the tests compare the two methods'
values and check ``rg.gap`` against the bound on small games.

Reported per case: ``vi_backups`` and ``pi_backups`` (robust Bellman backups in units of
one sweep over all ``S * A`` rows), ``pi_linear_solves`` (dense ``S x S`` solves, not
backups), both certified bounds, ``ratio_backups = vi_backups / pi_backups`` and
``ratio_time = vi_seconds / pi_seconds`` (above 1: policy iteration cheaper). Target:
``ratio_backups >= 20`` at gamma = 0.999 for team and zero-sum games.

General-sum games (and zero-sum games under agent-wise sets with ``sigma > 0``, which are
general-sum) have no policy iteration with a guarantee; there the case compares plain
robust Nash value iteration with safeguarded Anderson acceleration
(``method="anderson"``), both with value iteration's stopping rule at ``TOL`` and capped
at ``GS_CAP`` sweeps (``converged`` says whether each got there). No certificate exists
for these games (``*_gap_bound`` absent); the tests check the exact gap on small games.
Policy iteration is timed as the best of ``repeats`` runs, the other solvers once.
"""

from __future__ import annotations

import time

import numpy as np

TOL = 1e-3
GS_CAP = 20_000
TARGET_RATIO = 20.0
GAMMAS = (0.9, 0.99, 0.999)


def _cases(quick: bool, sizes):
    """(kind, S, actions per player, set name, radius)."""
    sizes = ((200,) if quick else (200, 500, 1000)) if sizes is None else sizes
    out = []
    for S in sizes:
        out += [("single", S, 5, "TV", 0.1), ("single", S, 5, "KL", 0.1),
                ("team", S, 3, "TV", 0.1), ("zero_sum", S, 3, "TV", 0.0),
                ("general_sum", S, 3, "TV", 0.1), ("zero_sum", S, 3, "TV", 0.1)]
        if not quick:
            out += [("single", S, 10, "TV", 0.1), ("single", S, 10, "Contamination", 0.1),
                    ("single", S, 2, "ChiSquare", 0.1), ("zero_sum", S, 5, "TV", 0.0)]
    return out


def _solve_both(game, U, vi_game):
    from robustgames.planning._backup import player_sets
    from robustgames.planning._solve import _discounted_pi, _discounted_vi, pi_class

    sets = player_sets(game, U)
    kind, reason = pi_class(game, sets)
    assert kind is not None, reason
    vi_sets = player_sets(vi_game, U)
    t0 = time.perf_counter()
    *_, vi_iters, vi_conv, vi = _discounted_vi(vi_game, vi_sets, "nash", TOL / (2 * game.gamma), 10**7)
    t1 = time.perf_counter()
    *_, pi_iters, pi_conv, pi = _discounted_pi(game, sets, kind, TOL, 10**5)
    t2 = time.perf_counter()
    return (t1 - t0, vi, vi_conv), (t2 - t1, pi, pi_conv, pi_iters)


def _anderson_case(game, U):
    """Plain VI and Anderson VI on a game without a policy iteration (module docstring)."""
    import warnings

    from robustgames.planning._anderson import anderson_fixed_point
    from robustgames.planning._backup import player_sets
    from robustgames.planning._solve import _discounted_vi

    sets = player_sets(game, U)
    out = []
    for iterate in (None, anderson_fixed_point):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # reported as converged=False
            args = (game, sets, "nash", TOL, GS_CAP) + ((iterate,) if iterate else ())
            *_, conv, extra = _discounted_vi(*args)
        out.append((time.perf_counter() - t0, extra, conv))
    return out


def _time_pi(game, U):
    from robustgames.planning._backup import player_sets
    from robustgames.planning._solve import _discounted_pi, pi_class

    sets = player_sets(game, U)
    kind = pi_class(game, sets)[0]
    t0 = time.perf_counter()
    _discounted_pi(game, sets, kind, TOL, 10**5)
    return time.perf_counter() - t0


def run(quick: bool = True, sizes=None, gammas=GAMMAS, seed: int = 0, kinds=None,
        repeats: int = 3) -> list[dict]:
    """Records of every case (module docstring).

    Parameters
    ----------
    quick : bool
        Quick profile: ``S = 200`` (full: 200, 500, 1000 and more action counts/sets).
    sizes : sequence of int, optional
        Override the state counts (tests pass tiny sizes).
    gammas : sequence of float
    seed : int
    kinds : sequence of str, optional
        Only these game classes (``"single"``, ``"team"``, ``"zero_sum"``).
    repeats : int
        Policy iteration is timed as the best of ``repeats`` runs (it is short and the
        machine is shared); value iteration runs once (seconds to minutes near gamma = 1).
    """
    import robustgames as rg
    import robustgames.uncertainty as unc

    records = []
    warmed = set()
    for kind, S, A, set_name, radius in _cases(quick, sizes):
        if kinds is not None and kind not in kinds:
            continue
        U = getattr(unc, set_name)(radius)
        if (kind, set_name, radius) not in warmed:  # compile every kernel of the case first
            warm = rg.solver_benchmark_game(8, 2, 0.9, kind=kind, rng=seed)
            if kind == "general_sum" or radius > 0 and kind == "zero_sum":
                _anderson_case(warm, U)
            else:
                _solve_both(warm, U, warm if kind != "team" else
                            rg.MarkovGame(warm.flat_transitions, warm.flat_rewards[..., :1], gamma=0.9))
            warmed.add((kind, set_name, radius))
        for gamma in gammas:
            game = rg.solver_benchmark_game(S, A, gamma, kind=kind, rng=seed)
            if kind == "general_sum" or radius > 0 and kind == "zero_sum":
                (t_vi, vi, vi_conv), (t_aa, aa, aa_conv) = _anderson_case(game, U)
                records.append({
                    "case": f"{kind} {set_name}({radius:g}) S={S} A={A}x{A} gamma={gamma} anderson",
                    "seconds": t_aa, "vi_seconds": t_vi,
                    "vi_backups": float(vi["backups"]), "anderson_backups": float(aa["backups"]),
                    "vi_converged": bool(vi_conv), "anderson_converged": bool(aa_conv),
                    "ratio_backups": float(vi["backups"]) / float(aa["backups"]),
                    "ratio_time": t_vi / t_aa,
                })
                continue
            vi_game = game
            if kind == "team":  # the strongest VI: one player over joint actions
                vi_game = rg.MarkovGame(game.flat_transitions, game.flat_rewards[..., :1], gamma=gamma)
            (t_vi, vi, vi_conv), (t_pi, pi, pi_conv, pi_iters) = _solve_both(game, U, vi_game)
            for _ in range(repeats - 1):
                t_pi = min(t_pi, _time_pi(game, U))
            acts = f"{A}" if kind == "single" else f"{A}x{A}"
            rec = {
                "case": f"{kind} {set_name}({radius:g}) S={S} A={acts} gamma={gamma}",
                "seconds": t_pi,
                "vi_seconds": t_vi,
                "vi_backups": float(vi["backups"]),
                "pi_backups": float(pi["backups"]),
                "pi_linear_solves": int(pi["linear_solves"]),
                "pi_improvements": int(pi_iters),
                "vi_gap_bound": float(vi["gap_bound"]),
                "pi_gap_bound": float(pi["gap_bound"]),
                "converged": bool(vi_conv and pi_conv),
                "ratio_backups": float(vi["backups"]) / float(pi["backups"]),
                "ratio_time": t_vi / t_pi,
            }
            if gamma == 0.999 and kind in ("team", "zero_sum"):
                rec["target"] = f"ratio_backups >= {TARGET_RATIO:g}"
                rec["target_met"] = bool(rec["ratio_backups"] >= TARGET_RATIO)
            records.append(rec)
    return records


if __name__ == "__main__":  # pragma: no cover
    for rec in run():
        print(rec)
