"""robustgames.factorization (DrIGM, docs/theory.md section 6): exact team values, IGM
diagnostics, the published targets as exact operators, the dropped-term identity."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import robustgames as rg
from robustgames.factorization import (
    additive_projection,
    dropped_term_shift,
    g_network_eta,
    igm_report,
    monotone_projection,
    robust_policy_value,
    target_fixed_point,
    target_values,
    team_reward,
    team_robust_q,
    tv_dual_eta,
)


def coop(seed, S=4, acts=(2, 2), gamma=0.9, H=None, offset=0.0):
    rng = np.random.default_rng(seed)
    lead = (S,) if H is None else (H, S)
    P = rng.dirichlet(np.full(S, 0.5), size=lead + acts)
    r = rng.normal(size=lead + acts) + offset
    return rg.MarkovGame(P, np.repeat(r[..., None], len(acts), axis=-1), gamma=None if H else gamma)


SETS = [rg.TV(0.3), rg.KL(0.4), rg.ChiSquare(0.5), rg.Contamination(0.3)]


@pytest.mark.parametrize("U", SETS, ids=repr)
@pytest.mark.parametrize("H", [None, 3])
def test_team_q_matches_single_agent_solve_and_worst_model(U, H):
    game = coop(1, H=H)
    res = team_robust_q(game, U)
    # independent path: the team as ONE agent over flat joint actions, solved by rg.solve
    A = game.n_joint_actions
    lead = game.transitions.shape[: (1 if H is None else 2)]
    single = rg.MarkovGame(game.flat_transitions, game.flat_rewards[..., :1], gamma=game.gamma)
    sol = rg.solve(single, U, tol=1e-11)
    V_ref = sol.values[..., 0]
    assert np.allclose(res.V, V_ref, atol=1e-8)
    assert res.residual <= 1e-8 and res.in_set is True
    assert res.Q.shape == game.policy_shape and res.worst_kernel.shape == game.transitions.shape
    # the greedy joint policy's exact robust value is the optimum
    V = rg.evaluate(game, U, res.policy)
    assert np.allclose(V[..., 0], res.V, atol=1e-8)
    assert lead[-1] == game.n_states and A == 4


def test_team_reward_validation():
    game = rg.random_game(3, (2, 2), gamma=0.9, rng=0)
    with pytest.raises(ValueError, match="not cooperative"):
        team_reward(game)
    assert np.array_equal(team_reward(game, 1), game.flat_rewards[..., 1])
    with pytest.raises(ValueError, match="player index"):
        team_reward(game, 2)
    with pytest.raises(TypeError):
        team_reward(game, 1.5)
    with pytest.raises(ValueError, match="ONE uncertainty set"):
        team_robust_q(coop(0), [rg.TV(0.1), rg.TV(0.2)])


def test_additive_projections_against_lstsq_and_lp_optimality():
    rng = np.random.default_rng(2)
    Q = rng.normal(size=(3, 2, 3, 2))
    fit2, comps2 = additive_projection(Q, "l2")
    fitinf, _ = additive_projection(Q, "linf")
    grid = np.array(list(itertools.product(range(2), range(3), range(2))))
    X = np.hstack([np.eye(a)[grid[:, i]] for i, a in enumerate((2, 3, 2))])
    for s in range(3):
        coef = np.linalg.lstsq(X, Q[s].reshape(-1), rcond=None)[0]
        assert np.allclose(X @ coef, fit2[s].reshape(-1), atol=1e-12)
        # the L_inf fit is at least as good in sup norm as the L2 fit and as random additive ones
        e_inf = np.abs(Q[s] - fitinf[s]).max()
        assert e_inf <= np.abs(Q[s] - fit2[s]).max() + 1e-9
        for _ in range(50):
            c = X @ (coef + 0.1 * rng.normal(size=coef.size))
            assert e_inf <= np.abs(Q[s].reshape(-1) - c).max() + 1e-9
    # an additive table is reproduced exactly
    A = comps2[0][:, :, None, None] + comps2[1][:, None, :, None] + comps2[2][:, None, None, :]
    assert np.allclose(additive_projection(A, "linf")[0], A, atol=1e-7)


def test_monotone_projection_exact_cases():
    rng = np.random.default_rng(3)
    u1, u2 = rng.normal(size=3), rng.normal(size=3)
    Q = np.tanh(u1[:, None] + 2 * u2[None, :]) + np.maximum(u1[:, None], u2[None, :])  # monotone in (u1, u2)
    mono = monotone_projection(Q[None])
    assert mono.residual[0] <= 1e-12 and mono.monotone_argmax[0]
    assert tuple(mono.greedy[0]) == np.unravel_index(Q.argmax(), Q.shape)
    # penalty game: two optimal joint actions (a,a), (c,c): not a product, not an up-set
    pen = np.array([[10.0, 0, -10], [0, 2, 0], [-10, 0, 10]])
    rep = igm_report(pen[None])
    assert not rep.product_argmax[0] and not rep.monotone_argmax[0]
    assert rep.monotone_residual[0] > 0 and rep.argmax_size[0] == 2
    assert not rep.igm_max_marginal[0]  # greedy sets {a, c} x {a, c} contain (a, c)
    # brute force for 2x2: the residual equals the best over the 4 rankings of the isotonic error
    for _ in range(20):
        q = rng.normal(size=(2, 2))
        best = np.inf
        for p1 in itertools.permutations(range(2)):
            for p2 in itertools.permutations(range(2)):
                qr = q[np.ix_(p1, p2)]
                viol = max(0.0, *(qr[x] - qr[y] for x in np.ndindex(2, 2) for y in np.ndindex(2, 2)
                                  if x[0] <= y[0] and x[1] <= y[1]))
                best = min(best, viol / 2)
        assert abs(monotone_projection(q[None]).residual[0] - best) <= 1e-12


def test_igm_report_climbing_and_vdn_residual():
    climb = np.array([[11.0, -30, 0], [-30, 7, 6], [0, 0, 5]])
    rep = igm_report(climb[None])
    assert tuple(rep.joint_greedy[0]) == (0, 0) and rep.igm_max_marginal[0]
    assert rep.vdn_residual_linf[0] > 0 and rep.vdn_residual_linf[0] <= rep.vdn_residual_l2[0] + 1e-9
    # the least-squares VDN fit of the climbing game is greedy elsewhere than (a, a): IGM fails
    assert not rep.igm_vdn_l2[0]
    add = np.add.outer(np.arange(3.0), np.array([0.0, 2.0, 1.0]))
    rep = igm_report(add[None])
    assert rep.vdn_residual_linf[0] <= 1e-9 and rep.all_igm_vdn_l2 and rep.all_igm_monotone


def test_g_network_minimiser_brute_force_and_nonnegative_values():
    rng = np.random.default_rng(4)
    for rho in (0.1, 0.3, 0.7):
        for _ in range(20):
            S = 5
            p = rng.dirichlet(np.ones(S))
            V = rng.normal(size=S) * 2
            g, term, loss = g_network_eta(p[None], V, rho)
            grid = np.linspace(V.min() - 5, V.max() + 5, 200001)
            L = ((np.maximum(grid[:, None] - V, 0) - (1 - rho) * grid[:, None]) ** 2) @ p
            assert loss[0] <= L.min() + 1e-12
            assert abs(grid[L.argmin()] - g[0]) <= 1e-3 or abs(L.min() - loss[0]) <= 1e-9
            # never above the exact-maximised dual (it is one feasible eta)
            assert term[0] <= tv_dual_eta(p[None], V, rho)[1][0] + 1e-12
        V = rng.random(S)  # V >= 0: the loss is 0 at g = 0, the target ignores the future
        g, term, _ = g_network_eta(rng.dirichlet(np.ones(S))[None], V, rho)
        assert g[0] == 0.0 and term[0] == 0.0


@pytest.mark.parametrize("rho", [0.0, 0.2, 0.9])
def test_exact_targets_equal_support_functions(rho):
    rng = np.random.default_rng(5)
    P = rng.dirichlet(np.full(6, 0.4), size=10)
    P[0] = np.eye(6)[2]
    V = rng.normal(size=6)
    r = rng.normal(size=10)
    y = target_values("tv_exact", P, V, rho, c=0.9, r=r)
    assert np.allclose(y, r + 0.9 * rg.TV(rho).worst_value(P, V), atol=1e-12)
    y = target_values("contamination_exact", P, V, rho, c=0.9, r=r)
    assert np.allclose(y, r + 0.9 * rg.Contamination(rho).worst_value(P, V), atol=1e-12)
    if rho > 0:  # RFQI's clamp eta >= 0 can only lower the dual; it is exact when its maximiser is >= 0
        lo = target_values("rfqi", P, V, rho, c=0.9, r=r)
        hi = target_values("tv_dual", P, V, rho, c=0.9, r=r)
        assert np.all(lo <= hi + 1e-12)
        assert np.allclose(target_values("rfqi", P, np.abs(V), rho, c=0.9, r=r),
                           target_values("tv_dual", P, np.abs(V), rho, c=0.9, r=r), atol=1e-12)


def test_robust_policy_value_matches_evaluate():
    for H in (None, 3):
        game = coop(6, H=H)
        rng = np.random.default_rng(0)
        acts = rng.integers(4, size=game.flat_rewards.shape[:-2])
        pol = np.zeros(game.flat_rewards.shape[:-1])
        np.put_along_axis(pol, acts[..., None], 1.0, axis=-1)
        for U in SETS:
            V = robust_policy_value(game, U, acts)
            ref = rg.evaluate(game, U, pol.reshape(game.policy_shape))[..., 0]
            assert np.allclose(V, ref, atol=1e-8)


@pytest.mark.parametrize("H", [None, 4])
@pytest.mark.parametrize("target", ["contamination", "tv_dual"])
def test_dropped_term_identity(H, target):
    for seed in range(3):
        game = coop(10 + seed, H=H, offset=-0.3)
        res = dropped_term_shift(game, 0.35, target=target)
        assert res.error <= 1e-9 and res.same_greedy


def test_fixed_points_exact_joint_is_optimal_and_g_network_pessimistic():
    game = coop(7)
    for target in ("tv_exact", "contamination_exact"):
        res = target_fixed_point(game, target, 0.3)
        assert res.converged and abs(res.loss) <= 1e-8
    g = target_fixed_point(game, "g_network", 0.3)
    d = target_fixed_point(game, "tv_dual", 0.3)
    assert np.all(g.V <= d.V + 1e-9)
    for mixer in ("vdn", "vdn_linf", "monotone"):
        res = target_fixed_point(game, "tv_exact", 0.3, mixer=mixer)
        assert res.loss >= -1e-9  # never better than the exact optimum
    with pytest.raises(ValueError, match="unknown target"):
        target_fixed_point(game, "nope", 0.3)
    with pytest.raises(ValueError, match="rho"):
        target_fixed_point(game, "g_network", 0.0)


def test_projections_on_3x3_against_per_state_brute_force():
    """The vectorised monotone projection and the one-LP L_inf additive fit against
    references written here: for 3x3 tables (36 rankings) the residual is the least, over
    rankings, of the largest product-order violation / 2 (pairs enumerated); the L_inf fit's
    error per state equals a separate per-state LP (scipy linprog) optimum."""
    from scipy.optimize import linprog

    rng = np.random.default_rng(7)
    Q = rng.normal(size=(6, 3, 3))
    Q[1] = np.round(Q[1])  # ties
    Q[2] = 0.0
    mono = monotone_projection(Q)
    fitinf, _ = additive_projection(Q, "linf")
    cells = list(np.ndindex(3, 3))
    for s in range(6):
        best = np.inf
        for p1 in itertools.permutations(range(3)):
            for p2 in itertools.permutations(range(3)):
                qr = Q[s][np.ix_(p1, p2)]
                viol = max(0.0, *(qr[x] - qr[y] for x in cells for y in cells if x[0] <= y[0] and x[1] <= y[1]))
                best = min(best, viol / 2)
        assert abs(mono.residual[s] - best) <= 1e-12
        # per-state LP: variables u (3), v (3), t; |Q - u_i - v_j| <= t
        A_ub, b_ub = [], []
        for i, j in cells:
            row = np.zeros(7)
            row[i], row[3 + j], row[6] = 1.0, 1.0, -1.0
            A_ub.append(row)
            b_ub.append(Q[s, i, j])
            row2 = -row
            row2[6] = -1.0
            A_ub.append(row2)
            b_ub.append(-Q[s, i, j])
        c = np.zeros(7)
        c[6] = 1.0
        lp = linprog(c, A_ub=np.array(A_ub), b_ub=np.array(b_ub), bounds=[(None, None)] * 6 + [(0, None)],
                     method="highs")
        assert abs(np.abs(Q[s] - fitinf[s]).max() - lp.fun) <= 1e-9
