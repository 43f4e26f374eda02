"""Risk-averse MAPPO with a C51 distributional critic, compared with the exact Markov RQE.

The RQE paper (Mazumdar, Panaganti, Shi, arXiv 2406.14156) and its RQE-MAPPO slides;
docs/theory.md sections 7 (the exact Markov RQE of :func:`robustgames.solve_rqe`) and
10.2 (this construction).

Per player ``i`` (finite-horizon games, observations of the PettingZoo export: one-hot
state and step):

* actor ``pi_i(a_i | o)``: a softmax MLP (decentralised execution);
* critic: C51 over the evenly spaced grid ``z_1 < ... < z_K`` (``K = n_atoms``,
  ``[v_min, v_max]`` = the reachable range of returns), ``p_i(. | o)`` a softmax MLP of the
  observation (the state is fully observed: centralised = decentralised input here),
  trained by cross-entropy to the projected distributional Bellman target
  ``Phi(r_i + Z_i(o'))`` (:func:`robustgames.risk.c51_project`'s projection, in torch;
  ``Z(o') = 0`` after the last step), from the current critic (detached);
* risk value ``V_i(o) = rho_tau(Z_i(o)) = -(1/tau) log sum_k p_i(k|o) exp(-tau z_k)``
  (entropic risk of the critic's distribution, :func:`robustgames.entropic_risk`; the mean
  for ``tau = 0``);
* GAE with these values: ``delta_t = r_{i,t} + V_i(o_{t+1}) - V_i(o_t)`` (``V = 0`` after the
  horizon), ``A_t = sum_k lambda^k delta_{t+k}`` (no discount: finite horizon);
* PPO loss ``-E min(ratio A, clip(ratio, 1 - c, 1 + c) A) - eps E H(pi_i(.|o))`` with the
  FIXED entropy coefficient ``eps`` (the bounded rationality; advantages are not
  normalised, so that ``eps`` keeps its scale: the entropy-regularised optimum of one
  stage is ``pi_i ∝ exp(A_i / eps)``, a logit response).

Ablations (:data:`VARIANTS`): ``"both"`` (``tau``, ``eps``), ``"risk"`` (``tau``, ``eps = eps_min``),
``"rationality"`` (``tau = 0``, ``eps``).

What this construction computes, and what it does not (docs/theory.md section 10.2): the
advantage averages over the OPPONENTS' sampled actions (risk neutral in them) and applies
the entropic risk to the whole remaining return ``Z_i(o')``; the exact RQE applies the risk
to the opponents' actions inside every stage and nests the next-state risk. The fixed
point of the learner is therefore closer to a logit QRE with risk-adjusted continuation
values than to the RQE; :func:`train_rqe_mappo` measures by how much, exactly:

* ``distance_rqe`` / ``distance_qre``: ``max`` over the decision points the learned policy
  reaches (nominal kernel) and the players of the total-variation distance
  ``||x_i - x_i^*||_1 / 2`` to the exact Markov RQE (``rg.solve_rqe(game, tau, eps)``) and
  to the logit QRE (``rg.solve_rqe(game, 0, eps)``); ``*_mean``: the same distance averaged
  over the learned policy's own step-state occupancy ``d_h(s) / H`` (max over players);
* ``exploitability``: the learned policy's maximal one-stage regularised deviation gain in
  the RQE game (the continuation values are the learned policy's own RQE-recursion values,
  value convention ``"regularized"``), max over the reached points (``exploitability``) and
  occupancy-averaged (``exploitability_mean``): 0 exactly at an RQE;
* ``critic``: at the start state, the critic's distribution against the exact return
  distribution of the learned policy (:func:`robustgames.return_distribution`, projected
  on the same grid): Wasserstein-1 distance, and the critic's entropic risk against the
  exact entropic risk of that distribution.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from .._result import Result
from .._validation import check_choice, check_positive_int, check_real
from ..bridge import all_observations, reachable_points, to_pettingzoo
from ..equilibria._rqe import REGULARIZERS, _certificates, _layout
from ..games import MarkovGame
from ..planning._rqe_markov import next_state_risk, solve_rqe
from ..risk import c51_grid, entropic_risk, return_distribution

__all__ = ["train_rqe_mappo", "regularised_exploitability", "VARIANTS", "entropic_risk_torch"]

VARIANTS = ("both", "risk", "rationality")


def entropic_risk_torch(z, logp, tau):
    """``rho_tau = -(1/tau) log sum_k p_k exp(-tau z_k)`` (``tau = 0``: the mean) from the
    log-probabilities ``logp (..., K)`` on atoms ``z (K,)``."""
    if tau == 0:
        return (logp.exp() * z).sum(-1)
    return -torch.logsumexp(logp - tau * z, dim=-1) / tau


def c51_project_torch(target_atoms, probs, grid):
    """Project ``sum_j probs_j delta(target_atoms_j)`` (rows ``(B, K)``) onto ``grid``
    (C51, mass split linearly between neighbours; atoms clipped to the grid)."""
    vmin, vmax = float(grid[0]), float(grid[-1])
    K = grid.shape[0]
    dz = (vmax - vmin) / (K - 1)
    b = (target_atoms.clamp(vmin, vmax) - vmin) / dz
    lo = b.floor().long().clamp(0, K - 1)
    hi = b.ceil().long().clamp(0, K - 1)
    w_hi = b - lo.float()
    w_lo = 1.0 - w_hi
    out = torch.zeros_like(probs)
    out.scatter_add_(1, lo, probs * w_lo)
    out.scatter_add_(1, hi, probs * w_hi * (hi != lo).float())
    return out


def regularised_exploitability(game: MarkovGame, strategies, tau, epsilon, regularizer: str = "entropy"):
    """One-stage regularised deviation gains of a product policy in the Markov RQE game.

    Backward over ``h``: ``Q_{i,h}(s, a) = r_{i,h}(s, a) + CE_tau(V_{i,h+1})`` (the recursion
    of :func:`robustgames.solve_rqe`, docs/theory.md section 7), ``V_{i,h}(s) = U_i(x_h(s))``
    the regularised stage utility of the GIVEN strategies, and the gain
    ``max_y U_i(y, x_{-i}) - U_i(x)`` (the stage certificate kernel of
    :func:`robustgames.rqe`). Returns ``(gain (H, S, n), V (H+1, S, n))``; the gains are all 0
    exactly at the Markov RQE.
    """
    n = game.n_players
    H, S = game.horizon, game.n_states
    na = np.ascontiguousarray(game.n_actions, dtype=np.int64)
    strides, offsets = _layout(na)
    tau_a = np.full(n, float(tau))
    eps_a = np.full(n, float(epsilon))
    reg = REGULARIZERS[regularizer]
    P, R = game.flat_transitions, game.flat_rewards
    V = np.zeros((H + 1, S, n))
    gain = np.zeros((H, S, n))
    for h in range(H - 1, -1, -1):
        Q = R[h] + next_state_risk(P[h], V[h + 1], tau_a)
        for s in range(S):
            x = np.ascontiguousarray(np.concatenate([np.asarray(strategies[i][h, s], dtype=np.float64)
                                                     for i in range(n)]))
            g, b, U = np.empty(n), np.empty(n), np.empty(n)
            _certificates(np.ascontiguousarray(Q[s]), na, strides, offsets, x, tau_a, eps_a, reg, g, b, U)
            gain[h, s] = g
            V[h, s] = U
    return gain, V


class _Net(nn.Module):
    def __init__(self, inp, out, hidden):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(inp, hidden), nn.Tanh(), nn.Linear(hidden, out))

    def forward(self, x):
        return self.f(x)


def _product(strats, h, s):
    pol = np.ones(())
    for x in strats:
        pol = np.multiply.outer(pol, x[h, s])
    return pol.reshape(-1)


def _occupancy(game, joint):
    """``d_h(s)``: the probability of being at ``s`` at step ``h`` under ``joint`` and the
    nominal kernel, ``(H, S)``."""
    P = game.flat_transitions
    d = np.zeros((game.horizon, game.n_states))
    d[0] = game.initial
    for h in range(game.horizon - 1):
        d[h + 1] = np.einsum("s,sa,sat->t", d[h], joint[h], P[h])
    return d


def _mean_values(game, joint):
    """Expected total reward of every player at ``game.initial`` (backward pass)."""
    P, R = game.flat_transitions, game.flat_rewards
    V = np.zeros((game.n_states, game.n_players))
    for h in range(game.horizon - 1, -1, -1):
        V = np.einsum("sa,sai->si", joint[h], R[h] + P[h] @ V)
    return game.initial @ V


def _new_history():
    return dict(iteration=[], episodes=[], distance_rqe=[], distance_qre=[], distance_rqe_mean=[],
                distance_qre_mean=[], exploitability=[], exploitability_mean=[], value=[])


def _measure(game, xs, tau, epsilon, ref, qre, hist, it, episodes):
    """Append the exact measurements of the learned strategies ``xs`` to ``hist`` (module
    docstring); returns ``(xs, joint)``."""
    n, H, S = game.n_players, game.horizon, game.n_states
    joint = np.stack([np.stack([_product(xs, h, s) for s in range(S)]) for h in range(H)])
    reach = reachable_points(game, joint)
    gain, _ = regularised_exploitability(game, xs, tau, epsilon)
    hist["iteration"].append(it)
    hist["episodes"].append(it * episodes)
    occ = _occupancy(game, joint) / H
    hist["exploitability"].append(float(gain[reach].max()))
    hist["exploitability_mean"].append(float((occ[..., None] * gain).sum(axis=(0, 1)).max()))
    for key, sol in (("distance_rqe", ref), ("distance_qre", qre)):
        if sol is None:
            hist[key].append(None)
            hist[key + "_mean"].append(None)
            continue
        tv = [0.5 * np.abs(xs[i] - sol.strategies[i]).sum(-1) for i in range(n)]
        hist[key].append(max(float(t[reach].max()) for t in tv))
        hist[key + "_mean"].append(max(float((occ * t).sum()) for t in tv))
    hist["value"].append(_mean_values(game, joint).tolist())
    return xs, joint


def train_rqe_mappo(game: MarkovGame, tau: float, epsilon: float, *, iterations: int = 150, episodes: int = 16,
                    epochs: int = 4, clip: float = 0.2, lr: float = 1e-2, critic_lr: float = 1e-2,
                    gae_lambda: float = 0.95, n_atoms: int = 51, hidden: int = 32, seed: int = 0,
                    track_every: int = 25, reference: bool = True) -> Result:
    """Train risk-averse MAPPO on a finite-horizon game and compare it with the exact
    Markov RQE at the same ``tau``, ``epsilon`` (module docstring).

    Parameters
    ----------
    game : MarkovGame
        Finite horizon (the RQE grid world, or a matrix game with ``horizon=1``).
    tau : float
        Risk aversion ``>= 0`` of the critic's entropic risk (and of the exact RQE).
    epsilon : float
        Fixed entropy coefficient ``> 0`` (the RQE's bounded rationality).
    iterations, episodes, epochs : int
        PPO iterations, episodes per iteration, optimisation epochs per iteration.
    clip, lr, critic_lr, gae_lambda : float
    n_atoms, hidden : int
    seed : int
        Seeds torch and the environment (reproducible).
    track_every : int
        Exact measurement period in iterations (also at 0 and at the end).
    reference : bool
        Solve the exact RQE and QRE (needed for the distances).

    Returns
    -------
    Result
        ``strategies`` (list of ``(H, S, A_i)``), ``policy`` (joint, ``game.policy_shape``),
        ``history`` (dict of lists ``iteration``, ``episodes``, ``distance_rqe``,
        ``distance_qre``, ``exploitability``, ``value`` (per player mean return of the learned
        policy at the start, exact)), final ``distance_rqe``, ``distance_qre``,
        ``exploitability``, ``critic`` (dict ``w1``, ``risk_critic``, ``risk_exact``,
        ``mean_critic``, ``mean_exact`` per player), ``rqe_exploitability`` (of the exact
        RQE itself, its certificate), ``seconds``.
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    if game.discounted:
        raise ValueError("game must have a finite horizon (train_rqe_mappo)")
    tau = check_real(tau, "tau", low=0.0)
    epsilon = check_real(epsilon, "epsilon", low=0.0, low_open=True)
    iterations = check_positive_int(iterations, "iterations")
    episodes = check_positive_int(episodes, "episodes")
    track_every = check_positive_int(track_every, "track_every")
    n, H, S = game.n_players, game.horizon, game.n_states
    acts = tuple(game.n_actions)
    torch.manual_seed(seed)
    env = to_pettingzoo(game, "nominal", observation="one_hot")
    names = env.possible_agents
    O = S + H + 1
    R = game.rewards
    lo = H * float(min(0.0, R.min()))
    hi = H * float(max(0.0, R.max()))
    grid_np = c51_grid(lo - 1e-6, hi + 1e-6, n_atoms)
    grid = torch.as_tensor(grid_np, dtype=torch.float32)
    actors = [_Net(O, a, hidden) for a in acts]
    critics = [_Net(O, n_atoms, hidden) for _ in range(n)]
    a_opt = [torch.optim.Adam(m.parameters(), lr=lr) for m in actors]
    c_opt = [torch.optim.Adam(m.parameters(), lr=critic_lr) for m in critics]
    all_obs = torch.as_tensor(all_observations(game, "one_hot"), dtype=torch.float32)  # (H*S, O)

    ref = qre = None
    if reference:
        ref = solve_rqe(game, tau, epsilon)
        qre = solve_rqe(game, 0.0, epsilon)

    def strategies():
        with torch.no_grad():
            xs = [torch.softmax(m(all_obs), -1).numpy().astype(np.float64).reshape(H, S, -1) for m in actors]
        return [x / x.sum(-1, keepdims=True) for x in xs]

    def measure(it, hist):
        return _measure(game, strategies(), tau, epsilon, ref, qre, hist, it, episodes)

    hist = _new_history()
    eval_seconds = 0.0
    t_start = time.perf_counter()
    t0 = time.perf_counter()
    measure(0, hist)
    eval_seconds += time.perf_counter() - t0
    obs0, _ = env.reset(seed=int(seed))
    rng = np.random.default_rng(seed)
    for it in range(1, iterations + 1):
        O_buf = np.zeros((episodes, H + 1, O), dtype=np.float32)
        A_buf = np.zeros((episodes, H, n), dtype=np.int64)
        R_buf = np.zeros((episodes, H, n), dtype=np.float32)
        for e in range(episodes):
            obs, _ = env.reset() if e or it > 1 else (obs0, None)
            for h in range(H):
                o = obs[names[0]]
                O_buf[e, h] = o
                with torch.no_grad():
                    ot = torch.as_tensor(o)[None]
                    pr = [torch.softmax(m(ot), -1)[0].numpy().astype(np.float64) for m in actors]
                a = [int(rng.choice(acts[i], p=pr[i] / pr[i].sum())) for i in range(n)]
                obs, rew, _, _, _ = env.step({nm: a[i] for i, nm in enumerate(names)})
                A_buf[e, h] = a
                R_buf[e, h] = [rew[nm] for nm in names]
            O_buf[e, H] = obs[names[0]]
        ob = torch.as_tensor(O_buf[:, :H].reshape(-1, O))
        ob2 = torch.as_tensor(O_buf[:, 1:].reshape(-1, O))
        last = torch.zeros(episodes, H)
        last[:, H - 1] = 1.0
        last = last.reshape(-1)
        act = torch.as_tensor(A_buf.reshape(-1, n))
        rew = torch.as_tensor(R_buf.reshape(-1, n))
        with torch.no_grad():
            old_logp = [torch.log_softmax(actors[i](ob), -1).gather(1, act[:, i:i + 1]).squeeze(1) for i in range(n)]
        for i in range(n):
            # critic: distributional Bellman target from the current critic, then risk values
            for _ in range(epochs):
                with torch.no_grad():
                    p2 = torch.softmax(critics[i](ob2), -1)
                    p2 = torch.where(last[:, None] > 0, torch.nn.functional.one_hot(
                        torch.full((ob2.shape[0],), int(np.argmin(np.abs(grid_np))), dtype=torch.long),
                        n_atoms).float(), p2)
                    atoms = rew[:, i:i + 1] + grid[None, :]
                    tgt = c51_project_torch(atoms, p2, grid)
                loss = -(tgt * torch.log_softmax(critics[i](ob), -1)).sum(-1).mean()
                c_opt[i].zero_grad()
                loss.backward()
                c_opt[i].step()
            with torch.no_grad():
                v = entropic_risk_torch(grid, torch.log_softmax(critics[i](ob), -1), tau)
                v2 = entropic_risk_torch(grid, torch.log_softmax(critics[i](ob2), -1), tau) * (1.0 - last)
                delta = (rew[:, i] + v2 - v).reshape(episodes, H)
                adv = torch.zeros_like(delta)
                run = torch.zeros(episodes)
                for h in range(H - 1, -1, -1):
                    run = delta[:, h] + gae_lambda * run
                    adv[:, h] = run
                adv = adv.reshape(-1)
            for _ in range(epochs):
                logits = actors[i](ob)
                logp_all = torch.log_softmax(logits, -1)
                logp = logp_all.gather(1, act[:, i:i + 1]).squeeze(1)
                ratio = torch.exp(logp - old_logp[i])
                pg = torch.min(ratio * adv, torch.clamp(ratio, 1 - clip, 1 + clip) * adv).mean()
                ent = -(logp_all.exp() * logp_all).sum(-1).mean()
                loss = -pg - epsilon * ent
                a_opt[i].zero_grad()
                loss.backward()
                a_opt[i].step()
        if it % track_every == 0 or it == iterations:
            t0 = time.perf_counter()
            xs, joint = measure(it, hist)
            eval_seconds += time.perf_counter() - t0
    seconds = time.perf_counter() - t_start - eval_seconds

    # critic against the exact return distribution at the start state(s)
    critic = dict(w1=[], risk_critic=[], risk_exact=[], mean_critic=[], mean_exact=[])
    mu = game.initial
    start_obs = all_obs.reshape(H, S, O)[0]
    with torch.no_grad():
        for i in range(n):
            pc = (torch.softmax(critics[i](start_obs), -1).numpy().astype(np.float64) * mu[:, None]).sum(0)
            pc = pc / pc.sum()
            ex = return_distribution(game, joint.reshape(game.policy_shape), i, grid=grid_np, max_atoms=5000)
            pe = ex.projected
            dz = grid_np[1] - grid_np[0]
            critic["w1"].append(float(np.abs(np.cumsum(pc) - np.cumsum(pe)).sum() * dz))
            critic["risk_critic"].append(float(entropic_risk(grid_np, pc, tau)))
            z_ex, p_ex = (ex.atoms, ex.probs) if ex.probs is not None else (grid_np, pe)
            critic["risk_exact"].append(float(entropic_risk(z_ex, p_ex, tau)))
            critic["mean_critic"].append(float(pc @ grid_np))
            critic["mean_exact"].append(float(ex.mean))
    return Result(strategies=xs, policy=joint.reshape(game.policy_shape), history=hist,
                  distance_rqe=hist["distance_rqe"][-1], distance_qre=hist["distance_qre"][-1],
                  distance_rqe_mean=hist["distance_rqe_mean"][-1], distance_qre_mean=hist["distance_qre_mean"][-1],
                  exploitability=hist["exploitability"][-1], exploitability_mean=hist["exploitability_mean"][-1],
                  critic=critic,
                  rqe_exploitability=None if ref is None else float(ref.exploitability),
                  rqe=None if ref is None else ref.strategies, qre=None if qre is None else qre.strategies,
                  seconds=seconds, tau=tau, epsilon=epsilon, seed=seed)


def variant_parameters(variant: str, tau: float, epsilon: float, eps_min: float = 0.02):
    """``(tau, epsilon)`` of an ablation: ``"both"``, ``"risk"`` (``epsilon = eps_min``),
    ``"rationality"`` (``tau = 0``)."""
    check_choice(variant, "variant", VARIANTS)
    if variant == "risk":
        return tau, eps_min
    if variant == "rationality":
        return 0.0, epsilon
    return tau, epsilon
