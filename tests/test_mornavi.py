"""MORNAVI: certified bounds (only where docs/theory.md section 8 applies), the
optimism/pessimism inequalities, random tie-breaking, saturation, sublinear regret."""

import numpy as np
import pytest

import robustgames as rg
from robustgames.games._random import random_game
from robustgames.learning import DRNVI, MORNAVI, OptimisticNashVI, UniformPolicy, learn
from robustgames.learning import _kernels as K
from robustgames.proofs_checks.mornavi_certificate import rare_state_game  # the audit's finding 1
from robustgames.uncertainty._kl import KL


def _kl(r):
    return getattr(rg, "KL", KL)(r)


class _MyTV(rg.TV):
    """The TV ball without a row kernel (a set written before the engine's interface,
    implementing only `_values`): exercises the learners' `_values` hook path."""

    def row_kernel(self):
        return None


def check_gaps(res, game, U, kind, every=25):
    """Non-tautological checks of ``learn``'s gaps (``res.gap`` is floored at 0, so
    ``res.gap >= 0`` says nothing): the signed per-player improvements are >= 0 for product
    policies (Nash) and strategy modifications (CE) and for one player; for every kind
    ``gap = max(0, max_i gap_per_player_i)``, and sampled episodes agree with an
    independent :func:`robustgames.gap` (needs ``keep_policies=True``)."""
    if kind in ("ce", "nash") or game.n_players == 1:
        assert np.all(res.gap_per_player >= -1e-9)
    np.testing.assert_array_equal(res.gap, np.maximum(0.0, res.gap_per_player.max(axis=1)))
    for k in range(0, res.episodes, every):
        ref = rg.gap(game, U, res.policies[k], kind=kind)
        np.testing.assert_allclose(res.gap_per_player[k], ref.per_player, atol=1e-9, rtol=0)
        assert res.gap[k] == pytest.approx(ref.value, abs=1e-9)


def check_certificate(res, game):
    """``gap <= bound`` in every episode AND the bound is informative (well below the
    trivial ``H``, which any gap satisfies) in many episodes; per player, the sandwich
    ``optimistic >= best-response value`` and ``pessimistic <= value``."""
    H = game.horizon
    assert res.certified
    assert np.all(res.gap <= res.bound + 1e-8)
    assert np.all(res.optimistic >= res.best_response_value - 1e-8)
    assert np.all(res.pessimistic <= res.value + 1e-8)
    assert np.all(res.bound <= H + 1e-12)
    assert np.sum(res.bound < 0.5 * H) >= 50, res.bound.min()


@pytest.mark.parametrize("n_players,kind", [(1, "cce"), (2, "cce"), (2, "ce"), (2, "nash")])
@pytest.mark.parametrize("seed", [0, 1])
def test_certified_bound_holds_tv(n_players, kind, seed):
    game = random_game(3, 2, 3, n_players=n_players, rng=seed)
    U = rg.TV(0.2)
    res = learn(game, MORNAVI(U, equilibrium=kind), 600, rng=seed + 10, keep_policies=True)
    check_certificate(res, game)
    check_gaps(res, game, U, kind, every=120)


def test_certified_bound_holds_contamination_and_per_player_radii():
    game = random_game(3, 2, 3, n_players=2, rng=3)
    for U in ([rg.TV(0.05), rg.TV(0.4)], rg.Contamination(0.3), [rg.TV(0.0), rg.Contamination(0.5)]):
        res = learn(game, MORNAVI(U), 600, rng=1, keep_policies=True)
        check_certificate(res, game)
        check_gaps(res, game, U, "cce", every=200)


@pytest.mark.parametrize("U", [_kl(0.2), [rg.TV(0.1), _kl(0.3)]], ids=["KL", "TV+KL"])
def test_kl_is_never_certified(U):
    """No proof covers KL (docs/theory.md section 8): ``bound`` is NaN, the learner's
    number stays in ``learner_bound``; the gaps are still exact."""
    game = random_game(3, 2, 3, n_players=2, rng=3)
    res = learn(game, MORNAVI(U), 100, rng=1, keep_policies=True)
    assert not res.certified
    assert np.isnan(res.bound).all()
    assert np.isfinite(res.learner_bound).all()
    check_gaps(res, game, U, "cce", every=50)


