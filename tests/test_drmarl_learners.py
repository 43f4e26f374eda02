"""Tabular DRMARL: the integer program, the learners and the CB predictor."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robustgames.games._chute import chute_mapping_game
from robustgames.learning._drmarl import (
    _joint_q,
    _local_index,
    assign_chutes,
    cb_accuracy,
    evaluate_joint_policy,
    greedy_joint_policy,
    train_cb_predictor,
    train_vdn,
)
from robustgames.planning._group_dro import group_dro_solve, policy_value_per_group

GROUPS = np.array([[0.8, 0.2], [0.5, 0.5], [0.3, 0.7]])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), N=st.integers(1, 3), K=st.integers(2, 4), budget=st.integers(0, 7))
def test_ip_methods_agree_with_brute_force(seed, N, K, budget):
    q = np.random.default_rng(seed).normal(size=(N, K))
    values = {}
    for method in ("milp", "knapsack", "brute"):
        acts, val = assign_chutes(q, budget, method)
        assert acts.sum() <= budget and ((0 <= acts) & (acts < K)).all()
        assert val == pytest.approx(q[np.arange(N), acts].sum(), abs=1e-12)
        values[method] = val
    # independent: enumerate every joint action
    best = max(sum(q[i, a] for i, a in enumerate(x)) for x in itertools.product(range(K), repeat=N) if sum(x) <= budget)
    for method, val in values.items():
        assert val == pytest.approx(best, abs=1e-9), method


def test_assign_chutes_rejects_bad_input():
    with pytest.raises(ValueError, match="method"):
        assign_chutes(np.zeros((2, 2)), 1, "x")
    with pytest.raises(ValueError, match="budget"):
        assign_chutes(np.zeros((2, 2)), -1)
    with pytest.raises(ValueError, match="q_local"):
        assign_chutes(np.zeros(3), 1)


def test_greedy_policy_milp_matches_enumeration():
    game = chute_mapping_game(variant="b", n_chutes=3, volume=4, groups=GROUPS, n_levels=2, max_new=2, steps=2)
    q = np.random.default_rng(0).normal(size=(2, game.steps, (game.n_chutes + 1) * game.n_levels, game.max_new + 1))
    loc = _local_index(game)
    p_enum = greedy_joint_policy(game, q, "enumerate")
    p_milp = greedy_joint_policy(game, q, "milp")
    p_knap = greedy_joint_policy(game, q, "knapsack")
    for t in range(game.steps):
        for s in range(game.n_states):
            vals = _joint_q(q, t, loc[s], game.joint)
            assert game.feasible[s, p_milp[t, s]] and game.feasible[s, p_knap[t, s]]
            assert vals[p_milp[t, s]] == pytest.approx(vals[p_enum[t, s]], abs=1e-9)
            assert vals[p_knap[t, s]] == pytest.approx(vals[p_enum[t, s]], abs=1e-9)


def test_exhaustive_drmarl_reaches_exact_robust_value_variant_a():
    game = chute_mapping_game(variant="a", groups=GROUPS, steps=3)
    dp = group_dro_solve(game.rewards, game.transitions[0], game.steps, feasible=game.feasible)
    res = train_vdn(game, "exhaustive", episodes=1500, rng=0)
    ev = evaluate_joint_policy(game, res.policy)
    v_star = dp.values[0, game.initial_state]
    assert ev.robust_value == pytest.approx(v_star, rel=0.01)
    assert res.value_estimate == pytest.approx(v_star, rel=0.05)
    assert res.group_evaluations == game.n_groups * res.env_steps


def test_group_specific_learner_matches_single_group_dp():
    game = chute_mapping_game(variant="b", groups=GROUPS, steps=3)
    g = 0
    dp = group_dro_solve(game.rewards[g:g + 1], game.transitions[g], game.steps, feasible=game.feasible)
    res = train_vdn(game, "group", group=g, episodes=2500, rng=1)
    got = policy_value_per_group(game.rewards, game.transitions, res.policy, game.steps, game.initial_state)[g]
    assert got == pytest.approx(dp.values[0, game.initial_state], rel=0.03)
    assert got <= dp.values[0, game.initial_state] + 1e-12


def test_cb_accuracy_certificates():
    game = chute_mapping_game(variant="b", groups=GROUPS, steps=2)
    exact = np.moveaxis(game.rewards, 0, -1)
    acc = cb_accuracy(game, exact)
    assert acc.accuracy == 1.0 and acc.max_reward_lost == 0.0
    wrong = cb_accuracy(game, -exact)
    assert wrong.accuracy < 1.0 and wrong.max_reward_lost > 0


def test_cb_predictor_running_means_converge():
    game = chute_mapping_game(variant="a", groups=GROUPS, steps=2)
    q0 = np.zeros((2, game.steps, (game.n_chutes + 1) * game.n_levels, game.max_new + 1))
    cb = train_cb_predictor(game, q0, episodes=3000, epsilon_policy=0.5, epsilon_cb=1.0, rng=0)
    seen = cb.counts >= 200
    assert seen.any()
    err = np.abs(cb.q_cb - np.moveaxis(game.rewards, 0, -1))[seen]
    assert err.max() < 0.05  # running means of sampled rewards -> exact r_g(s, a)
    assert cb.group_samples == cb.counts.sum() == cb.env_steps


def test_invalid_modes():
    game = chute_mapping_game(variant="a", groups=GROUPS, steps=2)
    with pytest.raises(ValueError, match="mode"):
        train_vdn(game, "x")
    with pytest.raises(ValueError, match="group"):
        train_vdn(game, "group")
    with pytest.raises(ValueError, match="predictor"):
        train_vdn(game, "cb", predictor=np.zeros((1, 1, 1)))
