"""The building-control team game (robustgames.games._building; DrIGM arXiv 2602.11437
experiment in spirit): model checks against an independent simulation, climates, exact
robust team values under TV / contamination / the climate Group, and the out-of-distribution
table of the nominal-trained greedy policy."""

from __future__ import annotations

import numpy as np
import pytest

import robustgames as rg
from robustgames.factorization import robust_policy_value, team_robust_q
from robustgames.games._building import (
    BUILDING_CLIMATES,
    BUILDING_OUTDOOR,
    building_climates,
    building_game,
    building_group,
    building_state,
)


def test_rows_rewards_and_shapes():
    for kw in (dict(), dict(n_zones=3, levels=2), dict(n_zones=1, levels=4, n_temps=5), dict(horizon=4)):
        g = building_game(**kw)
        P = g.transitions
        assert np.allclose(P.sum(axis=-1), 1.0, atol=1e-12) and P.min() >= 0
        assert g.rewards.min() >= 0.0 and g.rewards.max() <= 1.0
        assert np.all(g.rewards == g.rewards[..., :1])  # cooperative
    g = building_game()
    assert g.n_states == 9 and g.n_actions == (3, 3) and g.gamma == 0.95
    assert np.allclose(g.initial, 1 / 9)


def test_reward_formula_independent():
    g = building_game(energy_weight=0.25)
    temps = np.array([18.0, 20.0, 22.0])
    for s in range(9):
        k = building_state(s)
        for a1 in range(3):
            for a2 in range(3):
                comfort = np.mean([1 - abs(temps[ki] - 20) / 2 for ki in k])
                energy = (a1 + a2) / 4
                assert abs(g.rewards[s, a1, a2, 0] - (0.75 * comfort + 0.25 * (1 - energy))) <= 1e-12
    # best reward: both at the set point and heating off
    assert g.rewards[4, 0, 0, 0] == 1.0


def _simulate(kw, climate, s, a, n, rng):
    """Independent Monte Carlo of the dynamics as described in the module docstring."""
    temps = kw["setpoint"] + kw["spacing"] * (np.arange(3) - 1.0)
    mean, sd = BUILDING_CLIMATES[climate]
    w = np.exp(-((BUILDING_OUTDOOR - mean) ** 2) / (2 * sd * sd))
    w /= w.sum()
    x = temps[list(building_state(s))]
    counts = np.zeros(9)
    for _ in range(n):
        o = BUILDING_OUTDOOR[rng.choice(len(w), p=w)]
        nxt = []
        for i in range(2):
            y = x[i] + 0.2 * (o - x[i]) + 6.0 * a[i] / 2 + 0.1 * (x[1 - i] - x[i])
            y = min(max(y, temps[0]), temps[-1])
            pos = (y - temps[0]) / kw["spacing"]
            k = min(int(np.floor(pos)), 1)
            nxt.append(k + 1 if rng.random() < pos - k else k)
        counts[nxt[0] * 3 + nxt[1]] += 1
    return counts / n


def test_kernel_matches_simulation():
    rng = np.random.default_rng(0)
    kw = dict(setpoint=20.0, spacing=2.0)
    for climate in ("nominal", "heatwave"):
        g = building_game(climate=climate)
        for s, a in ((0, (2, 0)), (4, (1, 1)), (7, (0, 2))):
            emp = _simulate(kw, climate, s, a, 4000, rng)
            assert np.abs(emp - g.transitions[(s,) + a]).max() <= 0.035


def test_climates_differ_and_physics():
    K = building_climates()
    assert set(K) == set(BUILDING_CLIMATES)
    names = list(K)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            assert np.abs(K[names[i]] - K[names[j]]).max() > 0.05, (names[i], names[j])
    # colder climate: cooler next state (lower expected bin) for the same (s, a)
    bins = np.array([building_state(s) for s in range(9)]).sum(axis=1)
    assert np.all(K["cold"] @ bins <= K["nominal"] @ bins + 1e-12)
    assert np.all(K["nominal"] @ bins <= K["heatwave"] @ bins + 1e-12)
    # heating more never cools
    assert np.all(K["nominal"][:, 2, 2] @ bins >= K["nominal"][:, 0, 0] @ bins - 1e-12)


