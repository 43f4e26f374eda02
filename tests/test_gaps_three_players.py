"""Robust CCE/CE gaps with THREE players and correlated joint policies, by brute force.

With two players the others' joint marginal ``pi_{-i}`` is one player's marginal, so a gap
that (wrongly) lets the others play the PRODUCT of their individual marginals passes every
two-player test. Here the joint policies are arbitrary distributions over
``A_1 x A_2 x A_3`` at every ``(h, s)`` and the reference is independent of the package:

* CCE (fixed deviations): player ``i`` plays ``b = d_h(s)`` whatever is recommended, the
  others play the joint marginal ``pi_{-i,h}(a_{-i}|s) = sum_{a_i} pi_h(a_i, a_{-i}|s)``;
* CE (strategy modifications): the recommended ``a_i`` is replaced by ``phi_{h,s}(a_i)``,
  the others keep their recommended ``a_{-i}`` (the deviating joint law is
  ``sum_{a_i : phi(a_i) = b} pi_h(a_i, a_{-i}|s)``);

and the best-response value is the maximum over ALL deterministic Markov deviations of
the robust value of the deviating joint policy, computed by robust backward induction
``V_h(s) = sum_a pi'_h(a|s) [r_{i,h}(s,a) + sigma_{U_i(P0_h(.|s,a))}(V_{h+1})]`` with the
public support functions ``UncertaintySet.worst_value`` (docs/theory.md section 3; Markov
deviations suffice for (s,a)-rectangular sets). A second reference maximises stage by
stage over the same enumerated deviations (backward induction, used where full
enumeration is too large); the two are checked against each other.
"""

import itertools

import numpy as np
import pytest

import robustgames as rg
from robustgames.games._random import random_game
from robustgames.learning import MORNAVI, learn


# -- the independent reference ------------------------------------------------------------


def _game(n_states, n_actions, horizon, seed):
    """Random finite-horizon game with a random start distribution (every state matters)."""
    rng = np.random.default_rng(seed)
    n = len(n_actions)
    P = rng.dirichlet(np.ones(n_states), size=(horizon, n_states) + tuple(n_actions))
    R = rng.random((horizon, n_states) + tuple(n_actions) + (n,))
    mu = rng.dirichlet(np.ones(n_states))
    return rg.MarkovGame(P, R, initial=mu)


def _correlated_policy(game, seed):
    """Independent Dirichlet(1/2) joint distributions per (h, s): far from products."""
    rng = np.random.default_rng(seed)
    lead = (game.horizon, game.n_states)
    pi = rng.dirichlet(0.5 * np.ones(game.n_joint_actions), size=lead)
    return pi.reshape(lead + tuple(game.n_actions))


def _joint_marginal(dist, i):
    """``m[a_{-i}] = sum_{a_i} dist[a]`` by explicit enumeration (dict keyed by a_{-i})."""
    m = {}
    for a in itertools.product(*(range(k) for k in dist.shape)):
        rest = a[:i] + a[i + 1:]
        m[rest] = m.get(rest, 0.0) + dist[a]
    return m


def _product_marginal(dist, i):
    """The WRONG law for n >= 3: the product of the other players' individual marginals."""
    n = dist.ndim
    single = [dist.sum(axis=tuple(k for k in range(n) if k != j)) for j in range(n)]
    m = {}
    for rest in itertools.product(*(range(dist.shape[j]) for j in range(n) if j != i)):
        others = [j for j in range(n) if j != i]
        m[rest] = float(np.prod([single[j][a] for j, a in zip(others, rest)]))
    return m


def _stage_deviations(dist, i, kind, marginal=_joint_marginal):
    """Every deterministic stage deviation of player ``i`` and the joint law it induces."""
    shape = dist.shape
    Ai = shape[i]
    out = []
    if kind == "cce":
        m = marginal(dist, i)
        for b in range(Ai):
            d = np.zeros(shape)
            for rest, w in m.items():
                d[rest[:i] + (b,) + rest[i:]] = w
            out.append(d)
    else:
        for phi in itertools.product(range(Ai), repeat=Ai):
            d = np.zeros(shape)
            for a in itertools.product(*(range(k) for k in shape)):
                d[a[:i] + (phi[a[i]],) + a[i + 1:]] += dist[a]
            out.append(d)
    return out


