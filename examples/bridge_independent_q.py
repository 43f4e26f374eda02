"""
Independent Q-learners on an exported climbing game, judged by the exact robust truth
=====================================================================================

Issue 11's worked example: train agents through the PettingZoo API on a game exported by
:func:`robustgames.to_pettingzoo`, follow them with a :class:`robustgames.Tracker`, and
hand the result back to :func:`robustgames.assess` and to the worst-case nature.

**This is a plain-numpy learner, not a MARL library**: the baseline that needs no PyTorch.
The agents of a MARL library (skrl's IPPO/MAPPO, optional extra ``marl``) are trained on
the same game in ``examples/bridge_skrl.py``. The learner below is independent tabular
Q-learning (Claus & Boutilier, AAAI 1998), each agent reading only the PettingZoo
observation and its own reward, through ``reset(seed=...)`` / ``step(actions)`` only.
Any library agent plugs into the same three calls: ``to_pettingzoo`` to train,
``Tracker(step, callables)`` during training, ``assess`` at the end.

Game: :func:`robustgames.intersection_game` with the climbing payoff (finite horizon
``H = 8``, ``S = 17``, slip 0.1): two robots meet at an intersection and must pick a
joint manoeuvre scored by the climbing matrix, whose optimum ``(a, a)`` is surrounded by
collisions. Uncertainty set: total variation ``TV(0.1)`` around every row of the
kernel. The agents train on the nominal kernel ``P0`` (nature ``"nominal"``); the truth
they are judged by is robust:

* the tracker records the exact robust value ``mu . V^pi_1`` of the current greedy
  policy and its exact robust Nash gap (docs/theory.md section 3), against the exact
  robust team optimum ``mu . V*_1`` (robust value iteration over joint actions);
* :func:`robustgames.assess` with the learned tables measures ``||Q_i - Q*_i||_inf``
  with ``Q*_i(h, s, a_i) = max_{a_-i} Q*(h, s, a_i, a_-i)`` (the per-agent utilities
  whose greedy actions are team-optimal) and the fraction of decision points ``(h, s)``
  where the greedy joint action is robust-optimal. Independent Q-learning on ``P0``
  estimates neither quantity (it averages over the partner's exploration and ignores the
  adversary), so a large ``q_error`` is the expected, honest outcome; the same numbers
  against the nominal truth (``TV(0)``) are printed next to them;
* stress test: the environment is exported again with nature ``"worst"`` (the exact
  worst-case kernel of the learned greedy policy) and the empirical mean episode return
  of the greedy policy is compared with its exact robust value (they agree within
  sampling error: under that kernel the expected return IS the robust value).

Tables are initialised with tiny random values (``U[0, 1e-6)``): with all-zero tables
``numpy.argmax`` would pick action ``a`` everywhere, which happens to be the optimal
joint manoeuvre of the climbing game and would make the untrained agents look perfect.

Run size. Tests call ``main(steps=300)``. The documented full run
(``python examples/bridge_independent_q.py``: 5 seeds x 40,000 environment steps,
tracker every 200 steps, 2,000 stress-test episodes) takes about 50 s wall (36 s CPU) on the shared 2-core machine
after numba compilation and writes ``tracker_seed<k>.json`` files plus the figure
``bridge_learning.png/.pdf`` and its caption (:func:`robustgames.paper_figures.bridge.draw`).
"""

# %%
# Setup
# -----
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import robustgames as rg
from robustgames.bridge import stress_test
from robustgames.runner import strict_json

RADIUS = 0.1


def make_game():
    """The exported game: climbing intersection, finite horizon 8, slip 0.1."""
    return rg.intersection_game(payoff="climbing", slip=0.1)


def make_uncertainty(radius: float = RADIUS):
    return rg.TV(radius)


# %%
# The learner: independent tabular Q-learning in numpy
# ----------------------------------------------------
# Each agent keeps ``Q_i[h, s, a_i]`` (with ``Q_i[H] = 0``) and updates, after every
# environment step, ``Q_i[h, s, a_i] += alpha (r_i + max_b Q_i[h + 1, s', b] - Q_i[h, s, a_i])``.
# It decodes the one-hot observation ``[e_s, e_h]`` of the PettingZoo export itself.


