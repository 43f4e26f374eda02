"""RQE actor-critic: a centralised joint-action critic and the RQE's own tilted advantage.

The construction of :mod:`robustgames.deep._mappo` does not reach the exact RQE
(docs/theory.md section 10.2: its advantage is risk neutral in the opponents' actions).
This variant puts the RQE's inner minimum into the actor's update (docs/theory.md 10.3).

Finite-horizon games with two players; observations of the PettingZoo export (one-hot state
and step). Per player ``i``:

* actor ``pi_i(a_i | o)``: a softmax MLP (decentralised execution);
* centralised joint-action critic ``Q_i(o, a)`` over the JOINT action ``a = (a_i, b)``
  (``b`` the opponent's action), the stage payoff of the Markov RQE recursion of
  :func:`robustgames.solve_rqe` (docs/theory.md section 7)::

      Q_i(o, a) = r_i(o, a) + CE_tau[V_i(o')],   CE_t(V) = -(1/t) log E_{s'} exp(-t V(s')),

  learned on sampled transitions by a reward head ``Rhat_i(o, a)`` (squared loss to
  ``r_i``) and a continuation head ``m_i(o, a)`` trained on the entropic-risk loss
  ``l(m, V) = (exp(u) - 1 - u) / tau^2``, ``u = tau (m - V_i(o'))`` (:func:`entropic_loss`):
  convex in ``m``, with ``E l`` minimised exactly at ``m = CE_tau[V_i(o')]`` (its derivative
  ``(E exp(tau (m - V)) - 1)/tau`` vanishes there), and the squared loss ``(m - V)^2 / 2`` as
  ``tau -> 0`` (used at ``tau = 0``). ``V_i(o') = 0`` after the horizon;
* the value passed back (``value="regularized"`` of :func:`robustgames.solve_rqe`):
  ``V_i(o) = rho_tau(Z_i) + eps H(pi_i(.|o))`` with ``Z_i(b) = sum_{a_i} pi_i(a_i) Q_i(o, a_i, b)``
  and ``rho_tau(Z) = -(1/tau) log sum_b pi_j(b) exp(-tau Z(b))``: the RQE stage utility
  (:mod:`robustgames.equilibria._rqe`: the inner minimum over the opponent's distribution
  with the KL penalty ``KL(p || pi_j)/tau`` is exactly this entropic risk, Donsker-Varadhan);
* tilted advantage ``c_i(a_i) = sum_b p*_i(b) Q_i(o, a_i, b)`` with the minimiser
  ``p*_i(b) ∝ pi_j(b) exp(-tau Z_i(b))``: by the envelope theorem the gradient of the
  entropic-risk term in ``x_i = pi_i(.|o)``. The actor minimises
  ``-E_o [sum_{a_i} pi_i(a_i|o) c_i(a_i) + eps H(pi_i(.|o))]`` with ``c_i`` held fixed (its
  gradient is that of the regularised stage utility ``U_i``), over the visited ``o``. A
  stationary point satisfies ``pi_i = softmax(c_i / eps)`` at every visited ``o``: the
  stage RQE condition of :func:`robustgames.rqe` on the critic's payoffs.

So at a fixed point with an exact critic the policy is a Markov RQE (at the visited points),
unlike :func:`robustgames.deep.train_rqe_mappo`. Whether simultaneous gradient play reaches
it, and which RQE when there are several, is measured, not assumed. The measurements are
those of :func:`robustgames.deep.train_rqe_mappo` (distance to ``rg.solve_rqe(game, tau,
eps)`` and to the logit QRE, the regularised exploitability).
"""

from __future__ import annotations

import time

import numpy as np
import torch

from .._result import Result
from .._validation import check_positive_int, check_real
from ..bridge import all_observations, to_pettingzoo
from ..games import MarkovGame
from ..planning._rqe_markov import solve_rqe
from ._mappo import _measure, _Net, _new_history

__all__ = ["train_rqe_actor_critic", "tilted_advantage", "entropic_loss"]

#: cap of ``u`` in :func:`entropic_loss` (beyond it the loss continues linearly, so one
#: far-off sample cannot produce an overflowing gradient)
U_CAP = 20.0


def entropic_loss(m, v, tau):
    """``(exp(u) - 1 - u) / tau^2`` with ``u = tau (m - v)`` (``tau = 0``: ``(m - v)^2 / 2``),
    per row. Its expectation over ``v`` is minimised by ``m = -(1/tau) log E exp(-tau v)``
    (the entropic risk; module docstring). For ``u > U_CAP`` it is continued linearly (same
    value and slope at the cap)."""
    if tau == 0:
        return 0.5 * (m - v) ** 2
    u = tau * (m - v)
    uc = torch.clamp(u, max=U_CAP)
    e1 = torch.expm1(uc)  # exp(uc) - 1, accurate for small u (the gradient is e1 / tau)
    return (e1 - uc + e1 * (u - uc)) / tau ** 2