def _robust_q(game, U, i, h, v_next):
    """``r_{i,h}(s,a) + sigma_{U(P0_h(.|s,a))}(v_next)`` for every (s, a), shape (S, A_1..A_n)."""
    return game.rewards[h, ..., i] + U.worst_value(game.transitions[h], v_next)


def _robust_value(game, U, i, joint):
    """Robust value at the start distribution of player ``i`` under the joint policy ``joint``."""
    v = np.zeros(game.n_states)
    nax = tuple(range(1, game.n_players + 1))
    for h in range(game.horizon - 1, -1, -1):
        v = (joint[h] * _robust_q(game, U, i, h, v)).sum(axis=nax)
    return float(game.initial @ v)


def brute_force_br(game, U, pi, i, kind, marginal=_joint_marginal):
    """Max over ALL deterministic Markov deviations of the robust value of the deviation."""
    H, S = game.horizon, game.n_states
    options = [[_stage_deviations(pi[h, s], i, kind, marginal) for s in range(S)] for h in range(H)]
    cells = [(h, s) for h in range(H) for s in range(S)]
    best = -np.inf
    joint = np.empty_like(pi)
    for choice in itertools.product(*(range(len(options[h][s])) for h, s in cells)):
        for (h, s), c in zip(cells, choice):
            joint[h, s] = options[h][s][c]
        best = max(best, _robust_value(game, U, i, joint))
    return best


def stagewise_br(game, U, pi, i, kind, marginal=_joint_marginal):
    """Robust backward induction, maximising at each (h, s) over the enumerated stage deviations."""
    v = np.zeros(game.n_states)
    for h in range(game.horizon - 1, -1, -1):
        q = _robust_q(game, U, i, h, v)
        v = np.array([max(float((d * q[s]).sum()) for d in _stage_deviations(pi[h, s], i, kind, marginal))
                      for s in range(game.n_states)])
    return float(game.initial @ v)


def _sets(U, n):
    return U if isinstance(U, list) else [U] * n


# -- the tests ----------------------------------------------------------------------------

CASES = [
    # (n_states, n_actions, horizon, sets, seed)
    (3, (2, 2, 2), 2, rg.TV(0.3), 1),
    (2, (2, 2, 2), 3, rg.KL(0.25), 2),
    (2, (2, 3, 2), 2, [rg.TV(0.1), rg.KL(0.4), rg.TV(0.6)], 3),
]


@pytest.mark.parametrize("S,acts,H,U,seed", CASES, ids=["TV-2x2x2", "KL-2x2x2", "agentwise-2x3x2"])
def test_cce_gap_equals_brute_force_over_fixed_deviations(S, acts, H, U, seed):
    game = _game(S, acts, H, seed)
    pi = _correlated_policy(game, seed + 10)
    sets = _sets(U, 3)
    res = rg.gap(game, U, pi, kind="cce")
    assert not res.is_product
    own = np.array([_robust_value(game, sets[i], i, pi) for i in range(3)])
    br = np.array([brute_force_br(game, sets[i], pi, i, "cce") for i in range(3)])
    np.testing.assert_allclose(res.policy_values, own, atol=1e-10, rtol=0)
    np.testing.assert_allclose(res.best_response_values, br, atol=1e-10, rtol=0)
    np.testing.assert_allclose(res.per_player, br - own, atol=1e-10, rtol=0)
    assert res.value == pytest.approx(max(0.0, float((br - own).max())), abs=1e-10)


@pytest.mark.parametrize("S,acts,H,U,seed", CASES[:2], ids=["TV-2x2x2", "KL-2x2x2"])
def test_ce_gap_equals_brute_force_over_strategy_modifications(S, acts, H, U, seed):
    game = _game(S, acts, H, seed)
    pi = _correlated_policy(game, seed + 20)
    sets = _sets(U, 3)
    res = rg.gap(game, U, pi, kind="ce")
    own = np.array([_robust_value(game, sets[i], i, pi) for i in range(3)])
    br = np.array([brute_force_br(game, sets[i], pi, i, "ce") for i in range(3)])
    np.testing.assert_allclose(res.best_response_values, br, atol=1e-10, rtol=0)
    np.testing.assert_allclose(res.per_player, br - own, atol=1e-10, rtol=0)
    assert res.value == pytest.approx(max(0.0, float((br - own).max())), abs=1e-10)
    assert res.per_player.min() >= -1e-12  # the identity modification is a deviation