@pytest.mark.parametrize("c_b", [0.0, 0.5, 0.999])
def test_bonus_below_the_proof_certifies_nothing(c_b):
    game = random_game(2, 2, 2, n_players=1, rng=0)
    res = learn(game, MORNAVI(rg.TV(0.1), c_b=c_b), 5, rng=0)
    assert not res.certified and np.isnan(res.bound).all()
    assert MORNAVI(rg.TV(0.1), c_b=1.0).certified
    assert MORNAVI(rg.Contamination(0.1)).certified and not MORNAVI(_kl(0.1)).certified


def test_finding1_kl_rare_state_reports_no_bound():
    """Before the fix ``learn`` labelled the KL number certified, and the exact gap
    exceeded it in most episodes (the empirical kernel never sees the rare state, whose
    value the KL worst case tilts to). Now ``bound`` is NaN; the learner's number is still
    violated, which is why it must not be called a bound."""
    game = rare_state_game(1e-5)
    res = learn(game, MORNAVI(_kl(8.0)), 3000, rng=0)
    assert not res.certified and np.isnan(res.bound).all()
    violated = res.gap > res.learner_bound + 1e-9
    assert violated.sum() > 300, violated.sum()  # 940 of 3000 at seed 0


@pytest.mark.parametrize("p_rare", [1e-5, 1e-3, 0.5])
@pytest.mark.parametrize("U", [rg.TV(0.3), rg.TV(0.9), rg.Contamination(0.5), rg.TV(0.0)],
                         ids=["TV0.3", "TV0.9", "cont0.5", "TV0"])
def test_rare_state_game_certified_for_tv_and_contamination(p_rare, U):
    """The same adversarial game under the sets the theorem covers: no violation."""
    game = rare_state_game(p_rare)
    res = learn(game, MORNAVI(U), 2000, rng=1)
    check_certificate(res, game) if res.bound.min() < 1.0 else None
    assert np.all(res.gap <= res.bound + 1e-9)
    assert np.all(res.optimistic >= res.best_response_value - 1e-9)
    assert np.all(res.pessimistic <= res.value + 1e-9)


def test_ties_broken_at_random_not_by_action_labels():
    """Finding of the audit: with all optimistic values tied the learner always played
    joint action 0, so relabelling the actions turned regret 0 into linear regret. H = 1,
    one player, 4 actions, one of which pays 1: every unvisited action is tied at the cap.
    Mean regret over seeds must not depend on where the good action is."""
    def game(good):
        R = np.zeros((1, 1, 4, 1))
        R[0, 0, good] = 1.0
        return rg.MarkovGame(np.ones((1, 1, 4, 1)), R)

    means = []
    for good in (0, 3):
        regrets = [learn(game(good), MORNAVI(rg.TV(0.1)), 8, rng=seed).regret[-1] for seed in range(40)]
        means.append(np.mean(regrets))
        assert np.std(regrets) > 0  # seeds differ
    # a uniformly random order of the 4 actions gives expected regret 1.5 either way
    assert abs(means[0] - 1.5) < 0.5 and abs(means[1] - 1.5) < 0.5, means


@pytest.mark.parametrize("kind,n_players", [("cce", 3), ("ce", 2), ("nash", 2)])
def test_relabelled_stage_solutions_are_equilibria(kind, n_players):
    """Relabelling the actions maps equilibria to equilibria: the stage solutions with
    random relabellings pass the independent certificates of the equilibria layer, on
    payoffs with many ties."""
    from robustgames.equilibria import KIND_CODES

    rng = np.random.default_rng(0)
    acts = (2, 3, 2)[:n_players]
    nA = np.asarray(acts, dtype=np.int64)
    A = int(np.prod(acts))
    for _ in range(30):
        Q = rng.integers(0, 3, size=(A, n_players)).astype(float)
        out = np.empty(A)
        u = rng.random((n_players, max(acts)))
        K.relabelled_stage(Q, nA, KIND_CODES[kind], u, np.empty(A, dtype=np.int64), np.empty((A, n_players)),
                           np.empty(A), out)
        assert out.min() >= -1e-12 and abs(out.sum() - 1.0) < 1e-9
        payoffs = Q.reshape(acts + (n_players,))
        x = out.reshape(acts)
        for i in range(n_players):
            other = tuple(j for j in range(n_players) if j != i)
            xi = np.moveaxis(x, i, 0).reshape(acts[i], -1)  # (A_i, A_-i)
            Qi = np.moveaxis(payoffs[..., i], i, 0).reshape(acts[i], -1)
            value = float((xi * Qi).sum())
            if kind == "ce":  # every recommended action's best swap gains nothing
                gain = sum(max(0.0, (xi[a] @ Qi.T).max() - xi[a] @ Qi[a]) for a in range(acts[i]))
            else:  # fixed deviations against the others' joint marginal
                marg = xi.sum(axis=0)
                gain = (Qi @ marg).max() - value
            assert gain <= 1e-9, (kind, i, gain)
            if kind == "nash":
                prod = np.multiply.outer(*[x.sum(axis=tuple(k for k in range(n_players) if k != j))
                                           for j in range(n_players)])
                np.testing.assert_allclose(prod, x, atol=1e-9)
            del other


