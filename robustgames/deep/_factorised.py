"""Robust VDN and QMIX agents (PyTorch) trained on the DrIGM targets, measured exactly.

Seed: DrIGM (arXiv 2602.11437) and its code robust-coMARL (read for facts only);
docs/theory.md sections 6.2 (the targets), 6.3 (their exact fixed points) and 10.1 (these
agents). The agents are deep counterparts of the tabular learners of
:func:`robustgames.factorization.train_factored` and train on exactly the targets of
:mod:`robustgames.deep._losses`.

Environment: ``rg.to_pettingzoo(game, "nominal", episode="truncate")`` (samples of the
NOMINAL kernel ``P0``; one-hot observations; truncation is not a terminal: the learner
bootstraps through it; a state of ``terminal`` is a pinned terminal, ``V = 0``).

Finite horizon ``H`` (e.g. the chute-mapping game): the networks read the export's one-hot
observation of ``(h, s)`` (state and step one-hots, ``S + H + 1``), the discount of the
targets is ``c = 1``, the value after the last step is ``V_H = 0`` (``done`` at
``h + 1 = H``), and the ``rho min V`` of the exact targets is the minimum over the batch
rows with the SAME next step ``h + 1`` (:func:`robustgames.deep._losses.batch_min_per_step`;
the exact operator takes ``min_s V_{h+1}(s)``, docs/theory.md section 10.1). The greedy
policy is then one joint action per ``(h, s)``, evaluated exactly by backward induction.

Networks (all agents observe the state, decentralised execution):

* agent ``i``: ``q_i(o) = W2 relu(W1 o + b1) + b2`` (``A_i`` outputs);
* VDN: ``Q(s, a) = sum_i q_i(o, a_i)``;
* QMIX: ``Q(s, a) = w2(s) . elu(W1(s) q(a) + b1(s)) + b2(s)`` with hypernetworks
  ``W1(s) = |H1 s|`` (``n x embed``), ``w2(s) = |H2 s|``, ``b1(s) = B1 s``,
  ``b2(s) = V2 relu(V1 s)``: non-negative weights (abs), so ``Q`` is non-decreasing in
  every ``q_i`` and the per-agent greedy actions maximise it (monotone IGM).

Targets, from a target network copied every ``target_update`` steps: ``v_next = V(s')``
is the target mixer at the per-agent maxima ``max_a q_i^-(o', a)`` (VDN: their sum), as
in the published code; then ``y`` is one of :data:`robustgames.deep._losses.LOSS_TARGETS`
(the ``rho min V`` of the exact targets is the BATCH minimum of ``v_next``). The TV
targets use a second network ``f(s, a)`` (state one-hot and per-agent action one-hots):
``"g_network"`` trains it on the published squared loss, ``"tv_exact"``/``"tv_dual"`` by
maximising the dual objective; one ``f`` step (Adam) precedes every ``Q`` step (the code
does 4 + 4 every 8 environment steps: the same rate). Loss: squared TD error, Adam.

Exploration: every agent acts uniformly at random with probability ``epsilon(t)``,
linear from ``1`` to ``epsilon_end`` over the first half of training, else greedily.

Measurement: every ``track_every`` steps the greedy decentralised policy (each agent's
argmax, lowest index on ties) is evaluated EXACTLY
(:func:`robustgames.factorization.robust_policy_value` under the target's true set:
contamination or TV of radius ``rho``, or the group set; terminal states pinned at 0), and
a :class:`robustgames.bridge.Tracker` records :func:`robustgames.assess` of it (robust
values and gaps; games without pinned terminals). The final joint table ``Q (S, A_1..A_n)``
(the mixer at every joint action) and the agents' tables go through
:func:`robustgames.factorization.igm_report`.
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import torch
from torch import nn

from .._result import Result
from .._validation import check_choice, check_positive_int, check_real
from ..bridge import Tracker, to_pettingzoo
from ..bridge._observations import encode, observation_size
from ..factorization import igm_report, robust_policy_value, target_fixed_point, team_robust_q, terminal_mask
from ..factorization._targets import group_tables
from ..games import MarkovGame
from ..uncertainty import TV, Contamination, Group
from . import _losses as L

__all__ = ["train_factorised", "MIXERS", "VDNMixer", "QMixer"]

MIXERS = ("vdn", "qmix")


class _AgentNets(nn.Module):
    def __init__(self, obs_size, n_actions, hidden):
        super().__init__()
        self.nets = nn.ModuleList(nn.Sequential(nn.Linear(obs_size, hidden), nn.ReLU(), nn.Linear(hidden, a))
                                  for a in n_actions)

    def forward(self, obs):
        return [net(obs) for net in self.nets]


class VDNMixer(nn.Module):
    """``Q = sum_i q_i`` (``qs`` ``(B, n)``; ``state`` unused)."""

    def forward(self, qs, state):
        return qs.sum(dim=-1)


class QMixer(nn.Module):
    """QMIX mixer with hypernetworks and non-negative weights (module docstring)."""

    def __init__(self, n_agents, state_size, embed=8):
        super().__init__()
        self.n, self.embed = n_agents, embed
        self.h1 = nn.Linear(state_size, n_agents * embed)
        self.hb1 = nn.Linear(state_size, embed)
        self.h2 = nn.Linear(state_size, embed)
        self.hb2 = nn.Sequential(nn.Linear(state_size, embed), nn.ReLU(), nn.Linear(embed, 1))

    def forward(self, qs, state):
        B = qs.shape[0]
        w1 = torch.abs(self.h1(state)).view(B, self.n, self.embed)
        hid = torch.nn.functional.elu(torch.bmm(qs.unsqueeze(1), w1).squeeze(1) + self.hb1(state))
        w2 = torch.abs(self.h2(state))
        return (hid * w2).sum(dim=-1) + self.hb2(state).squeeze(-1)


class _AuxNet(nn.Module):
    """``f(s, a)``: the G-network or the TV-dual eta-network."""

    def __init__(self, state_size, n_actions, hidden):
        super().__init__()
        self.n_actions = tuple(n_actions)
        self.net = nn.Sequential(nn.Linear(state_size + sum(n_actions), hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, state, actions):
        hot = [torch.nn.functional.one_hot(actions[:, i], m).float() for i, m in enumerate(self.n_actions)]
        return self.net(torch.cat([state] + hot, dim=-1)).squeeze(-1)


def _default_set(target, rho, group_kernels):
    if target.startswith("contamination") or target == "nonrobust":
        return Contamination(rho)
    if target == "groupdr":
        return Group(group_kernels)
    return TV(rho)


def train_factorised(game: MarkovGame, target: str, rho: float, mixer: str = "vdn", *, steps: int = 3000,
                     seed: int = 0, terminal=None, group=None, batch_size: int = 32, lr: float = 3e-3,
                     aux_lr: float = 1e-3, hidden: int = 32, embed: int = 8, buffer_size: int = 5000,
                     target_update: int = 100, epsilon_end: float = 0.05, track_every: int = 250,
                     max_steps: int | None = None, tracker: bool = True, igm: bool = True) -> Result:
    """Train a robust VDN/QMIX agent on ``game`` and measure it exactly (module docstring).

    Parameters
    ----------
    game : MarkovGame
        Cooperative (identical rewards), discounted or finite horizon (module docstring).
    target : str
        One of :data:`robustgames.deep._losses.LOSS_TARGETS`.
    rho : float
        Radius in ``[0, 1)`` (``(0, 1)`` for ``"g_network"``, ``"tv_exact"``, ``"tv_dual"``).
    mixer : {"vdn", "qmix"}
    steps : int
        Environment steps (one gradient step per environment step after ``batch_size``).
    seed : int
        Seeds torch, the exploration and the environment (runs are reproducible).
    terminal : mask or indices, optional
        Pinned terminal states (``V = 0``), as in
        :func:`robustgames.factorization.target_fixed_point`.
    group : (rewards (m, S, A_1..A_n), kernels (m, S, A_1..A_n, S)), optional
        Required by ``"groupdr"``: the group rewards of the target and the group set of the
        exact evaluation.
    batch_size, lr, aux_lr, hidden, embed, buffer_size, target_update, epsilon_end
        Training hyper-parameters (Adam learning rates; replay buffer; hard target copy).
    track_every : int
        Exact evaluation period (steps; also at step 0 and at the end).
    max_steps : int, optional
        Episode truncation (default: the export's ``ceil(log(1e-3)/log(gamma))``).
    tracker : bool
        Also record :func:`robustgames.assess` with a :class:`robustgames.bridge.Tracker`
        (skipped with pinned terminals, which the tracker does not model).
    igm : bool
        Attach the :func:`robustgames.factorization.igm_report` of the final joint ``Q``.

    Returns
    -------
    Result
        ``Q`` (``game.policy_shape``), ``utilities`` (list of ``(S, A_i)``), ``actions`` (flat
        greedy joint action per state), ``robust_value`` and ``optimum`` (exact, at
        ``game.initial``), ``ratio`` (``robust_value / optimum``), ``history`` (dict of
        lists ``step``, ``robust_value``, ``td_loss``), ``tracker`` (or ``None``), ``igm``,
        ``seconds`` (training wall time without the exact evaluations).
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    check_choice(target, "target", L.LOSS_TARGETS)
    finite = not game.discounted
    if finite and target == "groupdr":
        raise ValueError("target 'groupdr' needs a discounted game (the group tables are stationary)")
    check_choice(mixer, "mixer", MIXERS)
    rho = check_real(rho, "rho", low=0.0, high=1.0, high_open=True)
    if target in ("g_network", "tv_exact", "tv_dual") and rho == 0.0:
        raise ValueError(f"target {target!r} needs rho > 0")
    steps = check_positive_int(steps, "steps")
    track_every = check_positive_int(track_every, "track_every")
    batch_size = check_positive_int(batch_size, "batch_size")
    term = terminal_mask(game, terminal)
    S, acts, n = game.n_states, tuple(game.n_actions), game.n_players
    gamma = 1.0 if finite else game.gamma
    H = game.horizon if finite else 1
    grp = None
    if target == "groupdr":
        if group is None:
            raise ValueError("target 'groupdr' needs group=(rewards, kernels)")
        grp = group_tables(game, group)
    U = _default_set(target, rho, None if grp is None else np.asarray(group[1], dtype=np.float64))

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    env = to_pettingzoo(game, "nominal", observation="one_hot", episode="truncate", max_steps=max_steps)
    agents_ = env.possible_agents
    D = observation_size(game, "one_hot")
    # network inputs: the export's one-hot observation of (h, s), X[h, s] (discounted: h = 0)
    X = torch.as_tensor(np.stack([[encode(game, "one_hot", h, s_) for s_ in range(S)] for h in range(H + 1)]),
                        dtype=torch.float32)
    net = _AgentNets(D, acts, hidden)
    mix = VDNMixer() if mixer == "vdn" else QMixer(n, D, embed)
    tnet = _AgentNets(D, acts, hidden)
    tmix = VDNMixer() if mixer == "vdn" else QMixer(n, D, embed)
    tnet.load_state_dict(net.state_dict())
    tmix.load_state_dict(mix.state_dict())
    opt = torch.optim.Adam(list(net.parameters()) + list(mix.parameters()), lr=lr)
    aux = aux_opt = None
    if target in ("g_network", "tv_exact", "tv_dual"):
        aux = _AuxNet(D, acts, hidden)
        aux_opt = torch.optim.Adam(aux.parameters(), lr=aux_lr)

    buf_s = np.zeros(buffer_size, dtype=np.int64)
    buf_h = np.zeros(buffer_size, dtype=np.int64)
    buf_a = np.zeros((buffer_size, n), dtype=np.int64)
    buf_r = np.zeros(buffer_size)
    buf_s2 = np.zeros(buffer_size, dtype=np.int64)
    size = ptr = 0

    def utilities():
        """Per agent ``(S, A_i)`` (discounted) or ``(H, S, A_i)`` (finite horizon)."""
        with torch.no_grad():
            us = [q.numpy().astype(np.float64).reshape(H, S, -1) for q in net(X[:H].reshape(H * S, D))]
        return us if finite else [u[0] for u in us]

    def greedy_actions():
        return np.ravel_multi_index(tuple(u.argmax(axis=-1) for u in utilities()), acts)

    def callables():
        us = utilities()

        def make(i):
            def pi(obs):
                obs = np.atleast_2d(np.asarray(obs, dtype=np.float64))
                st = obs[:, :S].argmax(axis=1)
                u = us[i][obs[:, S:].argmax(axis=1), st] if finite else us[i][st]
                out = np.zeros((obs.shape[0], acts[i]))
                out[np.arange(obs.shape[0]), u.argmax(axis=1)] = 1.0
                return out
            return pi
        return [make(i) for i in range(n)]

    trk = Tracker(game, U, every=track_every) if tracker and not term.any() else None
    hist = dict(step=[], robust_value=[], td_loss=[])
    td_acc = []
    eval_seconds = 0.0

    def measure(t):
        nonlocal eval_seconds
        t0 = time.perf_counter()
        a = greedy_actions()
        kw = dict(group=grp) if grp is not None else {}
        v = robust_policy_value(game, None if grp is not None else U, a, terminal=term, **kw)
        hist["step"].append(int(t))
        hist["robust_value"].append(float(game.initial @ (v[0] if finite else v)))
        hist["td_loss"].append(float(np.mean(td_acc)) if td_acc else None)
        td_acc.clear()
        if trk is not None:
            trk.record(int(t), callables())
        eval_seconds += time.perf_counter() - t0

    t_start = time.perf_counter()
    obs, info = env.reset(seed=int(seed))
    s, h = info[agents_[0]]["state"], 0
    measure(0)
    for t in range(1, steps + 1):
        eps = max(epsilon_end, 1.0 - (1.0 - epsilon_end) * t / max(1.0, steps / 2))
        with torch.no_grad():
            qs = net(X[h, s][None])
        a = [int(rng.integers(acts[i])) if rng.random() < eps else int(qs[i][0].argmax()) for i in range(n)]
        obs, rew, terms, truncs, info = env.step({ag: a[i] for i, ag in enumerate(agents_)})
        s2 = info[agents_[0]]["state"]
        buf_s[ptr], buf_h[ptr], buf_a[ptr], buf_r[ptr], buf_s2[ptr] = s, h, a, rew[agents_[0]], s2
        ptr = (ptr + 1) % buffer_size
        size = min(size + 1, buffer_size)
        if terms[agents_[0]] or truncs[agents_[0]] or term[s2]:
            obs, info = env.reset()
            s, h = info[agents_[0]]["state"], 0
        else:
            s, h = s2, (h + 1 if finite else 0)
        if size >= batch_size:
            idx = rng.integers(size, size=batch_size)
            bs, ba, bs2, bh = buf_s[idx], buf_a[idx], buf_s2[idx], buf_h[idx]
            bh2 = np.minimum(bh + 1, H) if finite else bh
            st, st2 = X[bh, bs], X[bh2, bs2]
            at = torch.as_tensor(ba)
            if grp is not None:
                fa = np.ravel_multi_index(tuple(ba.T), acts)
                r = torch.as_tensor(grp[0][:, bs, fa].T, dtype=torch.float32)  # (B, m)
            else:
                r = torch.as_tensor(buf_r[idx], dtype=torch.float32)
            done = torch.as_tensor(term[bs2] | (finite & (bh2 == H)), dtype=torch.float32)
            with torch.no_grad():
                v_next = tmix(torch.stack([q.max(dim=1).values for q in tnet(st2)], dim=1), st2)
            # rho min V: the batch minimum (finite horizon: over the rows of the same next step)
            v_min = L.batch_min_per_step(v_next, done, bh2) if finite else None
            if aux is not None:
                f = aux(st, at)
                aux_loss = (L.g_network_loss(f, v_next, done, rho) if target == "g_network"
                            else L.tv_dual_loss(f, v_next, done, rho))
                aux_opt.zero_grad()
                aux_loss.backward()
                aux_opt.step()
                with torch.no_grad():
                    f = aux(st, at)
            if target == "contamination_exact":
                y = L.contamination_exact_target(r, v_next, done, gamma, rho, v_min=v_min)
            elif target == "contamination":
                y = L.contamination_target(r, v_next, done, gamma, rho)
            elif target == "g_network":
                y = L.g_network_target(r, v_next, done, f, gamma, rho)
            elif target in ("tv_exact", "tv_dual"):
                y = L.tv_dual_target(r, v_next, done, f, gamma, rho, with_min=target == "tv_exact", v_min=v_min)
            elif target == "groupdr":
                y = L.groupdr_target(r, v_next, done, gamma)
            else:
                y = L.nonrobust_target(r, v_next, done, gamma)
            qs = net(st)
            chosen = torch.stack([qs[i].gather(1, at[:, i:i + 1]).squeeze(1) for i in range(n)], dim=1)
            loss = L.td_loss(mix(chosen, st), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            td_acc.append(float(loss.detach()))
        if t % target_update == 0:
            tnet.load_state_dict(net.state_dict())
            tmix.load_state_dict(mix.state_dict())
        if t % track_every == 0 or t == steps:
            measure(t)
    seconds = time.perf_counter() - t_start - eval_seconds

    us = utilities()
    with torch.no_grad():
        xs = X[:H].reshape(H * S, D)  # every decision point (h, s), h-major
        qs = net(xs)
        Qj = np.empty((H * S,) + acts)
        for a in itertools.product(*(range(m) for m in acts)):
            chosen = torch.stack([qs[i][:, a[i]] for i in range(n)], dim=1)
            Qj[(slice(None),) + a] = mix(chosen, xs).numpy()
    if grp is not None:
        optimum = target_fixed_point(game, "group_exact", rho, group=group, terminal=term, tol=1e-12,
                                     max_iter=1_000_000).optimum
    else:
        V_opt = team_robust_q(game, U, terminal=term).V
        optimum = float(game.initial @ (V_opt[0] if finite else V_opt))
    value = hist["robust_value"][-1]
    # the exact monotone analysis enumerates prod_i A_i! rankings per state
    # finite horizon: every decision point (h, s) is one row of the report
    rep = igm_report(Qj, utilities=[u.reshape(H * S, -1) for u in us],
                     monotone=math.prod(math.factorial(m) for m in acts) <= 10_000) if igm else None
    return Result(Q=Qj.reshape(game.policy_shape), utilities=us, actions=greedy_actions(), robust_value=value,
                  optimum=optimum, ratio=value / optimum if optimum != 0 else float("nan"), history=hist,
                  tracker=trk, igm=rep, seconds=seconds, target=target, mixer=mixer, rho=rho, seed=seed,
                  uncertainty=repr(U))
