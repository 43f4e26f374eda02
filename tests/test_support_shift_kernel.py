"""The support-shift game, pinned from its documented construction (not from its arrays).

:func:`robustgames.games.support_shift_game` documents: two states, GOOD = 0 (the start)
and HIDDEN = 1, team rewards. At GOOD every joint action pays 1 and stays in GOOD; the
nominal kernel never moves mass from GOOD to HIDDEN. At HIDDEN the joint action with flat
index ``c = variant`` (C order) pays 1 and returns to GOOD; every other joint action pays
0 and stays in HIDDEN. Under TV(sigma) a policy that never plays ``c`` at HIDDEN has
robust value ``(1 - (1 - sigma)^H) / sigma`` at GOOD, the robust optimum is ``H``.

The robust values below come from an independent brute-force evaluation: on two states
the TV ball ``{p : 0.5 ||p - p0||_1 <= sigma}`` is the segment
``p(GOOD) in [max(0, p0(GOOD) - sigma), min(1, p0(GOOD) + sigma)]``, and a linear function
is minimised at one of its two endpoints.
"""

import itertools

import numpy as np
import pytest

import robustgames as rg
from robustgames.games import support_shift_game

GOOD, HIDDEN = 0, 1


def _tv_worst_two_states(p0, v, sigma):
    """min of p . v over the TV ball around the 2-state distribution p0 (endpoints)."""
    lo, hi = max(0.0, p0[GOOD] - sigma), min(1.0, p0[GOOD] + sigma)
    return min(x * v[GOOD] + (1 - x) * v[HIDDEN] for x in (lo, hi))


def _robust_values(game, pi, sigma):
    """Robust values (H+1, 2) of the team under the joint policy pi (H, 2, A_1..A_n)."""
    H = game.horizon
    V = np.zeros((H + 1, 2))
    for h in range(H - 1, -1, -1):
        for s in (GOOD, HIDDEN):
            for a in itertools.product(*(range(k) for k in game.n_actions)):
                w = pi[(h, s) + a]
                if w == 0.0:
                    continue
                q = game.rewards[(h, s) + a + (0,)] + _tv_worst_two_states(
                    game.transitions[(h, s) + a], V[h + 1], sigma)
                V[h, s] += w * q
    return V


def _deterministic(game, choice):
    """Joint policy playing flat joint action choice[h, s]."""
    H = game.horizon
    pi = np.zeros((H, 2, game.n_joint_actions))
    for h in range(H):
        for s in (GOOD, HIDDEN):
            pi[h, s, choice[h][s]] = 1.0
    return pi.reshape(game.policy_shape)


@pytest.mark.parametrize("n_actions", [(2, 1), (2, 2), (3, 2), (2, 1, 2)])
def test_kernel_and_rewards_follow_the_documented_construction(n_actions):
    n_joint = int(np.prod(n_actions))
    H = 3
    games = [support_shift_game(H, variant=c, n_actions=n_actions) for c in range(n_joint)]
    for c, g in enumerate(games):
        assert g.n_states == 2 and g.horizon == H and g.n_actions == tuple(n_actions)
        np.testing.assert_array_equal(g.initial, [1.0, 0.0])  # start in GOOD
        good_a = rg.joint_actions(c, n_actions)  # flat index c in C order
        assert rg.joint_index(good_a, n_actions) == c
        for h in range(H):
            for a in itertools.product(*(range(k) for k in n_actions)):
                # team rewards: every player gets the same
                assert np.all(g.rewards[(h, GOOD) + a] == 1.0)
                np.testing.assert_array_equal(g.transitions[(h, GOOD) + a], [1.0, 0.0])
                if a == good_a:
                    assert np.all(g.rewards[(h, HIDDEN) + a] == 1.0)
                    np.testing.assert_array_equal(g.transitions[(h, HIDDEN) + a], [1.0, 0.0])
                else:
                    assert np.all(g.rewards[(h, HIDDEN) + a] == 0.0)
                    np.testing.assert_array_equal(g.transitions[(h, HIDDEN) + a], [0.0, 1.0])
    # variants agree wherever the nominal game goes (GOOD) and differ at HIDDEN
    for g in games[1:]:
        np.testing.assert_array_equal(g.transitions[:, GOOD], games[0].transitions[:, GOOD])
        np.testing.assert_array_equal(g.rewards[:, GOOD], games[0].rewards[:, GOOD])
        assert not np.array_equal(g.rewards[:, HIDDEN], games[0].rewards[:, HIDDEN])


@pytest.mark.parametrize("variant", [0, 1])
def test_discounted_variant_has_the_same_stationary_construction(variant):
    g = support_shift_game(gamma=0.9, variant=variant)
    f = support_shift_game(4, variant=variant)
    np.testing.assert_array_equal(g.transitions, f.transitions[0])
    np.testing.assert_array_equal(g.rewards, f.rewards[0])