class IndependentQ:
    """One agent's tabular Q-learner reading one-hot observations ``[e_s, e_h]``.

    Parameters
    ----------
    n_states, horizon, n_actions : int
    alpha : float
        Constant learning rate.
    rng : numpy.random.Generator
        Exploration and tie-free initialisation.
    """

    def __init__(self, n_states: int, horizon: int, n_actions: int, *, alpha: float, rng):
        self.S, self.H, self.A = n_states, horizon, n_actions
        self.alpha = alpha
        self.rng = rng
        self.Q = np.zeros((horizon + 1, n_states, n_actions))
        self.Q[:horizon] = rng.random((horizon, n_states, n_actions)) * 1e-6
        self.visits = np.zeros((horizon, n_states), dtype=np.int64)

    def decode(self, obs):
        """``(h, s)`` of one observation or arrays of them for a batch ``(N, S + H + 1)``."""
        obs = np.asarray(obs)
        return np.argmax(obs[..., self.S:], axis=-1), np.argmax(obs[..., :self.S], axis=-1)

    def act(self, obs, epsilon: float) -> int:
        if self.rng.random() < epsilon:
            return int(self.rng.integers(self.A))
        h, s = self.decode(obs)
        return int(np.argmax(self.Q[h, s]))

    def update(self, obs, action: int, reward: float, next_obs) -> None:
        h, s = self.decode(obs)
        h2, s2 = self.decode(next_obs)
        target = reward + self.Q[h2, s2].max()  # Q[H] = 0: no bootstrap after the last step
        self.visits[h, s] += 1
        self.Q[h, s, action] += self.alpha * (target - self.Q[h, s, action])

    def greedy(self, obs):
        """The greedy policy as a callable ``observation -> action probabilities``
        (``numpy.argmax``: lowest index on ties; accepts a batch of observations)."""
        h, s = self.decode(obs)
        best = np.argmax(self.Q[h, s], axis=-1)
        return np.eye(self.A)[best]

    def table(self) -> np.ndarray:
        """``Q_i`` on the decision points, shape ``(H, S, A_i)``."""
        return self.Q[:self.H].copy()


# %%
# Training through the PettingZoo ParallelEnv API, tracked exactly
# ---------------------------------------------------------------


