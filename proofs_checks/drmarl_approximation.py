"""DRMARL Appendix C.1: the predicted-worst-group approximation vs the exact DR value.

Claim (DRMARL arXiv 2503.09755, Appendix C.1, eq. (32) and Figure 11): when transitions
depend on the induction ``X``, fixing the predicted worst group
``g'(s, a) = argmin_g E_{P_g}[r(s, a; X)]`` and using ``E_{P_g'}[r + V(s')]`` gives an
upper bound of the exact DR operator ``min_g E_{P_g}[r + V(s')]``; the paper reports a
relative error under 0.57% on its simulator.

How it is checked: on variant-"b" chute games (X-dependent transitions) with m in
{5, 9, 21}, exact backward induction with both operators
(:func:`robustgames.planning._group_dro.group_dro_solve`); the approximation must
upper-bound the exact values at every (h, s) (the check passes or fails on this); the
relative error at the start state is reported and compared with the paper's 0.57%
(``numbers["within_paper_0.57pct"]``), as is the exact robust value lost by acting with
the approximation's policy.
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, fmt, result

CLAIM = ("the fixed-predicted-worst-group approximation E_{P_g'}[r + V(s')], g' = argmin_g E_{P_g}[r], "
         "upper-bounds the exact DR backup min_g E_{P_g}[r + V(s')] (paper: relative error < 0.57%)")
SOURCE = "DRMARL arXiv 2503.09755, Appendix C.1, eq. (32), Figure 11; THEORY.md sec. 5"
METHOD = "Chute game variant b, m in {5, 9, 21}: exact rectangular vs predicted-group backward induction."
PAPER_BOUND = 0.0057


def check(quick: bool = True, *, solve=None, seed: int = 0, **_):
    """Exact vs approximate group-DRO DP (or injected ``solve(rewards, P, H, feasible, method)``)."""
    from robustgames.games._chute import chute_mapping_game
    from robustgames.learning._drmarl import evaluate_joint_policy
    from robustgames.planning._group_dro import group_dro_solve

    def default(r, P, H, F, method):
        return group_dro_solve(r, P, H, feasible=F, method=method)

    solve = default if solve is None else solve
    rng = np.random.default_rng(seed)
    min_gap, rel, lost = np.inf, [], []
    for m in ((5, 9) if quick else (5, 9, 21)):
        game = chute_mapping_game(variant="b", n_groups=m, rng=rng)
        s0 = game.initial_state
        exact = solve(game.rewards, game.transitions, game.steps, game.feasible, "rectangular")
        approx = solve(game.rewards, game.transitions, game.steps, game.feasible, "predicted")
        min_gap = min(min_gap, float((approx.values - exact.values).min()))
        rel.append(float((approx.values[0, s0] - exact.values[0, s0]) / abs(exact.values[0, s0])))
        rob = evaluate_joint_policy(game, approx.policy).robust_value
        lost.append(float((exact.values[0, s0] - rob) / abs(exact.values[0, s0])))
    passed = min_gap >= -1e-12
    return result(passed, f"approx - exact >= {fmt(min_gap)} everywhere; relative error at start "
                          f"{', '.join(f'{100 * x:.2f}%' for x in rel)} (paper < 0.57%); robust value lost by "
                          f"the approx policy {', '.join(f'{100 * x:.2f}%' for x in lost)}",
                  min_upper_gap=min_gap, relative_errors=rel, approx_policy_loss=lost,
                  **{"within_paper_0.57pct": bool(max(rel) < PAPER_BOUND)})


def self_test() -> bool:
    """Planted bug: a decoupled 'approximation' min_g r_g + min_g P_g.V (a lower bound)."""
    from robustgames._result import Result
    from robustgames.planning._group_dro import group_dro_solve

    def decoupled(r, P, H, F, method):
        if method == "rectangular":
            return group_dro_solve(r, P, H, feasible=F)
        V = np.zeros((H + 1, r.shape[1]))
        for h in range(H - 1, -1, -1):
            q = r.min(axis=0) + (P @ V[h + 1]).min(axis=0)
            V[h] = np.where(F, q, -np.inf).max(axis=1)
        return Result(values=V, policy=np.argmax(np.where(F, q, -np.inf), axis=1)[None].repeat(H, 0))

    return detects(check, solve=decoupled)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