@pytest.mark.parametrize("variant", [0, 1, 2, 5])
def test_hidden_state_is_never_reached_nominally(variant):
    """Under P0, from the start, HIDDEN has probability 0 at every step for ANY policy
    (every joint action at GOOD keeps the chain in GOOD)."""
    g = support_shift_game(4, variant=variant, n_actions=(3, 2))
    rng = np.random.default_rng(variant)
    for _ in range(5):
        pi = rng.dirichlet(np.ones(g.n_joint_actions), size=(g.horizon, 2))
        d = g.initial.copy()
        for h in range(g.horizon):
            d = np.einsum("s,sa,sat->t", d, pi[h], g.flat_transitions[h])
            assert d[HIDDEN] == 0.0
    # ... and the KL ball (no support shift) cannot reach it either: every policy is a
    # robust equilibrium with value H under KL
    pi = rng.dirichlet(np.ones(g.n_joint_actions), size=(g.horizon, 2)).reshape(g.policy_shape)
    res = rg.gap(g, rg.KL(0.5), pi, kind="cce")
    assert res.value == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(res.policy_values, g.horizon, atol=1e-9)


@pytest.mark.parametrize("variant", [0, 1])
@pytest.mark.parametrize("sigma", [0.1, 0.3, 1.0])
@pytest.mark.parametrize("H", [2, 3])
def test_robust_gap_of_every_deterministic_policy(variant, sigma, H):
    """Default two players (2, 1): the gap of each deterministic policy under TV(sigma) from
    the brute-force evaluation equals rg.gap, and equals the documented values
    H - (1 - (1-sigma)^H)/sigma (never plays c at HIDDEN) and 0 (always plays c)."""
    g = support_shift_game(H, variant=variant)
    U = rg.TV(sigma)
    cells = [(h, s) for h in range(H) for s in (GOOD, HIDDEN)]
    values = {}
    for acts in itertools.product(range(2), repeat=len(cells)):
        choice = [[0, 0] for _ in range(H)]
        for (h, s), a in zip(cells, acts):
            choice[h][s] = a
        values[acts] = (choice, _robust_values(g, _deterministic(g, choice), sigma)[0, GOOD])
    optimum = max(v for _, v in values.values())
    assert optimum == pytest.approx(H, abs=1e-12)  # documented robust optimum
    never = (1 - (1 - sigma) ** H) / sigma
    for choice, v in values.values():
        res = rg.gap(g, U, _deterministic(g, choice), kind="nash")
        assert res.value == pytest.approx(optimum - v, abs=1e-10)
        hidden = [choice[h][HIDDEN] for h in range(H)]
        if all(a != variant for a in hidden):
            assert v == pytest.approx(never, abs=1e-12)
            assert res.value == pytest.approx(H - never, abs=1e-10)
            assert res.value > 0  # bounded away from 0 for H >= 2, sigma > 0
        if all(a == variant for a in hidden):
            assert res.value == pytest.approx(0.0, abs=1e-10)


def test_a_policy_right_for_one_variant_is_wrong_for_the_other():
    """The lower-bound mechanism: the two variants share every nominal trajectory, and ONE
    policy (any plan at HIDDEN) has a robust gap bounded away from 0 on at least one of
    them (documented for H >= 2, sigma > 0); brute-force gaps are those of rg.gap."""
    H, sigma = 4, 0.2
    games = [support_shift_game(H, variant=c) for c in (0, 1)]
    worst_case = []
    for hidden in itertools.product(range(2), repeat=H):
        choice = [[0, hidden[h]] for h in range(H)]
        gaps = []
        for g in games:
            pi = _deterministic(g, choice)
            gap = H - _robust_values(g, pi, sigma)[0, GOOD]  # the robust optimum is H
            assert rg.gap(g, rg.TV(sigma), pi, kind="nash").value == pytest.approx(gap, abs=1e-10)
            gaps.append(gap)
        worst_case.append(max(gaps))
    assert min(worst_case) > 0.1


@pytest.mark.parametrize("q", [0.0, 0.25, 0.5, 1.0])
def test_mixed_policies_at_hidden(q):
    """A policy playing the rewarded action with probability q at HIDDEN (every step): the
    brute-force robust value equals rg.evaluate, and the gap equals H minus it."""
    H, sigma, variant = 3, 0.25, 1
    g = support_shift_game(H, variant=variant)
    pi = np.zeros((H, 2, 2))
    pi[:, GOOD, 0] = 1.0
    pi[:, HIDDEN, variant] = q
    pi[:, HIDDEN, 1 - variant] = 1 - q
    pi = pi.reshape(g.policy_shape)
    ref = _robust_values(g, pi, sigma)
    V = rg.evaluate(g, rg.TV(sigma), pi)
    for i in range(g.n_players):
        np.testing.assert_allclose(V[..., i], ref, atol=1e-12)
    assert rg.gap(g, rg.TV(sigma), pi, kind="nash").value == pytest.approx(H - ref[0, GOOD], abs=1e-10)
