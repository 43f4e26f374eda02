"""Adapters and exact assessment of external policies (issue 11, part 1).

References are independent of the code under test: policy tables built by hand from
the same numbers the callables read, ``rg.evaluate`` / ``rg.gap`` / ``rg.best_response``
for values and gaps, and ``rg.solve`` on the one-player game over joint actions for the
optimal team Q.
"""

import numpy as np
import pytest

import robustgames as rg
from robustgames.bridge._assess import assess, is_team_game, policy_from_callable, policy_from_q
from robustgames.bridge._observations import all_observations


def _random_tables(game, rng):
    lead = (game.n_states,) if game.discounted else (game.horizon, game.n_states)
    return [rng.dirichlet(np.ones(a), size=lead) for a in game.n_actions]


def _onehot_callable(table, game):
    """Reads the one-hot observation, works on one observation or a batch."""
    S = game.n_states

    def fn(o):
        o = np.asarray(o)
        s = np.argmax(o[..., :S], axis=-1)
        if game.discounted:
            return table[s]
        h = np.argmax(o[..., S:], axis=-1)
        return table[h, s]
    return fn


def _index_callable_single(table, game):
    """Reads ONE index observation (int or [h, s]); fails on batches."""
    def fn(o):
        o = np.asarray(o)
        if game.discounted:
            return table[int(o)]
        h, s = (int(x) for x in o)
        return table[h, s]
    return fn


GAMES = {
    "random_fh": lambda: rg.random_game(4, 2, 3, rng=1),
    "random_disc": lambda: rg.random_game(5, (2, 3), gamma=0.8, rng=2),
    "three_players": lambda: rg.random_game(3, (2, 2, 2), 2, n_players=3, rng=3),
    "intersection": lambda: rg.intersection_game(payoff="penalty", gamma=0.9),
}


@pytest.mark.parametrize("name", list(GAMES))
@pytest.mark.parametrize("batched", [None, True, False])
def test_callable_equals_evaluate_on_its_table(name, batched):
    game = GAMES[name]()
    rng = np.random.default_rng(0)
    tables = _random_tables(game, rng)
    fns = [_onehot_callable(t, game) for t in tables]
    U = rg.KL(0.2)
    pi = policy_from_callable(game, fns, batched=batched)
    expected_pi = rg.product_policy(tables)
    np.testing.assert_allclose(pi, expected_pi, rtol=0, atol=1e-15)
    res = assess(game, U, fns)
    V = rg.evaluate(game, U, expected_pi)
    np.testing.assert_allclose(res.value_table, V, rtol=0, atol=1e-12)
    V0 = V if game.discounted else V[0]
    np.testing.assert_allclose(res.values, game.initial @ V0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["random_fh", "random_disc"])
def test_index_observations_single_calls(name):
    game = GAMES[name]()
    tables = _random_tables(game, np.random.default_rng(5))
    fns = [_index_callable_single(t, game) for t in tables]
    pi = policy_from_callable(game, fns, observation="index")  # batch fails -> loop
    np.testing.assert_allclose(pi, rg.product_policy(tables), atol=1e-15)


def test_accidental_batch_falls_back_to_loop():
    # a linear policy W @ o over one-hot states: on a batch (S, S) W @ X "works" but
    # returns the transpose; the first/last-row check must detect it and loop instead
    game = rg.random_game(3, 3, gamma=0.5, rng=0)
    rng = np.random.default_rng(1)
    tables = _random_tables(game, rng)
    fns = [lambda o, W=t.T: W @ o for t in tables]  # W (A, S): W @ e_s = table[s]
    pi = policy_from_callable(game, fns)
    np.testing.assert_allclose(pi, rg.product_policy(tables), atol=1e-15)
    with pytest.raises(ValueError, match=r"fn\[0\].*batch"):
        policy_from_callable(game, [lambda o: np.ones((2, 2)) / 2] * 2, batched=True)


def test_joint_callable_correlated():
    game = rg.random_game(3, (2, 3), 2, rng=4)
    rng = np.random.default_rng(2)
    table = rng.dirichlet(np.ones(6), size=(2, 3)).reshape(2, 3, 2, 3)
    fn = _onehot_callable(table, game)
    pi = policy_from_callable(game, fn, joint=True)
    np.testing.assert_allclose(pi, table, atol=1e-15)
    U = rg.TV(0.15)
    res = assess(game, U, fn)  # a single callable with n > 1 is a joint callable
    for kind, field in (("cce", "gap_cce"), ("ce", "gap_ce")):
        g = rg.gap(game, U, table, kind=kind)
        assert abs(getattr(res, field) - g.value) <= 1e-12
    g = rg.gap(game, U, table, kind="cce")
    np.testing.assert_allclose(res.improvements, g.per_player, atol=1e-12)
    assert not res.is_product and np.isnan(res.gap_nash)


