"""rg.bridge.stress_test: the worst-case nature's mean return matches the exact robust
value (within sampling error), and misses it under the nominal kernel where the two differ."""

import numpy as np
import pytest

pytest.importorskip("pettingzoo")

import robustgames as rg
from robustgames.bridge import stress_test
from robustgames.bridge._pettingzoo import to_pettingzoo


def _uniform(n):
    return lambda obs: np.full(n, 1.0 / n)


def _first(n):
    def fn(obs):
        out = np.zeros(n)
        out[0] = 1.0
        return out
    return fn


def test_stress_test_matches_exact_value_and_nominal_play_does_not():
    game = rg.intersection_game(payoff="climbing", slip=0.1, length=3)
    U = rg.TV(0.3)
    fns = [_uniform(m) for m in game.n_actions]
    out = stress_test(game, U, fns, episodes=3000, seed=1)
    assert out["episodes"] == 3000
    assert abs(out["z"]) < 4.5
    # the nominal kernel's return (the non-robust value) is well above the robust one, so a
    # stress test that played P0 instead of the worst case would fail the z-check above
    env = to_pettingzoo(game, "nominal")
    rng = np.random.default_rng(2)
    total = []
    for e in range(3000):
        obs, _ = env.reset(seed=5 if e == 0 else None)
        r = 0.0
        while env.agents:
            obs, rew, _, _, _ = env.step({a: int(rng.integers(m)) for a, m in zip(env.agents, game.n_actions)})
            r += rew["player_0"]
        total.append(r)
    se = np.std(total, ddof=1) / np.sqrt(len(total))
    assert (np.mean(total) - out["exact_robust_value"]) / se > 6, "the set must matter on this instance"


def test_greedy_actions_use_the_argmax():
    game = rg.intersection_game(payoff="penalty", slip=0.1, length=3)
    fns = [_first(m) for m in game.n_actions]
    noisy = [lambda obs, m=m: np.r_[0.6, np.full(m - 1, 0.4 / (m - 1))] for m in game.n_actions]
    a = stress_test(game, rg.TV(0.2), fns, episodes=50, seed=0)
    b = stress_test(game, rg.TV(0.2), noisy, episodes=50, seed=0, actions="greedy")
    assert a["exact_robust_value"] == b["exact_robust_value"]
    assert a["empirical_return"] == b["empirical_return"]


@pytest.mark.parametrize("kwargs, name", [(dict(episodes=0), "episodes"), (dict(episodes=5, actions="mode"), "actions"),
                                          (dict(episodes=5, player=7), "player")])
def test_bad_arguments_name_themselves(kwargs, name):
    game = rg.intersection_game(payoff="penalty", slip=0.1, length=3)
    with pytest.raises(ValueError, match=name):
        stress_test(game, rg.TV(0.1), [_uniform(m) for m in game.n_actions], **kwargs)