def train(game, U, *, steps: int, seed: int, every: int, tracker_path=None, alpha: float = 0.1,
          eps_start: float = 1.0, eps_end: float = 0.05):
    """Train independent Q-learners on the nominal export for ``steps`` environment steps.

    Exploration ``epsilon`` decays linearly from ``eps_start`` to ``eps_end`` over the
    first half of the run. The tracker assesses the greedy policies (and tables) every
    ``every`` steps, including step 0 and the last step.

    Returns
    -------
    (list of IndependentQ, robustgames.Tracker)
    """
    env_seed, *agent_seeds = np.random.SeedSequence(seed).spawn(1 + game.n_players)
    env = rg.to_pettingzoo(game, "nominal")
    agents = {name: IndependentQ(game.n_states, game.horizon, m, alpha=alpha,
                                 rng=np.random.default_rng(ss))
              for name, m, ss in zip(env.possible_agents, game.n_actions, agent_seeds)}
    learners = list(agents.values())
    tracker = rg.Tracker(game, U, every=every, path=tracker_path)

    def snapshot(t):
        tracker(t, [a.greedy for a in learners], Q=[a.table() for a in learners])

    obs, _ = env.reset(seed=int(env_seed.generate_state(1)[0]))
    snapshot(0)
    decay = max(1, steps // 2)
    for t in range(1, steps + 1):
        eps = eps_end + (eps_start - eps_end) * max(0.0, 1.0 - (t - 1) / decay)
        actions = {name: agents[name].act(obs[name], eps) for name in env.agents}
        next_obs, rewards, _, _, _ = env.step(actions)
        for name, a in actions.items():
            agents[name].update(obs[name], a, rewards[name], next_obs[name])
        obs = next_obs
        if not env.agents:  # truncated at the horizon
            obs, _ = env.reset()
        if t % every == 0:  # the tracker's own period (it would skip other steps itself)
            snapshot(t)
        elif t == steps:
            tracker.record(t, [a.greedy for a in learners], Q=[a.table() for a in learners])
    return learners, tracker


# %%
# Stress test in the worst-case nature
# ------------------------------------



def visited_report(game, U, learners) -> dict:
    """``q_error`` and ``greedy_agreement`` restricted to the decision points ``(h, s)``
    the learners updated at least once. ``assess`` takes the sup over ALL points; many
    ``(h, s)`` are unreachable from the start state (e.g. both robots across at ``h = 0``),
    the learners never see them and their tables stay at the initial ~0 there, so the
    all-points ``q_error`` is dominated by them. The reference ``Q*`` is computed here
    independently, by :func:`robustgames.team_robust_q`."""
    Qs = rg.team_robust_q(game, U).Q.reshape((game.horizon, game.n_states) + game.n_actions)
    seen = learners[0].visits > 0
    refs = [Qs.max(axis=3), Qs.max(axis=2)]  # Q*_i(h, s, a_i) = max_{a_-i} Q*(h, s, a_1, a_2)
    err = max(float(np.abs(a.table() - r)[seen].max()) for a, r in zip(learners, refs))
    greedy = [np.argmax(a.table(), axis=-1) for a in learners]
    chosen = np.take_along_axis(Qs.reshape(Qs.shape[:2] + (-1,)),
                                np.ravel_multi_index(greedy, game.n_actions)[..., None], axis=-1)[..., 0]
    ok = chosen >= Qs.max(axis=(2, 3)) - 1e-8
    return dict(points=int(seen.sum()), q_error=err, greedy_agreement=float(ok[seen].mean()))


# %%
# Putting it together
# -------------------


def main(steps: int = 40_000, seed: int = 0, out="bridge_example_out", *, every: int | None = None,
         episodes: int = 2_000, verbose: bool = True) -> dict:
    """Train one seed, assess it exactly, stress-test it; write ``tracker_seed<seed>.json``
    and ``summary_seed<seed>.json`` into ``out``.

    Parameters
    ----------
    steps : int
        Environment steps of training.
    seed : int
        Seeds the environment and both agents (``numpy.random.SeedSequence(seed).spawn``).
    out : str or Path
        Output directory (created).
    every : int, optional
        Tracker period (default ``max(1, steps // 200)``; one record costs ~5 ms).
    episodes : int
        Stress-test episodes in the worst-case nature.

    Returns
    -------
    dict
        ``tracker_path``, ``assess`` (robust: values, gap_nash, q_error,
        greedy_agreement, q_target), ``assess_nominal`` (the same against ``TV(0)``),
        ``visited`` (:func:`visited_report`), ``reference`` (the exact robust team
        optimum), ``stress``, ``seconds``.
    """
    start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    game, U = make_game(), make_uncertainty()
    every = max(1, steps // 200) if every is None else every
    tracker_path = out / f"tracker_seed{seed}.json"
    learners, tracker = train(game, U, steps=steps, seed=seed, every=every, tracker_path=tracker_path)
    fns, tables = [a.greedy for a in learners], [a.table() for a in learners]

    def fields(res):
        return dict(values=res.values.tolist(), gap_nash=res.gap_nash, q_error=res.q_error,
                    greedy_agreement=res.greedy_agreement, q_target=res.q_target)

    robust = rg.assess(game, U, fns, Q=tables)
    nominal = rg.assess(game, make_uncertainty(0.0), fns, Q=tables)
    visited = visited_report(game, U, learners)
    stress = stress_test(game, U, [a.greedy for a in learners], episodes=episodes, seed=seed + 10_000,
                         actions="greedy")
    summary = dict(seed=seed, steps=steps, tracker_path=str(tracker_path), reference=tracker.reference[0],
                   reference_kind=tracker.reference_kind, assess=fields(robust),
                   assess_nominal=fields(nominal), visited=visited, stress=stress,
                   seconds=time.perf_counter() - start)
    (out / f"summary_seed{seed}.json").write_text(strict_json(summary, indent=1) + "\n")
    if verbose:
        print(f"seed {seed}: robust value {robust.values[0]:.4f} (robust optimum {tracker.reference[0]:.4f}), "
              f"robust Nash gap {robust.gap_nash:.4f}, q_error {robust.q_error:.3f} "
              f"(nominal truth: {nominal.q_error:.3f}; on visited points {visited['q_error']:.3f}), "
              f"greedy agreement {robust.greedy_agreement:.3f} (visited {visited['greedy_agreement']:.3f}); "
              f"worst-case nature: return {stress['empirical_return']:.4f} +- {stress['standard_error']:.4f} "
              f"vs exact {stress['exact_robust_value']:.4f} (z = {stress['z']:+.2f}); "
              f"{summary['seconds']:.1f} s")
    return summary


# %%
# Full run: several seeds and the learning-curve figure
# ------------------------------------------------------

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--steps", type=int, default=40_000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--episodes", type=int, default=2_000)
    parser.add_argument("--out", default="bridge_example_out")
    args = parser.parse_args()
    t0 = time.perf_counter()
    runs = [main(args.steps, seed, args.out, episodes=args.episodes) for seed in range(args.seeds)]
    from robustgames.paper_figures.bridge import draw

    paths = draw([r["tracker_path"] for r in runs], args.out)
    print(json.dumps({"figure": [str(p) for p in paths], "seconds": time.perf_counter() - t0}))
