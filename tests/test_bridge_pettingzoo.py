"""PettingZoo export (issue 11, part 2).

PettingZoo's own API and seed tests for every catalog game and every nature; sampled
transitions and rewards against the game's tables (pooled chi-square, significance
1e-3 at a fixed seed, with a power check that the same test rejects the wrong table);
kernels drawn from a set lie in the set; the worst-case nature reproduces the exact
robust value within a CLT bound.
"""

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("pettingzoo")
pytest.importorskip("gymnasium")
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test  # noqa: E402
from scipy import stats  # noqa: E402

import robustgames as rg  # noqa: E402
from robustgames.bridge import _pettingzoo  # noqa: E402
from robustgames.bridge._pettingzoo import sample_kernel, to_pettingzoo  # noqa: E402
from robustgames.uncertainty import Group  # noqa: E402

CATALOG = dict(rg.game_catalog())
CATALOG["intersection_discounted"] = lambda: rg.intersection_game(payoff="penalty", gamma=0.9)
CATALOG["random_discounted"] = lambda: rg.random_game(4, (2, 3), gamma=0.7, rng=0)
NATURES = ["nominal", "kernel", "sampled", "worst"]


def _uniform(game):
    return np.full(game.policy_shape, 1.0 / game.n_joint_actions)


def _kernel(game):
    """A user kernel: half nominal, half uniform over next states."""
    P = game.transitions
    return 0.5 * P + 0.5 / game.n_states


def _make(game, nature, **kw):
    if nature == "kernel":
        return to_pettingzoo(game, _kernel(game), **kw)
    if nature == "sampled":
        return to_pettingzoo(game, "sampled", rg.KL(0.3), **kw)
    if nature == "worst":
        return to_pettingzoo(game, "worst", rg.TV(0.2), _uniform(game), player=0, **kw)
    return to_pettingzoo(game, "nominal", **kw)


@pytest.mark.parametrize("nature", NATURES)
@pytest.mark.parametrize("name", list(CATALOG))
def test_pettingzoo_api_and_seed(name, nature):
    game = CATALOG[name]()
    parallel_api_test(_make(game, nature), num_cycles=300)
    parallel_seed_test(lambda: _make(game, nature, observation="index"), num_cycles=300)


@pytest.mark.parametrize("name", ["intersection_climbing", "random", "intersection_discounted"])
def test_aec_api_and_seed(name):
    game = CATALOG[name]()
    api_test(_make(game, "sampled", api="aec"), num_cycles=200)
    seed_test(lambda: _make(game, "worst", api="aec"), num_cycles=200)


# -- transition and reward tables -----------------------------------------------------------
def _collect(env, game, steps, seed):
    """Counts ``(H|1, S, A, S)`` of sampled transitions under uniform random actions;
    rewards and observation membership are checked exactly on the way."""
    rng = np.random.default_rng(seed)
    lead = 1 if game.discounted else game.horizon
    counts = np.zeros((lead, game.n_states, game.n_joint_actions, game.n_states), dtype=np.int64)
    R = game.flat_rewards if not game.discounted else game.flat_rewards[None]
    obs, _ = env.reset(seed=seed)
    done = 0
    while done < steps:
        if not env.agents:
            obs, _ = env.reset()
        o = obs["player_0"]
        for a in env.agents:
            assert env.observation_space(a).contains(obs[a])
        h, s = (0, int(o)) if game.discounted else (int(o[0]), int(o[1]))
        acts = [int(rng.integers(m)) for m in game.n_actions]
        j = int(np.ravel_multi_index(acts, game.n_actions))
        obs, rew, _, _, _ = env.step(dict(zip(list(env.agents), acts)))
        for i, a in enumerate(env.possible_agents):
            assert rew[a] == R[h, s, j, i]
        o2 = obs["player_0"]
        counts[h, s, j, int(o2) if game.discounted else int(o2[1])] += 1
        done += 1
    return counts


def _chi2_pvalue(counts, kernel):
    """Pooled Pearson chi-square over rows whose expected counts are all >= 5; any
    transition to a next state of probability 0 fails outright."""
    K = kernel.reshape(counts.shape)
    assert not np.any((counts > 0) & (K <= 0)), "a transition outside the kernel's support"
    n = counts.sum(axis=-1, keepdims=True)
    stat, dof = 0.0, 0
    for idx in np.ndindex(counts.shape[:-1]):
        support = K[idx] > 0
        expected = n[idx] * K[idx][support]
        if n[idx][0] == 0 or expected.min() < 5 or support.sum() < 2:
            continue
        stat += float((((counts[idx][support] - expected) ** 2) / expected).sum())
        dof += int(support.sum()) - 1
    assert dof > 0
    return stats.chi2.sf(stat, dof), dof


