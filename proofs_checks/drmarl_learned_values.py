"""Tabular DRMARL learns the exact group-DRO value (chute game, variant a).

Claim (DRMARL arXiv 2503.09755, section 3.2 and Algorithm 2): Q-learning with the DR
Bellman operator (worst group ``argmin_g E_{P_g}[r]`` found by exhaustive search) and the
VDN factorisation ``Q = sum_i Q'(i, s_i, a_i)`` with the integer-program joint action
learns a policy that is optimal against the worst group.

How it is checked: on the variant-"a" chute game (transitions independent of X, where
Lemma 3.2 applies and the approximation is exact), tabular VDN DRMARL
(:func:`robustgames.learning._drmarl.train_vdn`, mode ``"exhaustive"``) is trained with
seeded runs; the exact group-robust value of its greedy policy must be within 1% of the
exact group-DRO optimum (:func:`robustgames.planning._group_dro.group_dro_solve`), and its
learned value ``max_a sum_i Q'`` at the start within 5% of that optimum.
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, fmt, result

CLAIM = ("tabular VDN DRMARL (exhaustive worst-group search) learns a policy whose exact group-robust "
         "value matches the exact group-DRO optimum, and a value estimate close to it")
SOURCE = "DRMARL arXiv 2503.09755, sec. 3.2, eqs. (7), (8), (13), Algorithm 2; THEORY.md sec. 5"
METHOD = "Chute game variant a: exact DP optimum vs exact robust value of the learned greedy policy."
TOL_POLICY = 0.01
TOL_ESTIMATE = 0.05


def check(quick: bool = True, *, predictor=None, seed: int = 0, **_):
    """Train DRMARL (or DRMARL with an injected worst-group predictor ``predictor(game)``)."""
    from robustgames.games._chute import chute_mapping_game
    from robustgames.learning._drmarl import evaluate_joint_policy, train_vdn
    from robustgames.planning._group_dro import group_dro_solve

    ss = np.random.SeedSequence(seed)
    pol_err, est_err = [], []
    for run_ss in ss.spawn(1 if quick else 3):
        g_ss, l_ss = run_ss.spawn(2)
        game = chute_mapping_game(variant="a", steps=3 if quick else 4, rng=g_ss)
        dp = group_dro_solve(game.rewards, game.transitions[0], game.steps, feasible=game.feasible)
        v_star = dp.values[0, game.initial_state]
        if predictor is None:
            res = train_vdn(game, "exhaustive", episodes=1500 if quick else 6000, rng=l_ss)
        else:
            res = train_vdn(game, "cb", predictor=predictor(game), episodes=1500 if quick else 6000, rng=l_ss)
        rob = evaluate_joint_policy(game, res.policy).robust_value
        pol_err.append(float((v_star - rob) / abs(v_star)))
        est_err.append(float(abs(res.value_estimate - v_star) / abs(v_star)))
    passed = max(pol_err) <= TOL_POLICY and max(est_err) <= TOL_ESTIMATE
    return result(passed, f"robust value shortfall of learned policy {', '.join(fmt(x) for x in pol_err)} "
                          f"(tol {TOL_POLICY}); |learned estimate - exact| / exact "
                          f"{', '.join(fmt(x) for x in est_err)} (tol {TOL_ESTIMATE})",
                  policy_shortfall=pol_err, estimate_error=est_err)


def self_test() -> bool:
    """Planted bug: the predictor returns the BEST group (an optimistic operator)."""
    return detects(check, predictor=lambda game: -np.moveaxis(game.rewards, 0, -1))


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
