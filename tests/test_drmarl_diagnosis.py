"""Why tabular DRMARL can lose to nominal MARL on chute variant "b" (the diagnosis, pinned).

On variant "b" (recirculated packages return, so transitions depend on the group) the
paper's target (DRMARL eq. (32): worst group ``g' = argmin_g r_g`` chosen by reward only,
then ``r_{g'} + P_{g'} . V``) optimises the predicted-group objective, not the robust one.
The learner solves that objective well (within 1% of its exact optimum), yet the policy it
finds is far below the robust optimum, even below nominal MARL. With the exact rectangular
target ``min_g [r_g + P_g . V]`` the SAME VDN learner reaches the group-DRO optimum and
beats nominal MARL, and a joint table (no factorisation) does too: the approximation, not
the VDN factorisation, is the cause. Every reference value is computed here by dynamic
programming; game and learner seeds are fixed ones where this holds for every learner
seed tried (experiments in the chute report).
"""

import numpy as np
import pytest

from robustgames.games._chute import chute_mapping_game
from robustgames.learning._drmarl import evaluate_joint_policy, train_vdn
from robustgames.planning._group_dro import group_dro_solve, policy_value_per_group, robust_policy_values


@pytest.fixture(scope="module")
def game_b():
    return chute_mapping_game(n_destinations=2, n_chutes=5, capacity=2, volume=8, steps=4, max_new=1, n_levels=3,
                              n_groups=9, variant="b", rng=4)


def _predicted_objective(game, policy):
    """Value of ``policy`` when every (s, a) is driven by its reward-worst group (eq. (32))."""
    S, A = game.n_states, game.n_joint_actions
    g = np.argmin(game.rewards, axis=0)
    s_idx, a_idx = np.indices((S, A))
    r = game.rewards[g, s_idx, a_idx]
    P = game.transitions[g, s_idx, a_idx]
    return policy_value_per_group(r[None], P, policy, game.steps, game.initial_state)[0]


def _robust(game, policy):
    return robust_policy_values(game.rewards, game.transitions, policy, game.steps)[0, game.initial_state]


def test_approximate_target_not_factorisation_explains_drmarl_losing_to_marl(game_b):
    game = game_b
    s0, T, F = game.initial_state, game.steps, game.feasible
    v_robust = group_dro_solve(game.rewards, game.transitions, T, feasible=F).values[0, s0]
    v_pred = group_dro_solve(game.rewards, game.transitions, T, feasible=F, method="predicted").values[0, s0]

    nominal = train_vdn(game, "nominal", episodes=2000, rng=0)
    approx = train_vdn(game, "exhaustive", episodes=2000, rng=0)  # the paper's target, VDN
    rect = train_vdn(game, "exhaustive", episodes=2000, target="rectangular", rng=0)  # exact target, VDN
    joint = train_vdn(game, "exhaustive", episodes=2000, target="rectangular", factorisation="joint", alpha=1.0,
                      rng=0)
    r_nom, r_apx, r_rect, r_joint = (_robust(game, res.policy) for res in (nominal, approx, rect, joint))

    # the approximate learner solves ITS objective (within 1% of the exact predicted-group optimum) ...
    p_apx = _predicted_objective(game, approx.policy)
    assert p_apx >= 0.99 * v_pred
    # ... but that policy is far from robust-optimal and below nominal MARL
    assert r_apx <= 0.9 * v_robust
    assert r_apx < r_nom
    # the same VDN learner with the exact rectangular target: near the optimum, at least MARL
    assert r_rect >= 0.97 * v_robust
    assert r_rect >= r_nom
    assert r_rect >= r_apx + 0.05 * v_robust
    # without the factorisation (joint table) the rectangular target reaches the optimum too
    assert r_joint >= 0.99 * v_robust
    # nothing beats the exact optimum; the learned estimate of the rectangular learner is close to it
    assert max(r_nom, r_apx, r_rect, r_joint) <= v_robust + 1e-9
    assert rect.value_estimate == pytest.approx(v_robust, rel=0.05)
    # the evaluator's predicted_value is this objective
    assert evaluate_joint_policy(game, approx.policy).predicted_value == pytest.approx(p_apx, abs=1e-12)


def test_rectangular_target_with_exact_tables_is_backward_induction():
    """Joint table, alpha = 1, full exploration: every visited (s, a) gets the exact DP backup."""
    groups = np.array([[0.8, 0.2], [0.5, 0.5], [0.3, 0.7]])
    game = chute_mapping_game(variant="b", n_chutes=3, volume=4, n_levels=2, steps=2, groups=groups)
    dp = group_dro_solve(game.rewards, game.transitions, game.steps, feasible=game.feasible)
    res = train_vdn(game, "exhaustive", episodes=400, target="rectangular", factorisation="joint", alpha=1.0,
                    epsilon=(1.0, 1.0), rng=0)
    q = res.q_joint
    last = q[-1][game.feasible]
    seen = last != 0  # last-step entries are exact once visited (rewards are positive)
    assert seen.sum() >= 10
    np.testing.assert_allclose(last[seen], dp.q[-1][game.feasible][seen], atol=1e-12)
    assert res.value_estimate == pytest.approx(dp.values[0, game.initial_state], abs=1e-12)
    assert _robust(game, res.policy) == pytest.approx(dp.values[0, game.initial_state], abs=1e-12)
    assert res.q_local is None and res.factorisation == "joint" and res.target == "rectangular"


def test_diagnostic_options_validated_and_defaults_unchanged():
    groups = np.array([[0.8, 0.2], [0.3, 0.7]])
    game = chute_mapping_game(variant="b", n_chutes=3, volume=4, n_levels=2, steps=2, groups=groups)
    with pytest.raises(ValueError, match="factorisation"):
        train_vdn(game, "exhaustive", factorisation="x")
    with pytest.raises(ValueError, match="target"):
        train_vdn(game, "exhaustive", target="x")
    with pytest.raises(ValueError, match="exhaustive"):
        train_vdn(game, "nominal", target="rectangular")
    a = train_vdn(game, "exhaustive", episodes=50, rng=3)
    b = train_vdn(game, "exhaustive", episodes=50, rng=3, factorisation="vdn", target="approximate")
    np.testing.assert_array_equal(a.q_local, b.q_local)
    assert a.q_joint is None