def _worst_kernel(game, U, pi):
    """Independent construction: rg.evaluate, then U.worst_distribution per step."""
    V = rg.evaluate(game, U, pi)
    P = game.transitions
    if game.discounted:
        return U.worst_distribution(P, V[:, 0])
    return np.stack([U.worst_distribution(P[h], V[h + 1, :, 0]) for h in range(game.horizon)])


@pytest.mark.parametrize("name", ["random", "intersection_climbing", "intersection_discounted",
                                  "random_discounted"])
def test_transitions_and_rewards_match_tables(name):
    game = CATALOG[name]()
    U = rg.TV(0.2)
    pi = _uniform(game)
    cases = [("nominal", to_pettingzoo(game, observation="index"), game.transitions),
             ("kernel", to_pettingzoo(game, _kernel(game), observation="index"), _kernel(game)),
             ("worst", to_pettingzoo(game, "worst", U, pi, player=0, observation="index"),
              _worst_kernel(game, U, pi))]
    for label, env, kernel in cases:
        counts = _collect(env, game, 30_000, seed=1)
        p, dof = _chi2_pvalue(counts, kernel)
        assert p > 1e-3, (label, p, dof)
    # power: the worst-case environment's samples reject the nominal table
    counts = _collect(cases[2][1], game, 30_000, seed=2)
    if not np.allclose(cases[2][2], game.transitions):
        with pytest.raises(AssertionError):
            p, _ = _chi2_pvalue(counts, game.transitions)
            assert p > 1e-3


# -- sampled nature ----------------------------------------------------------------------
@pytest.mark.parametrize("U", [rg.TV(0.3), rg.KL(0.5), rg.ChiSquare(0.5), rg.Contamination(0.3),
                               Group([[0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7], [0.25, 0.25, 0.25, 0.25]])])
@pytest.mark.parametrize("discounted", [False, True])
def test_sampled_kernels_lie_in_the_set(U, discounted):
    game = rg.random_game(4, 2, gamma=0.8, rng=3) if discounted else rg.random_game(4, 2, 2, rng=3)
    P0 = game.flat_transitions
    K1 = sample_kernel(game, U, 7)
    K2 = sample_kernel(game, U, 7)
    K3 = sample_kernel(game, U, 8)
    np.testing.assert_array_equal(K1, K2)
    assert not np.allclose(K1, K3) and not np.allclose(K1, P0)
    np.testing.assert_allclose(K1.sum(axis=-1), 1.0, atol=1e-12)
    assert (K1 >= 0).all()
    assert U.contains(P0.reshape(-1, 4), K1.reshape(-1, 4), tol=1e-9).all()
    env1, env2 = (to_pettingzoo(game, "sampled", U) for _ in range(2))
    env1.reset(seed=5)
    env2.reset(seed=5)
    np.testing.assert_array_equal(env1.kernel, env2.kernel)
    first = env1.kernel.copy()
    env1.reset()
    assert not np.allclose(env1.kernel, first)  # a new kernel every episode


def test_sampled_kernel_outside_the_set_is_detected():
    # the membership check itself can fail: a kernel pushed beyond the TV radius
    game = rg.random_game(4, 2, 2, rng=3)
    U = rg.TV(0.05)
    K = sample_kernel(game, rg.TV(0.6), 7)
    assert not U.contains(game.flat_transitions.reshape(-1, 4), K.reshape(-1, 4)).all()


# -- worst case reproduces the robust value ---------------------------------------------------
def _mean_return(env, game, pi, episodes, seed):
    """Episode returns (undiscounted sums) of player 0 when every agent samples from pi."""
    rng = np.random.default_rng(seed)
    flat = pi.reshape(pi.shape[: pi.ndim - game.n_players] + (-1,))
    out = np.empty(episodes)
    env.reset(seed=seed)
    for k in range(episodes):
        obs, _ = env.reset()
        total = 0.0
        while env.agents:
            o = obs["player_0"]
            row = flat[int(o)] if game.discounted else flat[int(o[0]), int(o[1])]
            j = rng.choice(row.size, p=row)
            acts = np.unravel_index(j, game.n_actions)
            obs, rew, _, _, _ = env.step({a: int(x) for a, x in zip(env.agents, acts)})
            total += rew["player_0"]
        out[k] = total
    return out.mean(), out.std(ddof=1) / np.sqrt(episodes)


@pytest.mark.parametrize("make", [lambda: rg.intersection_game(payoff="climbing"),
                                  lambda: rg.intersection_game(payoff="climbing", gamma=0.8)])
