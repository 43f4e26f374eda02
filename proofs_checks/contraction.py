"""Every robust Bellman operator is a gamma-contraction in sup norm (DRMARL Lemma 3.2 and the
general fact).

Claim (docs/theory.md section 3; DRMARL arXiv 2503.09755, section 3.2, Lemma 3.2 for the group-DRO
operator ``T Q(s,a) = min_g E_{P_g}[r(s,a;X)] + gamma E_{s'} max_{a'} Q(s',a')``; in general
because every support function is monotone and translation-equivariant):

    ||T Q - T Q'||_inf <= gamma ||Q - Q'||_inf,
    T Q(s,a) = r(s,a) + gamma sigma_{U(P0(.|s,a))}( max_{a'} Q(s', a') ),

for the TV, KL, chi-square, contamination and group sets, for a single agent and for a team
(maximum over joint actions), and for DRMARL's operator (group-free kernels, per-group kernels
and the predicted-group variant of their Appendix C.1).

How it is checked: the operators are built from the planning layer's robust backup
(``robustgames.planning._backup.robust_q``, the fast kernels) and from
``robustgames.planning._group_dro.group_dro_operator``; the largest ratio
``||TQ - TQ'|| / ||Q - Q'||`` is measured over seeded random pairs at several scales (up to
1e6), translated pairs ``Q' = Q + c`` (where the bound is tight), pairs differing in one
entry, and adversarial pairs grown by a random hill-climb on the ratio. A pair violates the
claim if ``||TQ - TQ'|| > gamma ||Q - Q'|| + 1e-11 max(1, ||Q||, ||Q'||)`` (round-off).
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, function_set, result, uncertainty_set

CLAIM = ("Every robust Bellman operator T Q = r + gamma sigma_U(max_a' Q(s',a')) (TV, KL, chi-square, "
         "contamination, group; single agent and team joint max) and DRMARL's group-DRO operator are "
         "gamma-contractions: ||TQ - TQ'||_inf <= gamma ||Q - Q'||_inf")
SOURCE = "DRMARL arXiv 2503.09755, sec. 3.2, Lemma 3.2; docs/theory.md sec. 3 (general contraction)"
METHOD = ("Largest observed ||TQ-TQ'||/||Q-Q'|| over random, translated, one-entry, large-range and "
          "hill-climbed adversarial pairs, for operators built on the fast kernels; must be <= gamma.")

GAMMA = 0.9
#: round-off allowance: ||TQ - TQ'|| may exceed gamma ||Q - Q'|| by SLACK max(1, ||Q||, ||Q'||)
SLACK = 1e-11


def _sets(rng, S, A):
    """One instance of every set; the group hull is per row of a flat ``(S*A, S)`` kernel."""
    m = 3
    D = rng.dirichlet(np.full(S, 0.5), size=(m, S * A))
    return {
        "TV": uncertainty_set("TV")(0.3),
        "KL": uncertainty_set("KL")(0.5),
        "ChiSquare": uncertainty_set("ChiSquare")(0.7),
        "Contamination": uncertainty_set("Contamination")(0.3),
        "Group": uncertainty_set("Group")(D),
    }


def _team_game(rng, S, n_actions, gamma):
    """Discounted game whose players all receive the same (team) reward."""
    import robustgames as rg

    acts = tuple(n_actions)
    P = rng.dirichlet(np.full(S, 0.5), size=(S,) + acts)
    r = rng.normal(size=(S,) + acts)
    R = np.repeat(r[..., None], len(acts), axis=-1)
    return rg.MarkovGame(P, R, gamma=gamma)


def operators(rng, quick, sets=None, drmarl_operator=None, gamma=GAMMA):
    """``[(label, T, shape)]``: the operators under test."""
    from robustgames.planning._backup import robust_q
    from robustgames.planning._group_dro import group_dro_operator

    ops = []
    S, A = (4, 3) if quick else (6, 4)
    single = _team_game(rng, S, (A,), gamma)
    team = _team_game(rng, S, (2, 2), gamma)
    base1 = _sets(rng, S, A)
    base2 = _sets(rng, S, 4)
    if sets:
        base1.update(sets)
        base2.update(sets)
    for name in base1:
        U1, U2 = base1[name], base2[name]
        ops.append((f"{name}/single", lambda Q, g=single, U=U1: robust_q(g, [U], Q.max(axis=1)), (S, A, 1)))
        ops.append((f"{name}/team", lambda Q, g=team, U=U2: robust_q(g, [U, U], Q.max(axis=1)), (S, 4, 2)))
    # DRMARL's operator (Lemma 3.2): group-free kernels, per-group kernels, predicted group
    drm = group_dro_operator if drmarl_operator is None else drmarl_operator
    m = 3
    r = rng.normal(size=(m, S, A))
    P = rng.dirichlet(np.ones(S), size=(S, A))
    Pg = rng.dirichlet(np.ones(S), size=(m, S, A))
    ops.append(("DRMARL/group-free", lambda Q: drm(Q, r, P, gamma), (S, A)))
    ops.append(("DRMARL/per-group", lambda Q: drm(Q, r, Pg, gamma), (S, A)))
    ops.append(("DRMARL/predicted", lambda Q: drm(Q, r, Pg, gamma, method="predicted"), (S, A)))
    return ops


def _pairs(rng, shape, n):
    """Random, translated, one-entry, tiny-difference and large-range pairs."""
    for k in range(n):
        scale = 10.0 ** rng.choice([-3, 0, 0, 2, 6])
        Q = rng.normal(size=shape) * scale
        kind = k % 5
        if kind == 0:
            Q2 = rng.normal(size=shape) * scale
        elif kind == 1:
            Q2 = Q + rng.normal() * scale
        elif kind == 2:
            Q2 = Q.copy()
            Q2[tuple(rng.integers(d) for d in shape)] += rng.normal() * scale
        elif kind == 3:
            Q2 = Q + 1e-3 * scale * rng.normal(size=shape)
        else:
            Q2 = Q + scale * rng.choice([-1.0, 1.0], size=shape)  # all coordinates move
        yield Q, Q2


def _ratio(T, Q, Q2, gamma):
    """``(||TQ - TQ'|| / ||Q - Q'||, (||TQ - TQ'|| - gamma ||Q - Q'||) / max(1, ||Q||, ||Q'||))``;
    the pair violates the claim when the second exceeds :data:`SLACK` (round-off)."""
    d_in = float(np.max(np.abs(Q - Q2)))
    d_out = float(np.max(np.abs(T(Q) - T(Q2))))
    size = max(1.0, float(np.max(np.abs(Q))), float(np.max(np.abs(Q2))))
    return (d_out / d_in if d_in > 0 else 0.0), (d_out - gamma * d_in) / size


def _hill_climb(rng, T, shape, gamma, steps):
    Q = rng.normal(size=shape)
    Q2 = Q + rng.normal(size=shape)
    best, excess = _ratio(T, Q, Q2, gamma)
    for _ in range(steps):
        cand = Q2 + 0.3 * rng.normal(size=shape) * (rng.random(shape) < 0.3)
        cq = Q + 0.3 * rng.normal(size=shape) * (rng.random(shape) < 0.3)
        r, e = _ratio(T, cq, cand, gamma)
        if r > best:
            Q, Q2, best, excess = cq, cand, r, e
    return best, excess


def check(quick: bool = True, *, sets=None, drmarl_operator=None, gamma: float = GAMMA, seed: int = 6,
          n_pairs=None, climb_steps=None, **_) -> object:
    """``sets`` replaces named sets (planted support functions); ``drmarl_operator`` replaces
    ``group_dro_operator``."""
    rng = np.random.default_rng(seed)
    n = n_pairs or (60 if quick else 600)
    steps = climb_steps or (40 if quick else 300)
    per_op = {}
    worst_excess = -np.inf
    violations = 0
    total = 0
    for label, T, shape in operators(rng, quick, sets, drmarl_operator, gamma):
        best = 0.0
        for Q, Q2 in _pairs(rng, shape, n):
            r, e = _ratio(T, Q, Q2, gamma)
            best = max(best, r)
            worst_excess = max(worst_excess, e)
            violations += e > SLACK
            total += 1
        for _ in range(2):
            r, e = _hill_climb(rng, T, shape, gamma, steps)
            best = max(best, r)
            worst_excess = max(worst_excess, e)
            violations += e > SLACK
            total += 1
        per_op[label] = best
    top = max(per_op, key=per_op.get)
    passed = violations == 0
    listing = ", ".join(f"{k} {v:.6f}" for k, v in per_op.items())
    evidence = (f"largest (||TQ-TQ'|| - gamma ||Q-Q'||) / max(1, ||Q||, ||Q'||) over {total} pairs on "
                f"{len(per_op)} operators ({violations} violations); max ratio ||TQ-TQ'|| / ||Q-Q'|| "
                f"{per_op[top]:.10f} ({top}) vs gamma {gamma}; per operator: {listing}")
    return result(passed, evidence, measured=worst_excess, threshold=SLACK, gamma=gamma, pairs=total,
                  violations=violations, max_ratio=per_op[top], largest_excess=worst_excess,
                  per_operator=per_op)


def _mass_added(P, v, radius):
    """Planted bug: the TV walk adds ``radius`` mass to the argmin without removing any
    (``p0.v + radius min v``): not translation-equivariant, ratio ``gamma (1 + radius)``."""
    return P @ v + radius * v.min()


def _unclipped_chi2(P, v, radius):
    """Planted bug: chi-square 'dual' without the clipping ``[v]_alpha`` (``mean - sqrt(sigma) std``):
    translation-equivariant but not monotone, so not non-expansive for large radii."""
    mean = P @ v
    var = np.maximum(P @ (v * v) - mean * mean, 0.0)
    return mean - np.sqrt(radius * var)


def _summing_operator(Q, r, P, gamma, method="rectangular"):
    """Planted bug in DRMARL's operator: a sum over next actions instead of the max."""
    v = np.asarray(Q).sum(axis=-1)
    return (r + gamma * (P @ v)).min(axis=0)  # P @ v: (S, A) or (m, S, A)


def self_test() -> bool:
    """Three planted non-contractive operators must each be caught."""
    return all([
        detects(check, sets={"TV": function_set(_mass_added, 0.3, name="TVMassAdded")}, n_pairs=10, climb_steps=5),
        detects(check, sets={"ChiSquare": function_set(_unclipped_chi2, 4.0, name="Chi2Unclipped")},
                n_pairs=10, climb_steps=20),
        detects(check, drmarl_operator=_summing_operator, n_pairs=10, climb_steps=5),
    ])


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
