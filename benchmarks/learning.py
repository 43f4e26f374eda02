"""Online learning: MORNAVI episodes per second with the EXACT per-episode robust gap.

Cases (ratios measured in the same run):

* ``mornavi_{tv,kl}_cb{c_b}``: ``rg.learn(game, MORNAVI(U, c_b=...), K)`` on a random
  2-player game, S = 10, 3x3 actions, H = 5: episodes per second (wall clock and CPU time
  of this process), ``target_ratio = episodes_per_s / 1000`` (the target is >= 1,000
  episodes/s on one core). ``c_b = 1`` is the default learner (its policy changes
  rarely at this K, so the runner often reuses the previous exact gap); ``c_b = 0.01``
  makes the policy change almost every episode (the gap is recomputed every time): the
  worst case.
* ``mornavi_vs_rlberry_ucbvi``: ``n = 1``, ``sigma = 0`` (``MORNAVI(TV(0.0))``) against
  rlberry's UCBVI (``rlberry_scool.agents.UCBVIAgent``, stage-dependent, an optional
  benchmark dependency: ``pip install rlberry-scool``) on the same MDP (S = 10, A = 3,
  H = 5, same K). ``speed_ratio = rlberry seconds / MORNAVI seconds`` (>= 1: MORNAVI,
  including its exact per-episode gap, is at least as fast). Skipped (``skipped`` field)
  if rlberry cannot be imported.
"""

from __future__ import annotations

import time

import numpy as np

S, N_ACT, H = 10, 3, 5
TARGET = 1000.0


def _game(n_players, seed=0):
    from robustgames.games._random import random_game

    return random_game(S, N_ACT, H, n_players=n_players, rng=seed)


def _time_learn(game, learner, K, seed=1):
    import robustgames.learning as L

    L.learn(game, learner, 5, rng=seed)  # compile / load the cache
    w0, c0 = time.perf_counter(), time.process_time()
    res = L.learn(game, learner, K, rng=seed)
    return time.perf_counter() - w0, time.process_time() - c0, res


def _mornavi_cases(K):
    import robustgames as rg
    from robustgames.learning import MORNAVI

    try:
        KL = rg.KL
    except AttributeError:  # not exported yet
        from robustgames.uncertainty._kl import KL
    game = _game(2)
    out = []
    for label, U in (("tv", rg.TV(0.1)), ("kl", KL(0.1))):
        for c_b in (1.0, 0.01):
            wall, cpu, res = _time_learn(game, MORNAVI(U, c_b=c_b), K)
            eps = K / wall
            out.append({
                "case": f"mornavi_{label}_cb{c_b:g}_S{S}_A{N_ACT}x{N_ACT}_H{H}",
                "seconds": wall / K,
                "episodes": K,
                "episodes_per_s": eps,
                "episodes_per_cpu_s": K / cpu,
                "target": TARGET,
                "target_ratio": eps / TARGET,
                "distinct_gaps": int(len(np.unique(res.gap))),
                "final_avg_gap": float(res.gap[-max(1, K // 10):].mean()),
            })
    return out


def _rlberry_case(K):
    case = {"case": f"mornavi_vs_rlberry_ucbvi_n1_sigma0_S{S}_A{N_ACT}_H{H}", "episodes": K}
    try:
        import logging

        from rlberry.envs.finite_mdp import FiniteMDP
        from rlberry_scool.agents import UCBVIAgent

        logging.getLogger("rlberry_logger").setLevel(logging.ERROR)
    except Exception as exc:  # optional dependency
        case.update(seconds=float("nan"), skipped=f"rlberry unavailable: {type(exc).__name__}: {exc}")
        return [case]
    import robustgames as rg
    from robustgames.learning import MORNAVI

    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(S), size=(S, N_ACT))
    R = rng.random((S, N_ACT))
    game = rg.MarkovGame(np.broadcast_to(P, (H, S, N_ACT, S)).copy(),
                         np.broadcast_to(R[..., None], (H, S, N_ACT, 1)).copy())
    wall, cpu, res = _time_learn(game, MORNAVI(rg.TV(0.0)), K)
    env = FiniteMDP(R, P, initial_state_distribution=0)
    agent = UCBVIAgent(env, horizon=H, gamma=1.0, stage_dependent=True)
    agent.fit(5)
    agent = UCBVIAgent(env, horizon=H, gamma=1.0, stage_dependent=True)
    w0 = time.perf_counter()
    agent.fit(K)
    wall_rl = time.perf_counter() - w0
    case.update(seconds=wall / K, mornavi_seconds=wall, rlberry_seconds=wall_rl,
                mornavi_episodes_per_s=K / wall, rlberry_episodes_per_s=K / wall_rl,
                speed_ratio=wall_rl / wall, target=1.0)
    return [case]


def run(quick: bool = True) -> list[dict]:
    K = 2000 if quick else 20000
    return _mornavi_cases(K) + _rlberry_case(K if not quick else 1000)