def test_saturated_fraction_and_warning():
    game = random_game(3, 2, 3, n_players=2, rng=0)
    with pytest.warns(rg.SaturationWarning, match="cap"):
        res = learn(game, MORNAVI(rg.TV(0.2), c_b=50.0), 30, rng=0)
    assert res.saturated_fraction.shape == (30,)
    assert res.saturated_fraction[0] == 1.0  # nothing visited: every Qbar at its cap
    assert res.saturated_fraction[-1] > 0.5
    res = learn(game, MORNAVI(rg.TV(0.2), c_b=0.1), 300, rng=0)
    assert res.saturated_fraction[-1] < res.saturated_fraction[0]
    assert np.isnan(learn(game, UniformPolicy(), 3, rng=0, U=rg.TV(0.2)).saturated_fraction).all()


@pytest.mark.parametrize("radius", [0.0, 0.3, 0.8])
def test_span_bounds_hold_for_true_robust_values(radius):
    """``L[h]`` bounds the span of the true robust values at step h + 1, for the policy's
    values and every player's best response (independent: rg.evaluate, rg.best_response)."""
    from robustgames.learning._learners import span_bounds

    game = random_game(4, 2, 5, n_players=2, rng=2)
    U = rg.TV(radius)
    L = span_bounds(game.horizon, [U, U])
    rng = np.random.default_rng(0)
    for _ in range(5):
        pol = rng.dirichlet(np.ones(game.n_joint_actions), size=(game.horizon, game.n_states))
        pol = pol.reshape(game.policy_shape)
        V = rg.evaluate(game, U, pol)
        for i in range(2):
            br = rg.best_response(game, U, pol, i, kind="cce").values
            for h in range(game.horizon):
                assert np.ptp(V[h + 1, :, i]) <= L[h, i] + 1e-12
                assert np.ptp(br[h + 1]) <= L[h, i] + 1e-12


@pytest.mark.parametrize("kind", ["cce", "ce", "nash"])
@pytest.mark.parametrize("make_set", [lambda: rg.TV(0.3), lambda: rg.TV(0.7), lambda: rg.Contamination(0.4)])
def test_optimism_and_pessimism_componentwise(kind, make_set):
    """Vlow <= V^pi (robust) and Vbar >= V^BR at every step and state, every episode."""
    U = make_set()
    game = random_game(3, 2, 3, n_players=2, rng=4)
    learner = MORNAVI(U, equilibrium=kind, c_b=1.0)
    episodes = 40
    rng = np.random.default_rng(0)
    state = learner._start(game, episodes, rng)
    H, S, A, n = game.horizon, game.n_states, game.n_joint_actions, game.n_players
    P0 = np.ascontiguousarray(game.flat_transitions.reshape(H, S * A, S))
    R = np.ascontiguousarray(game.flat_rewards.reshape(H, S * A, n))
    st, ac, rw = np.empty(H + 1, dtype=np.int64), np.empty(H, dtype=np.int64), np.empty((H, n))
    for k in range(episodes):
        pi, cert = state.plan()
        policy = pi.reshape(game.policy_shape)
        if k % 4 == 0:
            V = rg.evaluate(game, U, policy)  # (H+1, S, n)
            for i in range(n):
                br = rg.best_response(game, U, policy, i, kind=kind).values  # (H+1, S)
                assert np.all(state.Vlow[:, i, :] <= V[:, :, i] + 1e-9)
                assert np.all(state.Vbar[:, i, :] >= br - 1e-8)
        K.sample_episode(P0, R, game.initial, pi, rng.random(2 * H + 1), st, ac, rw)
        state.observe(st, ac, rw)


