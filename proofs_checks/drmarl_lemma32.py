"""DRMARL Lemma 3.2 on the chute game: the DR Bellman operator is a gamma-contraction.

Claim (DRMARL arXiv 2503.09755, Lemma 3.2; docs/theory.md section 5): with transitions
independent of the induction ``X``, ``(T Q)(s, a) = min_g E_{P_g}[r(s, a; X)] + gamma
E_{s'} max_{a'} Q(s', a')`` satisfies ``||T Q1 - T Q2||_inf <= gamma ||Q1 - Q2||_inf``.

How it is checked: on the variant-"a" chute game (group-free deterministic transitions,
feasible joint actions only), seeded random pairs ``(Q1, Q2)`` (Gaussian, nearby pairs,
constant shifts) and several ``gamma``; the largest ratio ``||TQ1 - TQ2|| / ||Q1 - Q2||``
must not exceed ``gamma``: ``measured = max_gamma (ratio - gamma)``, threshold ``1e-9``.
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, fmt, result

CLAIM = ("T Q(s,a) = min_g E_{P_g}[r(s,a;X)] + gamma E_{s'} max_{a'} Q(s',a') is a gamma-contraction "
         "in the sup norm (transitions independent of X)")
SOURCE = "DRMARL arXiv 2503.09755, Lemma 3.2 and eq. (12); docs/theory.md section 5"
METHOD = "Chute game variant a: contraction ratio on seeded random Q pairs for gamma in {0.5, 0.9, 0.99}."
TOL = 1e-9


def check(quick: bool = True, *, operator=None, seed: int = 0, **_):
    """Largest contraction ratio of the group-DRO operator (or ``operator(q, r, P, gamma, feasible)``)."""
    from robustgames.games._chute import chute_mapping_game
    from robustgames.planning._group_dro import group_dro_operator

    def default(q, r, P, gamma, feasible):
        return group_dro_operator(q, r, P, gamma, feasible=feasible)

    op = default if operator is None else operator
    rng = np.random.default_rng(seed)
    game = chute_mapping_game(variant="a", rng=rng)
    r, P, F = game.rewards, game.transitions[0], game.feasible
    excess = 0.0
    ratios = {}
    for gamma in (0.5, 0.9, 0.99):
        worst = 0.0
        for k in range(30 if quick else 300):
            q1 = rng.normal(size=(game.n_states, game.n_joint_actions)) * 5
            kind = k % 3
            q2 = q1 + (rng.normal(size=q1.shape) * 1e-3 if kind == 0 else
                       rng.normal(size=q1.shape) if kind == 1 else rng.normal())
            d = np.abs(q1 - q2).max()
            ratio = np.abs(op(q1, r, P, gamma, F) - op(q2, r, P, gamma, F)).max() / d
            worst = max(worst, ratio)
        ratios[gamma] = worst
        excess = max(excess, worst - gamma)
    passed = excess <= TOL
    text = ", ".join(f"gamma={g}: {fmt(v)}" for g, v in ratios.items())
    return result(passed, f"max contraction ratio on chute game a: {text}; largest ratio - gamma {fmt(excess)}",
                  measured=excess, threshold=TOL, relation="<=",
                  **{f"ratio_gamma_{g}": v for g, v in ratios.items()}, excess=excess)


def self_test() -> bool:
    """Planted bug: the continuation is not discounted (gamma dropped)."""
    from robustgames.planning._group_dro import group_dro_operator

    def undiscounted(q, r, P, gamma, feasible):
        return group_dro_operator(q, r, P, 1.0 - 1e-15, feasible=feasible) if gamma < 1 else None

    return detects(check, operator=undiscounted)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