@pytest.mark.parametrize("name", list(GAMES))
def test_gaps_match_rg_gap(name):
    game = GAMES[name]()
    U = rg.ChiSquare(0.3)
    tables = _random_tables(game, np.random.default_rng(7))
    res = assess(game, U, tables)
    assert res.is_product
    for kind, field, imp in (("nash", "gap_nash", "improvements"), ("cce", "gap_cce", "improvements"),
                             ("ce", "gap_ce", "improvements_ce")):
        g = rg.gap(game, U, tables, kind=kind)
        assert abs(getattr(res, field) - g.value) <= 1e-12
        np.testing.assert_allclose(getattr(res, imp), g.per_player, atol=1e-12)
    assert res.gap_nash > 1e-6  # a random policy is no equilibrium
    for i in range(game.n_players):
        br = rg.best_response(game, U, tables, i)
        assert abs(res.best_response_values[i] - br.value) <= 1e-12


def test_equilibrium_has_zero_gap():
    game = rg.random_game(3, 2, 3, rng=8)
    U = rg.TV(0.2)
    sol = rg.solve(game, U, "nash")
    res = assess(game, U, sol.policy)
    assert res.gap_nash <= 1e-9 and res.gap_ce <= 1e-9


# -- bad inputs --------------------------------------------------------------------------
@pytest.mark.parametrize("bad, match", [
    (lambda o: np.array([0.5, 0.5, 0.0]), r"fn\[1\] returned shape \(3,\)"),
    (lambda o: np.array([np.nan, 1.0]), r"fn\[1\] returned a non-finite"),
    (lambda o: np.array([0.7, 0.7]), r"fn\[1\] returned probabilities summing to"),
    (lambda o: np.array([1.5, -0.5]), r"fn\[1\] returned a negative"),
])
@pytest.mark.parametrize("batched", [None, False])
def test_bad_callables_named(bad, match, batched):
    game = rg.random_game(3, 2, 2, rng=0)
    good = lambda o: np.array([0.5, 0.5])  # noqa: E731
    with pytest.raises(ValueError, match=match):
        policy_from_callable(game, [good, bad], batched=batched)


def test_bad_arguments():
    game = rg.random_game(3, 2, 2, rng=0)
    with pytest.raises(ValueError, match="fn lists 1 callables"):
        policy_from_callable(game, [lambda o: [0.5, 0.5]])
    with pytest.raises(TypeError, match="sequence of 2 per-agent callables"):
        policy_from_callable(game, lambda o: [0.5, 0.5])
    with pytest.raises(TypeError, match=r"fn\[0\] must be callable"):
        policy_from_callable(game, [1, 2])
    with pytest.raises(ValueError, match=r"Q\[0\] must have shape \(2, 3, 2\)"):
        policy_from_q(game, [np.zeros((3, 2)), np.zeros((2, 3, 2))])
    with pytest.raises(ValueError, match="Q must be"):
        policy_from_q(game, np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match=r"Q\[1\] has a non-finite"):
        policy_from_q(game, [np.zeros((2, 3, 2)), np.full((2, 3, 2), np.nan)])
    with pytest.raises(ValueError, match="temperature is required"):
        policy_from_q(game, np.zeros((2, 3, 2, 2)), "softmax")
    with pytest.raises(ValueError, match="temperature must be >"):
        policy_from_q(game, np.zeros((2, 3, 2, 2)), "softmax", temperature=0.0)
    with pytest.raises(ValueError, match="unknown rule"):
        policy_from_q(game, np.zeros((2, 3, 2, 2)), "boltzmann")
    with pytest.raises(ValueError, match="Q must be"):
        assess(game, rg.TV(0.1), [np.full((2, 3, 2), 0.5)] * 2, Q=np.zeros(3))
    with pytest.raises(ValueError, match="unknown q_target"):
        assess(game, rg.TV(0.1), [np.full((2, 3, 2), 0.5)] * 2, Q=np.zeros((2, 3, 2, 2, 2)), q_target="x")