def tilted_advantage(Q, x_self, x_other, tau):
    """``(c, rho)``: the RQE's tilted advantage and entropic risk of one player.

    ``Q`` ``(B, A_i, A_j)`` (own action first), ``x_self`` ``(B, A_i)``, ``x_other``
    ``(B, A_j)``. ``Z(b) = sum_a x_self(a) Q(a, b)``; ``rho = -(1/tau) log sum_b x_other(b)
    exp(-tau Z(b))`` (the mean for ``tau = 0``); ``p*(b) ∝ x_other(b) exp(-tau Z(b))``;
    ``c(a) = sum_b p*(b) Q(a, b)`` (docs/theory.md sections 7.1 and 10.3)."""
    Z = torch.einsum("ba,bac->bc", x_self, Q)
    logq = torch.log(x_other.clamp_min(1e-30))
    if tau == 0:
        p = x_other
        rho = (p * Z).sum(-1)
    else:
        w = logq - tau * Z
        rho = -torch.logsumexp(w, dim=-1) / tau
        p = torch.softmax(w, dim=-1)
    c = torch.einsum("bc,bac->ba", p, Q)
    return c, rho


def train_rqe_actor_critic(game: MarkovGame, tau: float, epsilon: float, *, iterations: int = 150,
                           episodes: int = 16, epochs: int = 4, lr: float = 3e-3, critic_lr: float = 1e-2,
                           hidden: int = 32, seed: int = 0, track_every: int = 25,
                           reference: bool = True) -> Result:
    """Train the RQE actor-critic (module docstring) and compare it with the exact Markov RQE.

    Parameters
    ----------
    game : MarkovGame
        Finite horizon, two players.
    tau : float
        Risk aversion ``>= 0`` (over the opponent's action and the next state, as
        :func:`robustgames.solve_rqe` with its default ``tau_next = tau``).
    epsilon : float
        Bounded rationality ``> 0`` (entropy coefficient).
    iterations, episodes, epochs : int
        Iterations; episodes sampled per iteration; critic and actor steps per iteration.
    lr, critic_lr : float
        Adam learning rates of the actors and critics (two timescales: the actor slower, so
        that the critic tracks the payoffs of the current policies; with ``lr = critic_lr``
        the critic's errors at rarely sampled joint actions misled the one-shot penalty game
        runs in our measurements).
    hidden : int
    seed : int
        Seeds torch and the environment (reproducible).
    track_every : int
        Exact measurement period in iterations (also at 0 and at the end).
    reference : bool
        Solve the exact RQE and QRE (needed for the distances).

    Returns
    -------
    Result
        As :func:`robustgames.deep.train_rqe_mappo` without ``critic``: ``strategies``,
        ``policy``, ``history``, ``distance_rqe``, ``distance_qre`` (and ``*_mean``),
        ``exploitability`` (and ``exploitability_mean``), ``rqe_exploitability``, ``rqe``,
        ``qre``, ``seconds``; plus ``Q`` (the critic's joint-action payoffs ``(H, S, A_1, A_2,
        2)``).
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    if game.discounted:
        raise ValueError("game must have a finite horizon (train_rqe_actor_critic)")
    if game.n_players != 2:
        raise ValueError(f"game must have two players (train_rqe_actor_critic), got {game.n_players}")
    tau = check_real(tau, "tau", low=0.0)
    epsilon = check_real(epsilon, "epsilon", low=0.0, low_open=True)
    iterations = check_positive_int(iterations, "iterations")
    episodes = check_positive_int(episodes, "episodes")
    epochs = check_positive_int(epochs, "epochs")
    track_every = check_positive_int(track_every, "track_every")
    n, H, S = 2, game.horizon, game.n_states
    acts = tuple(game.n_actions)
    A = acts[0] * acts[1]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    env = to_pettingzoo(game, "nominal", observation="one_hot")
    names = env.possible_agents
    O = S + H + 1
    actors = [_Net(O, a, hidden) for a in acts]
    r_heads = [_Net(O, A, hidden) for _ in range(n)]
    m_heads = [_Net(O, A, hidden) for _ in range(n)]
    a_opt = [torch.optim.Adam(m.parameters(), lr=lr) for m in actors]
    c_opt = [torch.optim.Adam(list(r_heads[i].parameters()) + list(m_heads[i].parameters()), lr=critic_lr)
             for i in range(n)]
    all_obs = torch.as_tensor(all_observations(game, "one_hot"), dtype=torch.float32)  # (H*S, O)

    ref = qre = None
    if reference:
        ref = solve_rqe(game, tau, epsilon)
        qre = solve_rqe(game, 0.0, epsilon)

    def probs(o):
        return [torch.softmax(m(o), -1) for m in actors]

    def critic_q(i, o):
        """``Q_i(o, a)`` as ``(B, A_i, A_j)`` (own action first)."""
        r = r_heads[i](o)
        q = (r + m_heads[i](o)).view(-1, acts[0], acts[1])
        return q if i == 0 else q.transpose(1, 2)

    def stage_value(i, o):
        """``V_i(o) = rho_tau(Z_i) + eps H(pi_i)`` from the current critic and actors."""
        x = probs(o)
        c, rho = tilted_advantage(critic_q(i, o), x[i], x[1 - i], tau)
        ent = -(x[i] * torch.log(x[i].clamp_min(1e-30))).sum(-1)
        return rho + epsilon * ent

    def strategies():
        with torch.no_grad():
            xs = [torch.softmax(m(all_obs), -1).numpy().astype(np.float64).reshape(H, S, -1) for m in actors]
        return [x / x.sum(-1, keepdims=True) for x in xs]

    hist = _new_history()
    eval_seconds = 0.0
    t_start = time.perf_counter()
    t0 = time.perf_counter()
    xs, joint = _measure(game, strategies(), tau, epsilon, ref, qre, hist, 0, episodes)
    eval_seconds += time.perf_counter() - t0
    env.reset(seed=int(seed))
    for it in range(1, iterations + 1):
        O_buf = np.zeros((episodes, H + 1, O), dtype=np.float32)
        A_buf = np.zeros((episodes, H), dtype=np.int64)
        R_buf = np.zeros((episodes, H, n), dtype=np.float32)
        for e in range(episodes):
            obs, _ = env.reset()
            for h in range(H):
                o = obs[names[0]]
                O_buf[e, h] = o
                with torch.no_grad():
                    pr = [p[0].numpy().astype(np.float64) for p in probs(torch.as_tensor(o)[None])]
                a = [int(rng.choice(acts[i], p=pr[i] / pr[i].sum())) for i in range(n)]
                obs, rew, _, _, _ = env.step({nm: a[i] for i, nm in enumerate(names)})
                A_buf[e, h] = a[0] * acts[1] + a[1]
                R_buf[e, h] = [rew[nm] for nm in names]
            O_buf[e, H] = obs[names[0]]
        ob = torch.as_tensor(O_buf[:, :H].reshape(-1, O))
        ob2 = torch.as_tensor(O_buf[:, 1:].reshape(-1, O))
        last = torch.zeros(episodes, H)
        last[:, H - 1] = 1.0
        last = last.reshape(-1)
        act = torch.as_tensor(A_buf.reshape(-1, 1))
        rew = torch.as_tensor(R_buf.reshape(-1, n))
        for i in range(n):
            for _ in range(epochs):
                with torch.no_grad():
                    v2 = stage_value(i, ob2) * (1.0 - last)
                r_hat = r_heads[i](ob).gather(1, act).squeeze(1)
                m_hat = m_heads[i](ob).gather(1, act).squeeze(1)
                loss = ((r_hat - rew[:, i]) ** 2).mean() + entropic_loss(m_hat, v2, tau).mean()
                c_opt[i].zero_grad()
                loss.backward()
                c_opt[i].step()
        with torch.no_grad():  # the tilted advantages, from the policies of this iteration
            x_now = probs(ob)
            cs = [tilted_advantage(critic_q(i, ob), x_now[i], x_now[1 - i], tau)[0] for i in range(n)]
        for i in range(n):
            for _ in range(epochs):
                logp = torch.log_softmax(actors[i](ob), -1)
                x = logp.exp()
                loss = -((x * cs[i]).sum(-1) - epsilon * (x * logp).sum(-1)).mean()
                a_opt[i].zero_grad()
                loss.backward()
                a_opt[i].step()
        if it % track_every == 0 or it == iterations:
            t0 = time.perf_counter()
            xs, joint = _measure(game, strategies(), tau, epsilon, ref, qre, hist, it, episodes)
            eval_seconds += time.perf_counter() - t0
    seconds = time.perf_counter() - t_start - eval_seconds
    with torch.no_grad():
        Qc = np.stack([critic_q(i, all_obs).numpy().astype(np.float64) for i in range(n)], axis=-1)
    Qc[..., 1] = Qc[..., 1].transpose(0, 2, 1)  # player 2's table back to (A_1, A_2) order
    return Result(strategies=xs, policy=joint.reshape(game.policy_shape), history=hist,
                  distance_rqe=hist["distance_rqe"][-1], distance_qre=hist["distance_qre"][-1],
                  distance_rqe_mean=hist["distance_rqe_mean"][-1], distance_qre_mean=hist["distance_qre_mean"][-1],
                  exploitability=hist["exploitability"][-1], exploitability_mean=hist["exploitability_mean"][-1],
                  rqe_exploitability=None if ref is None else float(ref.exploitability),
                  rqe=None if ref is None else ref.strategies, qre=None if qre is None else qre.strategies,
                  Q=Qc.reshape((H, S) + acts + (n,)), seconds=seconds, tau=tau, epsilon=epsilon, seed=seed)