def _exact_model_planner(game, learner):
    """The learner's planner with the empirical model set to the true one (``P_hat = P0``,
    every pair visited, rewards revealed); with ``c_b = 0`` its optimistic values are
    robust value iteration with the cap applied."""
    H, S, A, n = game.horizon, game.n_states, game.n_joint_actions, game.n_players
    state = learner._start(game, 1, np.random.default_rng(0))
    P0 = game.flat_transitions.reshape(H, S * A, S)
    state.counts[:] = P0
    state.N[:] = 1.0
    state.Phat[:] = P0
    state.Rhat[:] = game.flat_rewards.reshape(H, S * A, n)
    state.plan()
    return state


@pytest.mark.parametrize("radius", [0.5, 0.8, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("low_state", [False, True])
def test_theory_cap_never_below_true_values_without_fail_state(radius, seed, low_state):
    """The TV cap ``min(H - h, min Vbar_{h+1} + 1/sigma)`` must never cut below the optimal
    robust value. With the exact model and ``c_b = 0``, ``Vbar`` of a robust MDP (n = 1)
    is robust value iteration with the cap, so a valid cap gives EXACTLY the optimal robust
    values of :func:`robustgames.solve` and a cap that is too small (e.g.
    ``min Vbar + 1/(4 sigma)``) gives less. No fail state: rewards near 1 everywhere, or
    (``low_state``) near 1 except a low-reward state, which makes ``1/sigma`` the active
    term of the cap at most steps. H = 6, radius >= 0.5."""
    rng = np.random.default_rng(seed)
    H, S, A = 6, 3, 2
    P = rng.dirichlet(np.ones(S), size=(H, S, A))
    R = 0.9 + 0.1 * rng.random((H, S, A, 1))
    if low_state:
        R[:, 0] = 0.05 + 0.15 * rng.random((H, A, 1))
    game = rg.MarkovGame(P, R)
    U = rg.TV(radius)
    opt = rg.solve(game, U, "cce").values[..., 0]  # (H+1, S)
    if low_state or radius == 1.0:  # the 1/sigma term is below H - h: the test exercises it
        assert sum(opt[h + 1].min() + 1.0 / radius < H - h for h in range(H)) >= 3
    for learner in (MORNAVI(U, c_b=0.0), MORNAVI(_MyTV(radius), c_b=0.0)):
        state = _exact_model_planner(game, learner)
        Vbar = state.Vbar[:, 0, :]
        assert np.all(Vbar[0] >= opt[0] - 1e-9)
        np.testing.assert_allclose(Vbar, opt, atol=1e-9, rtol=0)
        # the certificate of the exact model with no bonus is 0 (Vlow = Vbar)
        np.testing.assert_allclose(state.Vlow[:, 0, :], opt, atol=1e-9, rtol=0)


def test_theory_cap_deterministic_kernel_through_learn():
    """Deterministic kernel: after a visit ``P_hat = P0`` exactly on that pair, so with
    ``c_b = 0`` the bound is a certificate without any bonus; with rewards near 1 and
    TV(0.8) the 1/sigma cap binds. gap <= the learner's number in every episode (it is not
    reported as ``bound``: c_b = 0 is outside the general theorem)."""
    rng = np.random.default_rng(5)
    H, S, A = 5, 3, 2
    P = np.zeros((H, S, A, S))
    np.put_along_axis(P, rng.integers(0, S, size=(H, S, A))[..., None], 1.0, axis=-1)
    game = rg.MarkovGame(P, 0.9 + 0.1 * rng.random((H, S, A, 1)))
    res = learn(game, MORNAVI(rg.TV(0.8), c_b=0.0), 200, rng=0)
    assert np.isnan(res.bound).all()
    assert np.all(res.gap <= res.learner_bound + 1e-9)


def test_regret_sublinear_on_tiny_game():
    game = random_game(2, 2, 2, n_players=1, rng=3)
    res = learn(game, MORNAVI(rg.TV(0.1), c_b=0.1), 600, rng=0)
    first = res.gap[:120].mean()
    last = res.gap[-120:].mean()
    assert first > 0
    assert last < 0.25 * first
    assert res.regret[-1] < 600 * first


def test_regret_sublinear_two_players():
    game = random_game(2, 2, 2, n_players=2, rng=5)
    res = learn(game, MORNAVI(rg.TV(0.1), c_b=0.05), 600, rng=0)
    assert res.gap[-120:].mean() < 0.3 * res.gap[:120].mean()


@pytest.mark.parametrize("radius", [0.6, 0.9])
def test_generic_set_path_matches_compiled_path(radius):
    """A subclass of TV runs through the `_values` hook path and must keep TV's 1/sigma
    cap and bonus scale: with radius >= 0.5 and H = 4 both bind (1/sigma < H)."""
    game = random_game(3, 2, 4, n_players=2, rng=2)
    a = learn(game, MORNAVI(rg.TV(radius), c_b=0.05), 30, rng=1)
    b = learn(game, MORNAVI(_MyTV(radius), c_b=0.05), 30, rng=1, U=_MyTV(radius))
    np.testing.assert_allclose(a.gap, b.gap, atol=1e-9)
    np.testing.assert_allclose(a.learner_bound, b.learner_bound, atol=1e-9)
    np.testing.assert_allclose(a.saturated_fraction, b.saturated_fraction)
    assert np.isfinite(b.learner_bound).all()


def test_other_sets_through_hooks():
    ChiSquare = getattr(rg, "ChiSquare", None)
    if ChiSquare is None:
        try:
            from robustgames.uncertainty._chi_square import ChiSquare
        except ImportError:
            pytest.skip("ChiSquare not available")
    game = random_game(3, 2, 2, n_players=2, rng=2)
    U = ChiSquare(0.3)
    res = learn(game, MORNAVI(U, c_b=0.05), 150, rng=1, keep_policies=True)
    assert not res.certified and np.isnan(res.bound).all()
    check_gaps(res, game, U, "cce", every=50)


def test_bernstein_bonus_runs_and_learns():
    game = random_game(2, 2, 2, n_players=1, rng=3)
    res = learn(game, MORNAVI(rg.TV(0.1), bonus="bernstein", c_b=0.3), 400, rng=0, keep_policies=True)
    check_gaps(res, game, rg.TV(0.1), "cce", every=100)
    assert res.gap[-80:].mean() <= res.gap[:80].mean()
    assert res.learner["bonus"] == "bernstein"


def test_bernstein_bonus_certifies_nothing():
    """The Bernstein stand-in is not uniform over value functions (MORNAVI docstring), so
    ``learn`` reports no certified bound for it; the learner's number stays in
    ``learner_bound``."""
    game = random_game(2, 2, 2, n_players=2, rng=3)
    res = learn(game, MORNAVI(rg.TV(0.1), bonus="bernstein", c_b=0.3), 20, rng=0)
    assert np.isnan(res.bound).all()
    assert np.isfinite(res.learner_bound).all()
    hoeffding = learn(game, MORNAVI(rg.TV(0.1), c_b=1.0), 20, rng=0)
    assert np.isfinite(hoeffding.bound).all()


def _shifted(game, a=5.0, b=-2.0):
    return rg.MarkovGame(game.transitions, a * game.rewards + b)


def test_rewards_outside_unit_interval_rejected():
    """Caps ``H - h`` and the floor at 0 assume rewards in [0, 1] (docs/theory.md section 1):
    on other rewards the 'certified' bound is false, so the certifying learners refuse."""
    g0 = random_game(3, 2, 3, n_players=2, rng=0)
    game = _shifted(g0)
    lo, hi = float(game.rewards.min()), float(game.rewards.max())
    for learner in (MORNAVI(rg.TV(0.1), c_b=1.0), MORNAVI(_kl(0.2), bonus="bernstein")):
        with pytest.raises(ValueError, match=r"game\.rewards") as err:
            learn(game, learner, 5, rng=0)
        assert f"[{lo:.6g}, {hi:.6g}]" in str(err.value)
    with pytest.raises(ValueError, match=r"game\.rewards"):
        learn(game, OptimisticNashVI(), 5, rng=0, U=rg.TV(0.1))
    with pytest.raises(ValueError, match=r"game\.rewards"):
        learn(rg.MarkovGame(g0.transitions, g0.rewards + (1.0 + 1e-6 - g0.rewards.max())),
              MORNAVI(rg.TV(0.1)), 5, rng=0)
    # learners that certify nothing accept any rewards
    for learner in (UniformPolicy(), DRNVI(rg.TV(0.1), samples=3)):
        res = learn(game, learner, 3, rng=0, U=rg.TV(0.1))
        assert np.isnan(res.bound).all()
    # rewards exactly at the ends of [0, 1] are fine
    edge = rg.MarkovGame(g0.transitions, np.round(g0.rewards))
    assert np.isfinite(learn(edge, MORNAVI(rg.TV(0.1)), 3, rng=0).bound).all()


def test_bound_shrinks_with_data():
    game = random_game(2, 2, 2, n_players=1, rng=1)
    res = learn(game, MORNAVI(rg.TV(0.2)), 400, rng=0)
    assert res.bound[-1] < 0.5 * res.bound[0]