@pytest.mark.parametrize("U", [rg.TV(0.2), rg.Contamination(0.2), "group"], ids=str)
def test_team_robust_q_solves_it(U):
    g = building_game()
    Uset = building_group() if U == "group" else U
    res = team_robust_q(g, Uset)
    assert res.converged and res.residual <= 1e-8 and res.in_set is True
    V = rg.evaluate(g, Uset, res.policy)[:, 0]
    assert np.allclose(V, res.V, atol=1e-7)
    if U == "group":  # the robust value lies below every climate's optimal value
        for P in building_climates().values():
            Vc = team_robust_q(g.with_transitions(P), rg.TV(0.0)).V
            assert np.all(res.V <= Vc + 1e-8)
    # finite-horizon version too
    gh = building_game(horizon=5)
    Uh = building_group(horizon=5) if U == "group" else U
    rh = team_robust_q(gh, Uh)
    assert rh.residual <= 1e-9 and np.allclose(rg.evaluate(gh, Uh, rh.policy)[..., 0], rh.V, atol=1e-9)


def test_ood_table_of_nominal_policy():
    """Exact value, under every climate's kernel, of the nominal-trained greedy policy
    (rg.evaluate with a zero-radius set) against an independent linear solve and against
    that climate's own optimum."""
    g = building_game()
    nominal = team_robust_q(g, rg.TV(0.0))
    acts = nominal.Q.reshape(9, 9).argmax(axis=1)
    r = g.flat_rewards[..., 0][np.arange(9), acts]
    table = {}
    for name, P in building_climates().items():
        gc = g.with_transitions(P)
        V = rg.evaluate(gc, rg.TV(0.0), nominal.policy)[:, 0]
        Ppi = gc.flat_transitions[np.arange(9), acts]
        ref = np.linalg.solve(np.eye(9) - 0.95 * Ppi, r)
        assert np.allclose(V, ref, atol=1e-7)
        opt = team_robust_q(gc, rg.TV(0.0)).V
        assert np.all(V <= opt + 1e-8)
        table[name] = (g.initial @ V, g.initial @ opt)
    assert abs(table["nominal"][0] - table["nominal"][1]) <= 1e-8
    # out of distribution the nominal policy loses in the cold and heat-wave climates
    assert table["cold"][1] - table["cold"][0] > 1e-3
    assert table["heatwave"][1] - table["heatwave"][0] > 1e-3
    # the Group-robust policy's worst climate value is at least the nominal policy's
    rob = team_robust_q(g, building_group())
    worst_nom = min(v for v, _ in table.values())
    worst_rob = min(g.initial @ robust_policy_value(g.with_transitions(P), rg.TV(0.0),
                                                    rob.Q.reshape(9, 9).argmax(axis=1))
                    for P in building_climates().values())
    assert worst_rob >= worst_nom - 1e-9


def test_bad_arguments():
    with pytest.raises(ValueError, match="climate"):
        building_game(climate="arctic")
    with pytest.raises(ValueError, match="climate"):
        building_game(climate=[0.5, 0.5])
    with pytest.raises(ValueError, match="levels"):
        building_game(levels=1)
    with pytest.raises(TypeError, match="n_zones"):
        building_game(n_zones=2.0)
    with pytest.raises(ValueError, match="not both"):
        building_game(gamma=0.9, horizon=3)
    with pytest.raises(ValueError, match="energy_weight"):
        building_game(energy_weight=1.5)
    with pytest.raises(ValueError, match="start"):
        building_game(start=(0, 5))
    with pytest.raises(ValueError, match="S\\*A"):
        building_game(n_zones=5, levels=5, n_temps=5)
    # a climate vector equal to the named one gives the same game
    mean, sd = BUILDING_CLIMATES["mild"]
    w = np.exp(-((BUILDING_OUTDOOR - mean) ** 2) / (2 * sd * sd))
    assert np.allclose(building_game(climate=w / w.sum()).transitions, building_game(climate="mild").transitions)