# -- Q rules -----------------------------------------------------------------------------
def test_policy_from_q_rules():
    game = rg.random_game(2, (3, 2), gamma=0.5, rng=0)
    q0 = np.array([[1.0, 3.0, 3.0], [0.0, -1.0, 2.0]])
    q1 = np.array([[5.0, 5.0], [1.0, 0.0]])
    pi = policy_from_q(game, [q0, q1], "greedy", tie="uniform")
    np.testing.assert_allclose(pi[0], np.outer([0, 0.5, 0.5], [0.5, 0.5]))
    np.testing.assert_allclose(pi[1], np.outer([0, 0, 1], [1, 0]))
    pi = policy_from_q(game, [q0, q1], "greedy", tie="first")
    np.testing.assert_allclose(pi[0], np.outer([0, 1, 0], [1, 0]))
    pi = policy_from_q(game, [q0 + [[0, 0, 1e-9], [0, 0, 0]], q1], tie="first", tie_tol=1e-6)
    np.testing.assert_allclose(pi[0], np.outer([0, 1, 0], [1, 0]))
    T = 0.7
    pi = policy_from_q(game, [q0, q1], "softmax", temperature=T)
    def sm(x):
        return np.exp(x / T) / np.exp(x / T).sum()
    np.testing.assert_allclose(pi[1], np.outer(sm(q0[1]), sm(q1[1])), rtol=1e-13)
    qj = np.arange(12.0).reshape(2, 3, 2)
    qj[0, 0, 0] = qj[0, 2, 1]  # tie in state 0 between (0,0) and (2,1)
    pi = policy_from_q(game, qj)
    assert pi[0, 0, 0] == 0.5 and pi[0, 2, 1] == 0.5 and pi[1, 2, 1] == 1.0


# -- Q error and greedy agreement ---------------------------------------------------------
def _team_q_reference(game, U):
    """Optimal robust team Q by rg.solve on the one-player game over joint actions."""
    single = rg.MarkovGame(game.flat_transitions, game.flat_rewards[..., :1], gamma=game.gamma,
                           initial=game.initial)
    if game.discounted:
        sol = rg.solve(single, U, method="policy_iteration", tol=1e-12)
    else:
        sol = rg.solve(single, U)
    return sol.Q[..., 0].reshape(game.policy_shape)


@pytest.mark.parametrize("make", [lambda: rg.intersection_game(payoff="climbing"),
                                  lambda: rg.intersection_game(payoff="penalty", gamma=0.9)])
def test_q_error_team_game(make):
    game = make()
    U = rg.TV(0.2)
    assert is_team_game(game, U) and not is_team_game(game, [U, rg.TV(0.3)])
    Qs = _team_q_reference(game, U)
    pi = policy_from_q(game, Qs, tie="first")
    res = assess(game, U, pi, Q=Qs)
    assert res.q_target == "optimal" and res.q_form == "joint"
    assert res.q_error <= 1e-8 and res.greedy_agreement == 1.0
    # the greedy policy of Q* is optimal: its value is max over states of Q*
    V0 = Qs.reshape(Qs.shape[: Qs.ndim - 2] + (-1,)).max(axis=-1)
    V0 = V0 if game.discounted else V0[0]
    np.testing.assert_allclose(res.values, game.initial @ V0, atol=1e-8)
    # a perturbation shows up exactly in q_error; flipping the greedy action at one
    # decision point costs exactly one of them in greedy_agreement (when it is strict)
    Qp = Qs.copy()
    lead = Qs.shape[: Qs.ndim - 2]
    flat = Qp.reshape(lead + (-1,))
    idx = (0, 0) if game.discounted else (0, 0, 0)  # state 0 (step 0): all actions tie there
    worst_a = np.argmin(flat[idx[:-1]])
    flat[idx[:-1]][worst_a] += 100.0
    res2 = assess(game, U, pi, Q=Qp)
    assert abs(res2.q_error - 100.0) <= 1e-8
    n_points = int(np.prod(lead))
    strict = flat[idx[:-1]].size and (Qs.reshape(lead + (-1,))[idx[:-1]].max()
                                      - Qs.reshape(lead + (-1,))[idx[:-1]][worst_a] > 1e-8)
    expected = 1.0 - (1.0 / n_points if strict else 0.0)
    assert abs(res2.greedy_agreement - expected) <= 1e-12
    # per-agent tables: max over the other player of Q*
    full = Qs
    k = len(lead)
    q1 = full.max(axis=k + 1)
    q2 = full.max(axis=k)
    res3 = assess(game, U, pi, Q=[q1, q2])
    assert res3.q_form == "per_agent" and res3.q_error <= 1e-8