def test_worst_nature_matches_robust_value(make):
    game = make()
    U = rg.TV(0.2)
    rng = np.random.default_rng(0)
    lead = game.policy_shape[:-2]
    pi = rg.product_policy([rng.dirichlet(np.ones(3), size=lead) for _ in range(2)])
    V = rg.evaluate(game, U, pi)
    robust = float(game.initial @ (V if game.discounted else V[0])[:, 0])
    Vn = rg.evaluate(game, rg.TV(0.0), pi)
    nominal = float(game.initial @ (Vn if game.discounted else Vn[0])[:, 0])
    env = to_pettingzoo(game, "worst", U, pi, observation="index")
    mean, se = _mean_return(env, game, pi, 3000, seed=1)
    assert abs(mean - robust) <= 4.0 * se, (mean, robust, se)  # |z| <= 4: two-sided 6e-5
    assert nominal - robust > 10 * se  # the test has power: nominal is far away
    mean_n, se_n = _mean_return(to_pettingzoo(game, observation="index"), game, pi, 3000, seed=2)
    assert abs(mean_n - nominal) <= 4.0 * se_n


def test_discounted_episode_lengths():
    game = rg.random_game(3, 2, gamma=0.9, rng=0)
    env = to_pettingzoo(game)
    lengths = []
    env.reset(seed=0)
    for _ in range(3000):
        env.reset()
        k = 0
        while env.agents:
            _, _, term, trunc, _ = env.step({a: 0 for a in env.agents})
            k += 1
        assert all(term.values()) and not any(trunc.values())
        lengths.append(k)
    lengths = np.array(lengths)
    # geometric with success 1 - gamma: mean 1/(1-gamma) = 10, sd sqrt(gamma)/(1-gamma)
    assert abs(lengths.mean() - 10.0) <= 4 * np.sqrt(0.9) / 0.1 / np.sqrt(3000)
    env = to_pettingzoo(game, episode="truncate")
    assert env.max_steps == int(np.ceil(np.log(1e-3) / np.log(0.9)))
    env.reset(seed=0)
    k = 0
    while env.agents:
        _, _, term, trunc, _ = env.step({a: 0 for a in env.agents})
        k += 1
    assert k == env.max_steps and all(trunc.values()) and not any(term.values())


def test_state_and_observations():
    game = rg.random_game(3, 2, 2, rng=0)
    env = to_pettingzoo(game)
    obs, _ = env.reset(seed=0)
    assert env.state_space.contains(env.state())
    np.testing.assert_array_equal(env.state(), obs["player_0"])
    assert obs["player_0"].shape == (3 + 3,) and obs["player_0"][3] == 1.0  # step 0 one-hot
    env = to_pettingzoo(game, observation="index")
    obs, _ = env.reset(seed=0)
    assert obs["player_1"].tolist() == [0, 0]


def test_bad_arguments():
    game = rg.random_game(3, 2, 2, rng=0)
    with pytest.raises(ValueError, match="unknown nature"):
        to_pettingzoo(game, "adversarial")
    with pytest.raises(ValueError, match="needs an uncertainty set U"):
        to_pettingzoo(game, "sampled")
    with pytest.raises(ValueError, match="needs the joint policy"):
        to_pettingzoo(game, "worst", rg.TV(0.1))
    with pytest.raises(ValueError, match="general-sum game needs player="):
        to_pettingzoo(game, "worst", rg.TV(0.1), _uniform(game))
    with pytest.raises(ValueError, match=r"nature \(a fixed kernel\)"):
        to_pettingzoo(game, np.ones((2, 3, 2, 2, 2)))
    with pytest.raises(ValueError, match=r"nature \(a fixed kernel\).*rows must sum"):
        to_pettingzoo(game, np.ones(game.transitions.shape))
    with pytest.raises(ValueError, match="unknown observation"):
        to_pettingzoo(game, observation="image")
    env = to_pettingzoo(game)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="out of range"):
        env.step({"player_0": 5, "player_1": 0})
    while env.agents:
        env.step({a: 0 for a in env.agents})
    with pytest.raises(RuntimeError, match="reset"):
        env.step({"player_0": 0, "player_1": 0})


def test_missing_extra_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "pettingzoo", None)
    monkeypatch.setattr(_pettingzoo, "_ENV_CLASS", None)
    with pytest.raises(ImportError, match=r"robustgames\[pettingzoo\]"):
        to_pettingzoo(rg.random_game(3, 2, 2, rng=0))


def test_core_does_not_import_pettingzoo():
    code = ("import sys, robustgames, robustgames.bridge; "
            "assert 'pettingzoo' not in sys.modules and 'gymnasium' not in sys.modules, 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
