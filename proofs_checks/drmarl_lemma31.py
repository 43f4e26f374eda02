"""DRMARL Lemma 3.1 on the chute game: the worst induction distribution in the hull is a group.

Claim (DRMARL arXiv 2503.09755, Lemma 3.1; docs/theory.md section 5): for the ambiguity
set ``M = conv{P_1, ..., P_m}`` of distributions of the induction ``X``,
``inf_{P in M} E_{X~P}[r(s, a; X)] = min_g E_{X~P_g}[r(s, a; X)]``; with ``X``-dependent
transitions the same holds for the one-step target ``E_P[r(s, a; X) + V(s'(X))]``.

How it is checked: on chute games of both variants, for seeded feasible ``(s, a)`` pairs,
the left side is solved as the lemma states it, a *primal* problem over distributions ``q``
of ``X`` on its support (the multinomial outcomes ``x``): minimise
``sum_x q(x) f(x)`` over ``(q, w)`` subject to ``q = sum_g w_g P_g``, ``w`` in the simplex,
``q >= 0`` (HiGHS, :func:`robustgames.proofs_checks.group_dro_lemma31.hull_primal`), with
``f(x) = r(s, a; x)`` (reward only) and ``f(x) = r(s, a; x) + V(s'(s, a, x))`` (random
continuation values ``V``), both from the game's outcome-level simulator
(``outcome_reward``, ``outcome_next``, ``outcome_pmf``). The right side is the toolkit's
group-DRO backup (:func:`robustgames.planning._group_dro.group_dro_backup`) on the exact
group tables. ``measured = max |primal - min_g|`` over all pairs and targets, threshold
``1e-9``.

Self-test: the characteristic mistake is to claim the equality for a set that is not the
hull but contains it (an outer box or ball around the groups, where the primal infimum is
strictly below ``min_g``): the primal is solved over the bounding box of the hull
(``ambiguity="box"``) and must fail; so must a backup that averages the groups.
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, fmt, result
from robustgames.proofs_checks.group_dro_lemma31 import hull_primal

CLAIM = ("inf over distributions of the induction X in conv{P_1..P_m} of E[r(s,a;X)] (and of E[r + V(s')]) "
         "equals the minimum over the m groups (the worst case is a group)")
SOURCE = "DRMARL arXiv 2503.09755, Lemma 3.1; docs/theory.md section 5"
METHOD = ("Chute game, variants a and b: primal LP over (q, w), q = sum_g w_g P_g on X's support, from the "
          "outcome-level simulator vs the toolkit's group_dro_backup on the group tables.")
TOL = 1e-9


def check(quick: bool = True, *, backup=None, ambiguity: str = "hull", seed: int = 0, **_):
    """Primal infimum over the hull (or the planted ``ambiguity`` set) vs the group-DRO backup
    (or an injected ``backup(rewards, P, v) -> (q, g)``)."""
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
        q_reward, _ = backup(game.rewards, P, np.zeros(game.n_states))
        q_target, _ = backup(game.rewards, P, v)
        pairs = np.argwhere(game.feasible)
        for s, a in pairs[rng.choice(len(pairs), size=min(len(pairs), 20 if quick else 200), replace=False)]:
            for q_tab, f in ((q_reward, game.outcome_reward[s, a]),
                             (q_target, game.outcome_reward[s, a] + v[game.outcome_next[s, a]])):
                primal, _q = hull_primal(game.outcome_pmf, f, ambiguity)
                worst = max(worst, abs(float(q_tab[s, a]) - primal))
                count += 1
    passed = worst <= TOL
    return result(passed, f"{count} (s, a, target) cases on chute games a/b: max |min_g E_(P_g)[f] - inf over q in "
                          f"the {ambiguity} of E_q[f]| = {fmt(worst)} (tolerance {TOL:g})",
                  measured=worst, threshold=TOL, relation="<=", cases=count)


def self_test() -> bool:
    """Planted bugs: an outer set (the hull's bounding box) claimed equal to the hull; the
    average over groups instead of the minimum."""

    def mean_backup(rewards, P, v):
        Pg = np.broadcast_to(P, rewards.shape + (P.shape[-1],))
        return (rewards + Pg @ v).mean(axis=0), None

    return detects(check, ambiguity="box") and detects(check, backup=mean_backup)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