def test_q_error_general_sum_targets():
    game = rg.random_game(4, 2, 3, rng=11)
    U = rg.KL(0.1)
    tables = _random_tables(game, np.random.default_rng(3))
    pi = rg.product_policy(tables)
    V = rg.evaluate(game, U, pi)
    res = assess(game, U, pi, Q=np.zeros(game.policy_shape + (2,)))
    assert res.q_target == "policy"
    # the exact Q^pi reported back as Q: zero error, and sum_a pi Q^pi = V^pi
    Qpi = np.empty(game.policy_shape + (2,))
    for h in range(game.horizon):
        for i in range(2):
            sets = rg.KL(0.1)
            w = sets.worst_value(game.transitions[h], V[h + 1, :, i])
            Qpi[h, ..., i] = game.rewards[h, ..., i] + w
    res = assess(game, U, pi, Q=Qpi)
    assert res.q_error <= 1e-12
    np.testing.assert_allclose(np.einsum("hsab,hsabi->hsi", pi, Qpi), V[:-1], atol=1e-12)
    # best-response target: max_b of the reference is the best-response value
    br0 = rg.best_response(game, U, pi, 0)
    br1 = rg.best_response(game, U, pi, 1)
    refs = []
    for i, br in enumerate((br0, br1)):
        Qb = np.empty(game.policy_shape)
        for h in range(game.horizon):
            Qb[h] = game.rewards[h, ..., i] + U.worst_value(game.transitions[h], br.values[h + 1])
        other = tables[1 - i]
        refs.append(np.einsum("hsab,hsb->hsa", Qb, other) if i == 0 else np.einsum("hsab,hsa->hsb", Qb, other))
    np.testing.assert_allclose(refs[0].max(axis=-1), br0.values[:-1], atol=1e-12)
    res = assess(game, U, pi, Q=refs)
    assert res.q_target == "best_response" and res.q_error <= 1e-12 and res.greedy_agreement == 1.0
    bad = [r.copy() for r in refs]
    bad[1] = -bad[1]  # greedy on the negated table picks the worst action
    res = assess(game, U, pi, Q=bad)
    assert res.greedy_agreement_per_player[0] == 1.0 and res.greedy_agreement_per_player[1] < 1.0
    with pytest.raises(ValueError, match="team game"):
        assess(game, U, pi, Q=np.zeros(game.policy_shape))


def test_all_observations_order():
    game = rg.random_game(3, 2, 2, rng=0)
    obs = all_observations(game, "index")
    assert obs.tolist() == [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
    oh = all_observations(game, "one_hot")
    assert oh.shape == (6, 3 + 3) and oh[4].tolist() == [0, 1, 0, 0, 1, 0]


def _reachable_by_enumeration(game, pi):
    """Independent reference: enumerate every trajectory prefix with positive probability."""
    H, S = game.horizon, game.n_states
    P = game.flat_transitions
    mask = np.zeros((H, S), dtype=bool)
    frontier = {s for s in range(S) if game.initial[s] > 0}
    for h in range(H):
        for s in frontier:
            mask[h, s] = True
        nxt = set()
        for s in frontier:
            for a in range(pi.shape[-1]):
                if pi[h, s, a] > 0:
                    nxt |= {t for t in range(S) if P[h, s, a, t] > 0}
        frontier = nxt
    return mask


def test_reachable_points_against_enumeration_and_q_error_over_them():
    """q_error of a learned table is often set by points no trajectory reaches; the
    reachable versions ignore them. A huge error planted at an unreachable point moves
    q_error but not q_error_reachable."""
    from robustgames.bridge import reachable_points

    rng = np.random.default_rng(3)
    H, S, A = 4, 6, 2
    P = np.zeros((H, S, A, S))
    for h in range(H):
        for s in range(S):
            for a in range(A):
                succ = rng.choice(S, size=2, replace=False)
                P[h, s, a, succ] = rng.dirichlet(np.ones(2))
    game = rg.MarkovGame(P, rng.random((H, S, A, 1)))
    pi = np.zeros((H, S, A))
    pi[..., 0] = 1.0  # deterministic: only action 0's successors
    mask = reachable_points(game, pi)
    np.testing.assert_array_equal(mask, _reachable_by_enumeration(game, pi))
    assert 0 < mask.sum() < mask.size
    U = rg.TV(0.1)
    assert rg.assess(game, U, pi, Q=np.zeros((H, S, A))).q_target == "optimal"  # a team game
    exact = rg.team_robust_q(game, U).Q.reshape(H, S, A)
    Q = exact.copy()
    h, s = np.argwhere(~mask)[0]
    Q[h, s, 1] += 100.0  # a wrong entry where no trajectory goes
    res = rg.assess(game, U, pi, Q=Q)
    assert res.q_error == pytest.approx(100.0, abs=1e-6)
    assert res.q_error_reachable < 1e-6
    np.testing.assert_array_equal(res.reachable, mask)
    assert res.greedy_agreement_reachable == 1.0
