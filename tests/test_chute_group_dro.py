"""Exact group-DRO DP on the chute game against independent references (LP, brute force)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from robustgames.games._chute import chute_mapping_game
from robustgames.planning._group_dro import (
    group_dro_backup,
    group_dro_operator,
    group_dro_solve,
    group_dro_value_iteration,
    policy_value_per_group,
    robust_policy_values,
)

GROUPS = np.array([[0.75, 0.25], [0.5, 0.5], [0.15, 0.85]])


def _tables(game):
    return game.rewards, (game.transitions[0] if game.variant == "a" else game.transitions)


@pytest.fixture(scope="module")
def tiny_b():
    return chute_mapping_game(n_chutes=3, capacity=2, volume=4, steps=2, variant="b", max_new=1, n_levels=2,
                              groups=GROUPS)


def _lp_min_over_hull(values):
    """min_w w.values over the simplex by linprog (Lemma 3.1's right-hand side)."""
    m = len(values)
    res = linprog(values, A_eq=np.ones((1, m)), b_eq=[1.0], bounds=[(0, None)] * m, method="highs")
    return res.fun


@pytest.mark.parametrize("variant", ["a", "b"])
def test_lemma_3_1_vertices_equal_lp_over_mixtures(variant):
    game = chute_mapping_game(n_chutes=4, volume=6, steps=3, variant=variant, groups=GROUPS)
    r, P = _tables(game)
    rng = np.random.default_rng(0)
    v = rng.random(game.n_states)
    q, g = group_dro_backup(r, P, v)
    Pg = np.broadcast_to(P, game.transitions.shape)
    pairs = [(s, a) for s in range(game.n_states) for a in range(game.n_joint_actions)]
    for k in rng.choice(len(pairs), size=25, replace=False):
        s, a = pairs[k]
        per_group = r[:, s, a] + Pg[:, s, a] @ v
        assert q[s, a] == pytest.approx(_lp_min_over_hull(per_group), abs=1e-9)
        assert per_group[g[s, a]] == q[s, a]


def test_brute_force_policies_and_adversaries(tiny_b):
    """max over all deterministic policies of min over all adversary group choices (H = 2)."""
    game = tiny_b
    r, P = game.rewards, game.transitions
    m = game.n_groups
    s0 = game.initial_state
    best = -np.inf
    for a0 in np.flatnonzero(game.feasible[s0]):
        # states reachable at step 1 under any group
        reach = np.flatnonzero(P[:, s0, a0].max(axis=0) > 0)
        choices = [np.flatnonzero(game.feasible[s]) for s in reach]
        for acts in itertools.product(*choices):
            worst = np.inf
            for g0 in range(m):
                for g1 in itertools.product(range(m), repeat=len(reach)):
                    val = r[g0, s0, a0] + sum(
                        P[g0, s0, a0, s1] * r[g1[k], s1, acts[k]] for k, s1 in enumerate(reach)
                    )
                    worst = min(worst, val)
            best = max(best, worst)
    sol = group_dro_solve(r, P, game.steps, feasible=game.feasible)
    assert sol.values[0, s0] == pytest.approx(best, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_predicted_approximation_upper_bounds_rectangular(seed):
    game = chute_mapping_game(variant="b", n_groups=6, rng=seed)
    r, P = _tables(game)
    rect = group_dro_solve(r, P, game.steps, feasible=game.feasible)
    pred = group_dro_solve(r, P, game.steps, feasible=game.feasible, method="predicted")
    assert (pred.values >= rect.values - 1e-12).all()
    # rectangular optimum beats the approximation's policy under the true adversary
    rv = robust_policy_values(r, P, pred.policy, game.steps)
    assert (rv[0] <= rect.values[0] + 1e-12).all()
    # and its own policy evaluates to its value
    np.testing.assert_allclose(robust_policy_values(r, P, rect.policy, game.steps), rect.values, atol=1e-12)


def test_variant_a_group_free_formula_equals_per_group_formula():
    game = chute_mapping_game(variant="a", rng=0)
    free = group_dro_solve(game.rewards, game.transitions[0], game.steps, feasible=game.feasible)
    per = group_dro_solve(game.rewards, game.transitions, game.steps, feasible=game.feasible)
    pred = group_dro_solve(game.rewards, game.transitions, game.steps, feasible=game.feasible, method="predicted")
    np.testing.assert_allclose(free.values, per.values, atol=1e-12)
    np.testing.assert_allclose(pred.values, per.values, atol=1e-12)


def test_optimal_policy_is_feasible_and_at_least_every_fixed_group_policy():
    game = chute_mapping_game(variant="b", rng=1)
    r, P = _tables(game)
    sol = group_dro_solve(r, P, game.steps, feasible=game.feasible)
    assert game.feasible[np.arange(game.n_states), sol.policy].all()
    for g in range(game.n_groups):
        other = group_dro_solve(r[g:g + 1], P[g], game.steps, feasible=game.feasible).policy
        assert robust_policy_values(r, P, other, game.steps)[0].max() <= sol.values[0].max() + 1e-12
        assert (robust_policy_values(r, P, other, game.steps)[0] <= sol.values[0] + 1e-12).all()


def test_forward_group_evaluation_equals_backward_single_group():
    game = chute_mapping_game(variant="b", rng=2)
    r, P = _tables(game)
    pol = group_dro_solve(r, P, game.steps, feasible=game.feasible).policy
    fwd = policy_value_per_group(r, P, pol, game.steps, game.initial_state)
    for g in range(game.n_groups):
        back = robust_policy_values(r[g:g + 1], P[g], pol, game.steps)[0, game.initial_state]
        assert fwd[g] == pytest.approx(back, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), gamma=st.floats(0.0, 0.99))
def test_discounted_operator_is_gamma_contraction(seed, gamma):
    game = chute_mapping_game(variant="b", n_chutes=3, volume=4, groups=GROUPS, n_levels=2)
    rng = np.random.default_rng(seed)
    q1 = rng.normal(size=(game.n_states, game.n_joint_actions)) * 3
    q2 = q1 + rng.normal(size=q1.shape) * rng.random()
    for P in (game.transitions[0], game.transitions):
        t1 = group_dro_operator(q1, game.rewards, P, gamma, feasible=game.feasible)
        t2 = group_dro_operator(q2, game.rewards, P, gamma, feasible=game.feasible)
        assert np.abs(t1 - t2).max() <= gamma * np.abs(q1 - q2).max() + 1e-12


def test_value_iteration_fixed_point():
    game = chute_mapping_game(variant="b", n_chutes=3, volume=4, groups=GROUPS, n_levels=2)
    sol = group_dro_value_iteration(game.rewards, game.transitions, 0.9, feasible=game.feasible, tol=1e-11)
    assert sol.converged
    tq = group_dro_operator(sol.q, game.rewards, game.transitions, 0.9, feasible=game.feasible)
    np.testing.assert_allclose(tq, sol.q, atol=1e-10)


def test_invalid_inputs_name_argument():
    r = np.zeros((2, 3, 2))
    with pytest.raises(ValueError, match="transitions"):
        group_dro_solve(r, np.ones((3, 2, 4)) / 4, 2)
    with pytest.raises(ValueError, match="feasible"):
        group_dro_solve(r, np.ones((3, 2, 3)) / 3, 2, feasible=np.zeros((3, 2), bool))
    with pytest.raises(ValueError, match="method"):
        group_dro_solve(r, np.ones((3, 2, 3)) / 3, 2, method="x")
    with pytest.raises(ValueError, match="predicted"):
        group_dro_solve(r, np.ones((3, 2, 3)) / 3, 2, method="predicted", predicted=np.full((3, 2), 5))
