"""DRMARL Lemma 3.1 on the chute game: the worst case over the hull is a vertex.

Claim (DRMARL arXiv 2503.09755, Lemma 3.1; THEORY.md section 5): for the ambiguity set
``M = conv{P_1, ..., P_m}`` of induction distributions,
``inf_{P in M} E_{X~P}[r(s, a; X)] = min_g E_{X~P_g}[r(s, a; X)]``; with ``X``-dependent
transitions the same holds for the one-step robust target ``E_P[r + V(s')]``.

How it is checked: on chute games of both variants (exact multinomial tables), for seeded
(s, a) pairs and random continuation values ``V``, the group-DRO backup
(:func:`robustgames.planning._group_dro.group_dro_backup`, or an injected ``backup``) is
compared with the linear program ``min_w sum_g w_g q_g`` over the simplex of mixture
weights (HiGHS), where ``q_g`` is computed here from the game's outcome-level simulator
(mixtures of the multinomial outcome laws, not the tables the backup reads).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from robustgames.proofs_checks._claim import detects, fmt, result

CLAIM = ("inf over the convex hull of the group distributions of E_P[r(s,a;X)] (and of E_P[r + V(s')]) "
         "equals the minimum over the m groups (the worst case is a vertex)")
SOURCE = "DRMARL arXiv 2503.09755, Lemma 3.1; THEORY.md sec. 5"
METHOD = ("Chute game, variants a and b: group_dro_backup vs HiGHS LP over mixture weights, with the "
          "per-group targets recomputed from the outcome-level simulator.")
TOL = 1e-9


def check(quick: bool = True, *, backup=None, seed: int = 0, **_):
    """Compare the group-DRO backup (or the injected ``backup(rewards, P, v) -> (q, g)``) with the LP."""
    from robustgames.games._chute import chute_mapping_game
    from robustgames.planning._group_dro import group_dro_backup

    backup = group_dro_backup if backup is None else backup
    rng = np.random.default_rng(seed)
    worst = 0.0
    count = 0
    for variant in ("a", "b"):
        game = chute_mapping_game(variant=variant, n_groups=5 if quick else 9, rng=rng)
        P = game.transitions if variant == "b" else game.transitions[0]
        v = rng.random(game.n_states) * game.steps
        q, _ = backup(game.rewards, P, v)
        pairs = np.argwhere(game.feasible)
        for s, a in pairs[rng.choice(len(pairs), size=min(len(pairs), 20 if quick else 200), replace=False)]:
            # per-group targets from the outcome simulator: E_{X~P_g}[r(s,a;X) + v(s'(X))]
            per_outcome = game.outcome_reward[s, a] + v[game.outcome_next[s, a]]
            q_g = game.outcome_pmf @ per_outcome
            m = len(q_g)
            lp = linprog(q_g, A_eq=np.ones((1, m)), b_eq=[1.0], bounds=[(0, None)] * m, method="highs").fun
            worst = max(worst, abs(float(q[s, a]) - lp))
            count += 1
    passed = worst <= TOL
    return result(passed, f"{count} (s,a) pairs on chute games a/b: max |min_g - LP over hull| = {fmt(worst)} "
                          f"(tolerance {TOL:g})", max_error=worst, pairs=count)


def self_test() -> bool:
    """Planted bug: the average over groups instead of the minimum."""

    def mean_backup(rewards, P, v):
        Pg = np.broadcast_to(P, rewards.shape + (P.shape[-1],))
        return (rewards + Pg @ v).mean(axis=0), None

    return detects(check, backup=mean_backup)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