@pytest.mark.parametrize("kind", ["cce", "ce"])
def test_stagewise_reference_equals_full_enumeration(kind):
    """The cheaper reference (used below for 2x3x2 CE, H = 3) agrees with full enumeration."""
    game = _game(2, (2, 2, 2), 2, 4)
    pi = _correlated_policy(game, 5)
    for i in range(3):
        for U in (rg.TV(0.35), rg.KL(0.3)):
            assert stagewise_br(game, U, pi, i, kind) == pytest.approx(brute_force_br(game, U, pi, i, kind),
                                                                        abs=1e-12)


@pytest.mark.parametrize("kind", ["cce", "ce"])
@pytest.mark.parametrize("U", [rg.TV(0.2), rg.KL(0.15)], ids=repr)
def test_gap_2x3x2_three_steps_equals_stagewise_reference(kind, U):
    game = _game(3, (2, 3, 2), 3, 6)
    pi = _correlated_policy(game, 7)
    res = rg.gap(game, U, pi, kind=kind)
    own = np.array([_robust_value(game, U, i, pi) for i in range(3)])
    br = np.array([stagewise_br(game, U, pi, i, kind) for i in range(3)])
    np.testing.assert_allclose(res.per_player, br - own, atol=1e-10, rtol=0)
    assert res.value == pytest.approx(max(0.0, float((br - own).max())), abs=1e-10)


def test_instances_separate_joint_from_product_marginal():
    """Guard: on these instances the product-of-marginals mistake changes the CCE gap by far
    more than the tolerances above, so the tests above would catch it."""
    for S, acts, H, U, seed in CASES:
        game = _game(S, acts, H, seed)
        pi = _correlated_policy(game, seed + 10)
        sets = _sets(U, 3)
        diff = max(abs(stagewise_br(game, sets[i], pi, i, "cce")
                       - stagewise_br(game, sets[i], pi, i, "cce", marginal=_product_marginal))
                   for i in range(3))
        assert diff > 1e-3


@pytest.mark.parametrize("U", [rg.TV(0.2), rg.KL(0.3)], ids=repr)
def test_learn_compiled_gap_equals_planning_gap_three_players(U):
    """learn(): the compiled gap equals the planning gap on correlated 3-player CCE policies."""
    game = random_game(3, 2, 3, n_players=3, rng=3)
    K = 20  # MORNAVI's stage CCEs become correlated after about ten episodes here
    a = learn(game, MORNAVI(U, equilibrium="cce", c_b=0.02), K, rng=4, keep_policies=True)
    b = learn(game, MORNAVI(U, equilibrium="cce", c_b=0.02), K, rng=4, keep_policies=True, gap_method="planning")
    np.testing.assert_array_equal(a.policies, b.policies)
    np.testing.assert_allclose(a.gap, b.gap, atol=1e-9, rtol=0)
    np.testing.assert_allclose(a.gap_per_player, b.gap_per_player, atol=1e-9, rtol=0)
    # the learner really plays correlated policies, so the others' joint marginal matters
    correlated = [k for k in range(K) if not rg.gap(game, U, a.policies[k], kind="cce").is_product]
    assert correlated, "no correlated policy: the cross-check would not test the joint marginal"
    # and on a correlated episode both equal the independent reference
    k = correlated[-1]
    pi = a.policies[k]
    ref = np.array([stagewise_br(game, U, pi, i, "cce") - _robust_value(game, U, i, pi) for i in range(3)])
    np.testing.assert_allclose(a.gap_per_player[k], ref, atol=1e-9, rtol=0)
    wrong = np.array([stagewise_br(game, U, pi, i, "cce", marginal=_product_marginal) - _robust_value(game, U, i, pi)
                      for i in range(3)])
    assert np.abs(wrong - ref).max() > 1e-6  # the episode separates joint from product marginal
