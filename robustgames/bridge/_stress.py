"""Stress test: play a policy against the exact worst-case nature of the ground truth.

The exact robust value of a policy ``pi`` for player ``i`` is its value under the worst
kernel of the uncertainty set for ``pi`` (docs/theory.md section 3). An environment whose
nature plays that kernel (:func:`robustgames.to_pettingzoo` with ``nature="worst"``) must
therefore give episode returns whose mean is that value up to sampling error: in a finite
horizon the sum of rewards, in a discounted game with termination probability
``1 - gamma`` per step (the default ``episode="geometric"``) the undiscounted sum, whose
expectation is the discounted value. :func:`stress_test` measures the mean return and its
z-score against :func:`robustgames.assess`.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_positive_int
from ._assess import assess
from ._pettingzoo import to_pettingzoo


def stress_test(game, U, policy, *, episodes: int, seed: int = 0, actions: str = "sample",
                player: int = 0) -> dict:
    """Mean episode return of ``policy`` against the exact worst case, and its z-score.

    Parameters
    ----------
    game : MarkovGame
    U : UncertaintySet or list of UncertaintySet
        The set whose worst case nature plays (as :func:`robustgames.evaluate`).
    policy : list of callables
        One ``observation -> action probabilities`` callable per player (one-hot
        observations, as :func:`robustgames.policy_from_callable`).
    episodes : int
        Number of episodes (at least 1; the standard error needs 2).
    seed : int
        Seeds the environment's first reset and the action sampler.
    actions : {"sample", "greedy"}
        Draw each action from the callable's probabilities, or take its argmax (lowest
        index on ties); the exact value is that of the same tabulated policy (the
        probabilities, or the one-hot argmax).
    player : int
        Whose worst case nature plays and whose return is measured.

    Returns
    -------
    dict
        ``episodes``, ``empirical_return`` (mean), ``standard_error``,
        ``exact_robust_value`` (:func:`robustgames.assess`) and
        ``z = (empirical - exact) / standard_error``.
    """
    episodes = check_positive_int(episodes, "episodes")
    check_choice(actions, "actions", ("sample", "greedy"))
    fns = list(policy)
    if not 0 <= int(player) < game.n_players:
        raise ValueError(f"player must be in 0..{game.n_players - 1}, got {player!r}")
    if actions == "greedy":
        fns = [_greedy(fn, m) for fn, m in zip(fns, game.n_actions)]
    env = to_pettingzoo(game, "worst", U, policy=fns, player=int(player))
    rng = np.random.default_rng(seed)
    name = env.possible_agents[int(player)]
    returns = np.empty(episodes)
    for e in range(episodes):
        obs, _ = env.reset(seed=seed if e == 0 else None)
        total = 0.0
        while env.agents:
            act = {}
            for agent, fn in zip(env.agents, fns):
                p = np.asarray(fn(obs[agent]), dtype=np.float64)
                act[agent] = int(rng.choice(len(p), p=p))
            obs, rewards, _, _, _ = env.step(act)
            total += rewards[name]
        returns[e] = total
    exact = float(assess(game, U, fns).values[int(player)])
    mean = float(returns.mean())
    se = float(returns.std(ddof=1) / np.sqrt(episodes)) if episodes > 1 else float("nan")
    z = (mean - exact) / se if se > 0 else (0.0 if mean == exact else float("inf"))
    return dict(episodes=episodes, empirical_return=mean, standard_error=se, exact_robust_value=exact, z=z)


def _greedy(fn, n_actions):
    """The argmax of ``fn``'s output as a one-hot distribution (lowest index on ties)."""

    def greedy(obs):
        out = np.zeros(n_actions)
        out[int(np.argmax(fn(obs)))] = 1.0
        return out

    return greedy
