"""
skrl's IPPO / MAPPO agents on an exported climbing game, judged by the exact robust truth
=========================================================================================

Issue 11's worked example with an existing MARL library: the PPO-based multi-agent
learners of `skrl <https://skrl.readthedocs.io>`_ (2.1; PyTorch) train through skrl's own
PettingZoo wrapper and trainer on a game exported by :func:`robustgames.to_pettingzoo`;
a :class:`robustgames.Tracker` records the exact robust value and gaps of the agents'
stochastic policies every ``every`` steps.

Why skrl: among the well-kept libraries that read a PettingZoo ``ParallelEnv`` (skrl,
tianshou, TorchRL/BenchMARL; only skrl was installed and measured here), skrl installs
in about 6 s on top of the CPU wheel of PyTorch (pure Python; dependencies gymnasium,
tensorboard, tqdm, packaging), wraps a PettingZoo ``ParallelEnv`` directly
(``skrl.envs.wrappers.torch.wrap_env(env, wrapper="pettingzoo")``) and ships IPPO and
MAPPO for discrete actions. Optional extra ``marl``: ``pip install torch==2.13.0 && pip
install -e ".[marl]"`` (the core never imports torch or skrl).

Game and truth (as in ``examples/bridge_independent_q.py``): the climbing intersection
game (:func:`robustgames.intersection_game`, ``payoff="climbing"``, ``H = 8``, ``S = 17``,
two robots with 3 manoeuvres, slip 0.1) under the total-variation set ``TV(0.1)``. The
agents train with nature ``"sampled"`` (default; a new kernel drawn from ``TV(0.1)`` at
every reset, i.e. domain randomisation over the uncertainty set) or ``"nominal"``.
Whatever they train on, the tracker reports the exact robust value ``mu . V^pi_1`` of the
product of their current softmax policies (docs/theory.md section 3), its robust
Nash/CE/CCE gaps, against the exact robust team optimum (robust value iteration over
joint actions). At the end, the environment is exported again with nature ``"worst"``
(the exact worst-case kernel of the final policy) and the empirical mean return of the
agents' sampled actions is compared with that exact robust value (they agree within
sampling error: under that kernel the expected return IS the robust value).

How the library's agents become policies the toolkit can evaluate: each agent's skrl
policy model maps observations to logits (``outputs["net_output"]`` of
``Model.act``); :func:`policy_callables` wraps it as ``observation batch -> softmax
probabilities`` (float64), which :func:`robustgames.policy_from_callable` tabulates on
all ``H * S`` observations of the export.

Tracking without touching the trainer: :class:`TrackedIPPO` / :class:`TrackedMAPPO`
subclass skrl's algorithms and call the tracker at the end of ``post_interaction`` (after
skrl's own PPO update of that step), so skrl's ``SequentialTrainer`` runs unchanged and
the record of step ``t`` is the policy after ``t`` environment steps.

MAPPO: every agent of the export observes the full state and ``state()`` returns the same
encoding, so MAPPO's centralised critic reads the same input as IPPO's; with the same
seed the two produce identical tracker records (checked at 256 and 1,024 steps).

Run size (measured on the 2-core machine shared with other jobs, torch limited to one
thread, after numba compilation): ``python examples/bridge_skrl.py --tiny`` (1 seed x 256
steps, the CI size) takes about 12 s with imports; the documented full run ``python
examples/bridge_skrl.py`` (IPPO, 5 seeds x 30,000 environment steps, tracker every 300
steps, 2,000 stress-test episodes) took 4 min 39 s (30-45 s of training per seed when
not contended) and writes ``tracker_seed<k>.json``,
``summary_seed<k>.json`` and the figure ``bridge_marl.png/.pdf`` with its caption
(:func:`robustgames.paper_figures.bridge_marl.draw`).
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
import torch
from torch import nn

from skrl.envs.wrappers.torch import wrap_env
from skrl.memories.torch import RandomMemory
from skrl.models.torch import CategoricalMixin, DeterministicMixin, Model
from skrl.multi_agents.torch.ippo import IPPO, IPPO_CFG
from skrl.multi_agents.torch.mappo import MAPPO, MAPPO_CFG
from skrl.resources.preprocessors.torch import RunningStandardScaler
from skrl.trainers.torch import SequentialTrainer
from skrl.utils import set_seed

import robustgames as rg
from robustgames._validation import check_choice, check_positive_int
from robustgames.bridge import stress_test
from robustgames.runner import strict_json

RADIUS = 0.1
ALGOS = ("ippo", "mappo")
NATURES = ("sampled", "nominal")
TINY = dict(steps=256, every=64, rollouts=64, episodes=200)
FULL = dict(steps=30_000, every=300, rollouts=256, episodes=2_000)


def make_game():
    """The exported game: climbing intersection, finite horizon 8, slip 0.1."""
    return rg.intersection_game(payoff="climbing", slip=0.1)


def make_uncertainty(radius: float = RADIUS):
    return rg.TV(radius)


# %%
# The agents' networks (skrl models)
# ----------------------------------
# A categorical policy (logits) and a deterministic value per agent; IPPO's critic reads
# the agent's observation, MAPPO's the environment's ``state()`` (here the same full-state
# encoding: every agent of the export sees the state, so the two differ only in how skrl
# organises the critic's input).


class Policy(CategoricalMixin, Model):
    """``observation -> logits`` (one hidden tanh layer)."""

    def __init__(self, observation_space, action_space, *, hidden: int, device=None):
        Model.__init__(self, observation_space=observation_space, action_space=action_space, device=device)
        CategoricalMixin.__init__(self, unnormalized_log_prob=True)
        self.net = nn.Sequential(nn.Linear(self.num_observations, hidden), nn.Tanh(),
                                 nn.Linear(hidden, action_space.n))

    def compute(self, inputs, role=""):
        return self.net(inputs["observations"]), {}


class Value(DeterministicMixin, Model):
    """``observation (IPPO) or state (MAPPO) -> value``."""

    def __init__(self, observation_space, action_space, *, hidden: int, key: str, device=None):
        Model.__init__(self, observation_space=observation_space, action_space=action_space, device=device)
        DeterministicMixin.__init__(self, clip_actions=False)
        self.key = key
        self.net = nn.Sequential(nn.Linear(self.num_observations, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def compute(self, inputs, role=""):
        return self.net(inputs[self.key]), {}


# %%
# Tracking inside skrl's own training loop
# ----------------------------------------


def policy_callables(agent) -> list:
    """The agents' current policies as callables ``observation batch (N, d) -> (N, A_i)``
    probabilities (softmax of the skrl policy's logits, float64), in agent order."""

    def make(uid):
        model = agent.policies[uid]

        def fn(obs):
            x = torch.as_tensor(np.asarray(obs, dtype=np.float32), device=model.device)
            with torch.no_grad():
                _, out = model.act({"observations": x.reshape(-1, x.shape[-1])}, role="policy")
                p = torch.softmax(out["net_output"].double(), dim=-1).cpu().numpy()
            return p if x.ndim > 1 else p[0]
        return fn
    return [make(uid) for uid in agent.possible_agents]


class _Tracked:
    """Mixin: call ``self.tracker(step, policy_callables(self))`` after skrl's
    ``post_interaction`` (which runs the PPO update when a rollout is complete)."""

    tracker = None
    total_steps = 0

    def post_interaction(self, *, timestep: int, timesteps: int) -> None:
        super().post_interaction(timestep=timestep, timesteps=timesteps)
        step = timestep + 1  # environment steps taken so far
        if self.tracker is not None and (step % self.tracker.every == 0 or step == self.total_steps):
            self.tracker.record(step, policy_callables(self))


class TrackedIPPO(_Tracked, IPPO):
    """skrl's IPPO, tracked exactly."""


class TrackedMAPPO(_Tracked, MAPPO):
    """skrl's MAPPO, tracked exactly."""


# %%
# Training
# --------


def train(game, U, *, steps: int, seed: int, every: int, algo: str = "ippo", nature: str = "sampled",
          rollouts: int = 256, hidden: int = 64, tracker_path=None):
    """Train skrl's ``algo`` agents for ``steps`` environment steps on the export of ``game``.

    PPO settings: ``rollouts`` steps per update, 4 epochs of 4 mini-batches, no
    discounting (finite horizon; the export truncates after ``H`` steps and the
    observation carries the step, so GAE treats the end as terminal), ``gae_lambda =
    0.95``, learning rate 3e-3, entropy bonus 0.01, value targets standardised by
    skrl's ``RunningStandardScaler``. ``skrl.utils.set_seed(seed)`` seeds torch, numpy and
    skrl's first ``reset(seed=...)`` of the environment; the run is deterministic on CPU.

    Returns
    -------
    (skrl agent, robustgames.Tracker)
        The tracker has records at step 0, every ``every`` steps and at ``steps``.
    """
    steps = check_positive_int(steps, "steps")
    every = check_positive_int(every, "every")
    rollouts = check_positive_int(rollouts, "rollouts")
    check_choice(algo, "algo", ALGOS)
    check_choice(nature, "nature", NATURES)
    torch.set_num_threads(1)
    set_seed(seed)
    env = wrap_env(rg.to_pettingzoo(game, nature, U if nature == "sampled" else None), wrapper="pettingzoo")
    device = env.device
    key = "observations" if algo == "ippo" else "states"
    models, memories = {}, {}
    for uid in env.possible_agents:
        obs_space, act_space = env.observation_spaces[uid], env.action_spaces[uid]
        in_space = obs_space if algo == "ippo" else env.state_spaces[uid]
        models[uid] = {"policy": Policy(obs_space, act_space, hidden=hidden, device=device),
                       "value": Value(in_space, act_space, hidden=hidden, key=key, device=device)}
        memories[uid] = RandomMemory(memory_size=rollouts, num_envs=env.num_envs, device=device)
    # skrl 2.1.1: MultiAgentCfg.expand rejects a dict-valued option whose keys are a proper
    # subset of the agents -- including the empty default ``{}`` of every ``*_kwargs``
    # field, so even ``IPPO_CFG()`` fails to expand. Giving those fields per agent works.
    per_agent = lambda d: {uid: dict(d) for uid in env.possible_agents}  # noqa: E731
    common = dict(rollouts=rollouts, learning_epochs=4, mini_batches=4, discount_factor=1.0, gae_lambda=0.95,
                  learning_rate=3e-3, entropy_loss_scale=0.01, value_loss_scale=0.5,
                  value_preprocessor=RunningStandardScaler,
                  value_preprocessor_kwargs=per_agent({"size": 1, "device": device}),
                  learning_rate_scheduler_kwargs=per_agent({}), observation_preprocessor_kwargs=per_agent({}),
                  state_preprocessor_kwargs=per_agent({}),
                  experiment={"write_interval": 0, "checkpoint_interval": 0})
    if algo == "ippo":
        agent = TrackedIPPO(possible_agents=env.possible_agents, models=models, memories=memories,
                            observation_spaces=env.observation_spaces, state_spaces=env.state_spaces,
                            action_spaces=env.action_spaces, device=device, cfg=IPPO_CFG(**common))
    else:
        agent = TrackedMAPPO(possible_agents=env.possible_agents, models=models, memories=memories,
                             observation_spaces=env.observation_spaces, state_spaces=env.state_spaces,
                             action_spaces=env.action_spaces, device=device, cfg=MAPPO_CFG(**common))
    tracker = rg.Tracker(game, U, every=every, path=tracker_path)
    tracker.record(0, policy_callables(agent))  # the untrained networks
    agent.tracker, agent.total_steps = tracker, steps
    trainer = SequentialTrainer(env=env, agents=agent, cfg={"timesteps": steps, "headless": True,
                                                            "disable_progressbar": True,
                                                            "close_environment_at_exit": False})
    trainer.train()
    return agent, tracker


# %%
# Stress test in the worst-case nature
# ------------------------------------



# %%
# Putting it together
# -------------------


def main(steps: int = FULL["steps"], seed: int = 0, out="bridge_skrl_out", *, every: int | None = None,
         algo: str = "ippo", nature: str = "sampled", rollouts: int = FULL["rollouts"],
         episodes: int = FULL["episodes"], verbose: bool = True) -> dict:
    """Train one seed, assess the final policy exactly, stress-test it; write
    ``tracker_seed<seed>.json`` and ``summary_seed<seed>.json`` into ``out``.

    Parameters
    ----------
    steps : int
        Environment steps of training.
    seed : int
        ``skrl.utils.set_seed(seed)`` (torch, numpy, the environment's first reset).
    out : str or Path
        Output directory (created).
    every : int, optional
        Tracker period (default ``max(1, steps // 100)``).
    algo : {"ippo", "mappo"}
    nature : {"sampled", "nominal"}
        The kernel the agents train on (the truth is always robust under ``TV(0.1)``).
    rollouts : int
        Environment steps per PPO update.
    episodes : int
        Stress-test episodes in the worst-case nature.

    Returns
    -------
    dict
        ``tracker_path``, ``assess`` (values, best_response_values, gap_nash, gap_cce of
        the final policy), ``reference`` (the exact robust team optimum), ``stress``,
        ``seconds`` (``train_seconds`` excludes the stress test).
    """
    start = time.perf_counter()
    check_choice(algo, "algo", ALGOS)
    check_choice(nature, "nature", NATURES)
    steps = check_positive_int(steps, "steps")
    seed = check_positive_int(seed, "seed", minimum=0)
    episodes = check_positive_int(episodes, "episodes")
    every = max(1, steps // 100) if every is None else check_positive_int(every, "every")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    game, U = make_game(), make_uncertainty()
    tracker_path = out / f"tracker_seed{seed}.json"
    agent, tracker = train(game, U, steps=steps, seed=seed, every=every, algo=algo, nature=nature,
                           rollouts=rollouts, tracker_path=tracker_path)
    train_seconds = time.perf_counter() - start
    fns = policy_callables(agent)
    res = rg.assess(game, U, fns)
    stress = stress_test(game, U, fns, episodes=episodes, seed=seed + 10_000)
    summary = dict(seed=seed, steps=steps, every=every, algo=algo, nature=nature, rollouts=rollouts,
                   library=f"skrl {_skrl_version()}", tracker_path=str(tracker_path),
                   reference=tracker.reference[0], reference_kind=tracker.reference_kind,
                   assess=dict(values=res.values.tolist(), best_response_values=res.best_response_values.tolist(),
                               gap_nash=res.gap_nash, gap_cce=res.gap_cce),
                   stress=stress, train_seconds=train_seconds, seconds=time.perf_counter() - start)
    (out / f"summary_seed{seed}.json").write_text(strict_json(summary, indent=1) + "\n")
    if verbose:
        print(f"seed {seed} ({algo}, nature {nature}): robust value {res.values[0]:.4f} "
              f"(robust optimum {tracker.reference[0]:.4f}), robust Nash gap {res.gap_nash:.4f}; "
              f"worst-case nature: return {stress['empirical_return']:.4f} +- {stress['standard_error']:.4f} "
              f"vs exact {stress['exact_robust_value']:.4f} (z = {stress['z']:+.2f}); "
              f"{train_seconds:.1f} s training, {summary['seconds']:.1f} s in all")
    return summary


def _skrl_version() -> str:
    import skrl

    return skrl.__version__


# %%
# Full run: several seeds and the learning-curve figure
# ------------------------------------------------------

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--tiny", action="store_true",
                        help=f"CI size: 1 seed, {TINY['steps']} steps, {TINY['episodes']} stress episodes")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--every", type=int, default=None)
    parser.add_argument("--episodes", type=int, default=None)
    parser.add_argument("--algo", choices=ALGOS, default="ippo")
    parser.add_argument("--nature", choices=NATURES, default="sampled")
    parser.add_argument("--out", default="bridge_skrl_out")
    args = parser.parse_args()
    size = TINY if args.tiny else FULL
    steps = size["steps"] if args.steps is None else args.steps
    seeds = (1 if args.tiny else 5) if args.seeds is None else args.seeds
    every = size["every"] if args.every is None else args.every
    episodes = size["episodes"] if args.episodes is None else args.episodes
    t0 = time.perf_counter()
    runs = [main(steps, seed, args.out, every=every, algo=args.algo, nature=args.nature,
                 rollouts=min(size["rollouts"], steps), episodes=episodes) for seed in range(seeds)]
    from robustgames.paper_figures.bridge_marl import draw

    what = (f"skrl {args.algo.upper()} agents ({steps} steps per seed, trained with nature "
            f"{args.nature!r}: {'a kernel drawn from the set at every reset' if args.nature == 'sampled' else 'P0'})")
    paths = draw([r["tracker_path"] for r in runs], args.out, what=what)
    print(json.dumps({"figure": [str(p) for p in paths], "seconds": time.perf_counter() - t0}))
