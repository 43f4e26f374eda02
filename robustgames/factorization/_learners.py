"""Sample-based tabular robust VDN / QMIX-style Q-learning with the published targets
(DrIGM arXiv 2602.11437 and its code robust-coMARL, read for facts only; docs/theory.md
section 6.2 for the targets, 6.3 for their exact fixed points).

One trajectory of the NOMINAL kernel ``P0`` (discounted games): at state ``s`` every agent
picks its greedy action (per-agent utility) or, with probability ``epsilon``, a uniform
random one; ``s' ~ P0(.|s, a)``, reward ``r(s, a)``. After a pinned terminal state, or with
probability ``restart`` per step, the next state is drawn from ``game.initial``. The
sample target, with ``V(s') = max_a Q(s', a)`` (for additive / monotone mixers the mixer at
the per-agent maxima, as in the code), ``V = 0`` on terminal states and ``c = gamma``:

* ``contamination_exact``: ``r + c [(1 - rho) V(s') + rho min_x V(x)]``;
* ``contamination`` (code): ``r + c (1 - rho) V(s')``;
* ``tv_exact`` / ``tv_dual``: ``r + c [(1 - rho) eta - (eta - V(s'))_+] (+ c rho min V)``,
  with one ``eta(s, a)`` per joint row updated by stochastic super-gradient ascent on the
  dual ``(1 - rho) eta - E (eta - V')_+``, i.e. ``eta += beta span (1 - rho - 1{V' < eta})``
  (quantile tracking on a faster time scale, ``span = max V - min V + 1``);
* ``rfqi``: the same with ``eta`` clipped to ``[0, 1/(rho (1 - gamma))]``;
* ``g_network`` (code): ``r + c [(1 - rho) g - (g - V(s'))_+]`` with ``g(s, a)`` a
  stochastic-gradient step on ``((g - V')_+ - (1 - rho) g)^2``;
* ``groupdr``: ``min_k rhat_k(s, a) + c V(s')`` (reward-only group minimum;
  ``group=(rewards, kernels)`` as in :func:`~robustgames.factorization.target_fixed_point`,
  only the rewards are used).

The expectation of each sample target over ``s' ~ P0`` at fixed ``V`` (and, for the TV
targets, at the maximising ``eta``) is the exact tabular target of
:func:`~robustgames.factorization.target_values`, so with the joint table and
Robbins-Monro step sizes the learned ``Q`` should approach
:func:`~robustgames.factorization.target_fixed_point` (tested for the contamination
targets; for ``g_network`` the SGD on a non-convex loss can settle in another local
minimum than the global one used there).

Mixers (``Q(s, a)`` as a function of per-agent tables ``q_i(s, a_i)``, each updated by the
gradient of ``(y - Q(s, a))^2 / 2``, step ``alpha = lr (1 + n(s, a))^-power``, ``n`` the
visits of the joint row):

* ``"joint"``: one table ``Q(s, a)`` (centralised; utilities are its max-marginals);
* ``"vdn"``: ``Q = sum_i q_i(s, a_i)``, every ``q_i(s, a_i)`` moved by ``alpha (y - Q) / n``
  (the normalised step: ``Q(s, a)`` moves by ``alpha (y - Q)``; unnormalised steps,
  ``n alpha (y - Q)``, overshoot while ``alpha > 1/n`` and diverged on the climbing game);
* ``"monotone"``: a tabular QMIX mixer with one hidden layer of width ``hidden``,
  ``Q = sum_k |W2_k(s)| elu(sum_i |W1_ki(s)| q_i(s, a_i) + b1_k(s)) + b2(s)``
  (non-negative weights: non-decreasing in every ``q_i``, so the per-agent greedy actions
  maximise it). All its parameters take one normalised gradient step (the gradient step
  divided by ``1 + ||grad Q||^2``, so that the first-order change of ``Q(s, a)`` is
  ``alpha (y - Q)`` as for the tables; plain steps with ``lr = 1`` diverge).

Finite-horizon games are not supported (``ValueError``).
"""

from __future__ import annotations

import numbers

import numpy as np

from .._result import Result
from .._validation import check_choice, check_positive_int, check_real
from ..games import MarkovGame
from ._igm import igm_report, max_marginals
from ._targets import TARGETS, _true_set, group_tables, robust_policy_value, target_fixed_point
from ._team import team_reward, team_robust_q, terminal_mask

__all__ = ["train_factored", "LEARNER_TARGETS", "LEARNER_MIXERS"]

LEARNER_TARGETS = tuple(t for t in TARGETS if t != "group_exact")
LEARNER_MIXERS = ("joint", "vdn", "monotone")


def _elu(z):
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))


def _delu(z):
    return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0)))


class _Mixer:
    """Per-agent tables and the mixer; ``value(s, a_tuple)``, ``greedy(s)``, ``update``."""

    def __init__(self, kind, S, acts, rng, hidden):
        self.kind, self.S, self.acts, self.n = kind, S, tuple(acts), len(acts)
        if kind == "joint":
            self.Q = np.zeros((S,) + self.acts)
        else:
            self.q = [np.zeros((S, a)) for a in self.acts]
        if kind == "monotone":
            self.W1 = rng.uniform(0.5, 1.5, size=(S, hidden, self.n))
            self.b1 = np.zeros((S, hidden))
            self.W2 = np.full((S, hidden), 1.0 / hidden)
            self.b2 = np.zeros(S)

    def _mono(self, s, u):
        z = np.abs(self.W1[s]) @ u + self.b1[s]
        return float(np.abs(self.W2[s]) @ _elu(z) + self.b2[s]), z

    def value(self, s, a):
        if self.kind == "joint":
            return float(self.Q[(s,) + tuple(a)])
        u = np.array([self.q[i][s, a[i]] for i in range(self.n)])
        if self.kind == "vdn":
            return float(u.sum())
        return self._mono(s, u)[0]

    def greedy(self, s):
        if self.kind == "joint":
            return np.unravel_index(int(self.Q[s].argmax()), self.acts)
        return tuple(int(q[s].argmax()) for q in self.q)

    def state_value(self, s):
        return self.value(s, self.greedy(s))

    def update(self, s, a, y, alpha):
        if self.kind == "joint":
            idx = (s,) + tuple(a)
            self.Q[idx] += alpha * (y - self.Q[idx])
            return
        u = np.array([self.q[i][s, a[i]] for i in range(self.n)])
        if self.kind == "vdn":
            d = (y - u.sum()) / self.n  # normalised: the change of Q is alpha (y - Q), as for the table
            for i in range(self.n):
                self.q[i][s, a[i]] += alpha * d
            return
        Qv, z = self._mono(s, u)
        d = y - Qv
        W1, W2 = self.W1[s], self.W2[s]
        dz = np.abs(W2) * _delu(z)  # dQ/dz_k
        du = np.abs(W1).T @ dz  # dQ/du_i
        gW2 = np.sign(W2) * _elu(z)
        gW1 = np.sign(W1) * np.outer(dz, u)
        # normalised step (NLMS): the first-order change of Q is alpha * d, as for the tables
        d = d / (float(du @ du + gW2 @ gW2 + np.sum(gW1 * gW1) + dz @ dz) + 1.0)
        for i in range(self.n):
            self.q[i][s, a[i]] += alpha * d * du[i]
        self.W2[s] += alpha * d * gW2
        self.W1[s] += alpha * d * gW1
        self.b1[s] += alpha * d * dz
        self.b2[s] += alpha * d

    def joint_table(self):
        if self.kind == "joint":
            return self.Q.copy()
        out = np.empty((self.S,) + self.acts)
        for s in range(self.S):
            for a in np.ndindex(*self.acts):
                out[(s,) + a] = self.value(s, a)
        return out

    def utilities(self):
        if self.kind == "joint":
            return max_marginals(self.Q)
        return [q.copy() for q in self.q]


def _check_rng(rng):
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")


def train_factored(game: MarkovGame, target: str, rho: float, mixer: str = "vdn", *, steps: int = 50_000,
                   rng=None, epsilon: float = 0.2, lr: float = 1.0, power: float = 0.6,
                   eta_power: float = 0.51, restart: float = 0.0, terminal=None, group=None,
                   reward="identical", hidden: int = 4, eta_max=None, n_checkpoints: int = 10,
                   igm: bool = True, reference=None) -> Result:
    """Robust factored Q-learning from nominal samples (module docstring).

    Parameters
    ----------
    game : MarkovGame
        Cooperative, discounted.
    target : str
        One of :data:`LEARNER_TARGETS` (``TARGETS`` without ``"group_exact"``, which needs
        samples from every group kernel).
    rho : float
        Radius in ``[0, 1)`` (``(0, 1)`` for ``"g_network"`` and ``"rfqi"``).
    mixer : {"joint", "vdn", "monotone"}
    steps : int
        Number of sampled transitions.
    rng : numpy Generator, int or None
        Randomness (``np.random.default_rng(rng)`` for an int).
    epsilon : float in [0, 1]
        Per-agent exploration probability.
    lr, power : float
        Step size ``lr (1 + n)^-power`` (``power`` in ``(0.5, 1]``: Robbins-Monro).
    eta_power : float
        Exponent of the ``eta``/``g`` step ``(1 + n)^-eta_power`` (in ``(0.5, power]``:
        the faster time scale).
    restart : float in [0, 1]
        Per-step probability of restarting from ``game.initial``.
    terminal, group, reward, eta_max
        As in :func:`~robustgames.factorization.target_fixed_point`.
    hidden : int
        Hidden width of the ``"monotone"`` mixer.
    n_checkpoints : int
        Number of evenly spaced checkpoints recorded in ``history``.
    igm : bool
        Attach :func:`~robustgames.factorization.igm_report` of the final ``Q`` and
        ``utilities`` (``igm``; ``None`` when False).
    reference : array_like, optional
        A joint table (``(S, A)`` flat joint actions or ``game.policy_shape``), e.g. the
        ``Q`` of :func:`~robustgames.factorization.target_fixed_point` for the same
        target and mixer: ``history`` then has ``q_error``, the sup norm
        ``max_{s, a} |Q(s, a) - reference(s, a)|`` of the mixer's joint table at every
        checkpoint (terminal rows excluded), and ``v_error``, the sup norm over non-terminal
        states of ``V(s) - max_a reference(s, a)`` (``V`` the mixer at the greedy actions).

    Returns
    -------
    Result
        ``Q`` (``game.policy_shape``: the mixer's joint table), ``utilities`` (list of
        ``(S, A_i)``), ``policy`` (deterministic joint policy of the per-agent greedy
        actions, ``game.policy_shape``), ``actions`` (flat greedy joint action per
        state), ``robust_value`` (its EXACT robust value at ``game.initial`` under the
        target's true set: TV or contamination of radius ``rho``, or the group set),
        ``optimum`` (exact robust optimum there), ``history`` (dict of arrays ``step``,
        ``robust_value``, ``td_abs`` (mean ``|y - Q|`` since the previous checkpoint),
        and ``q_error``, ``v_error`` with ``reference``),
        ``igm``, ``visits`` (``(S, A)`` joint-row counts).
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    if not game.discounted:
        raise ValueError("game must be discounted (finite-horizon learners are not implemented)")
    check_choice(target, "target", LEARNER_TARGETS)
    check_choice(mixer, "mixer", LEARNER_MIXERS)
    rho = check_real(rho, "rho", low=0.0, high=1.0, high_open=True)
    if target in ("g_network", "rfqi") and rho == 0.0:
        raise ValueError(f"target {target!r} needs rho > 0")
    steps = check_positive_int(steps, "steps")
    epsilon = check_real(epsilon, "epsilon", low=0.0, high=1.0)
    lr = check_real(lr, "lr", low=0.0, low_open=True, high=1.0)
    power = check_real(power, "power", low=0.5, low_open=True, high=1.0)
    eta_power = check_real(eta_power, "eta_power", low=0.5, low_open=True, high=power)
    restart = check_real(restart, "restart", low=0.0, high=1.0)
    hidden = check_positive_int(hidden, "hidden")
    n_checkpoints = check_positive_int(n_checkpoints, "n_checkpoints")
    rng = _check_rng(rng)
    term = terminal_mask(game, terminal)
    S, acts, gamma = game.n_states, game.n_actions, game.gamma
    A = game.n_joint_actions
    P = game.flat_transitions
    cum = np.cumsum(P, axis=-1)
    grp = None
    if target == "groupdr":
        if group is None:
            raise ValueError("target 'groupdr' needs group=(rewards, kernels)")
        grp = group_tables(game, group)
        r = grp[0].min(axis=0)
    else:
        r = team_reward(game, reward)
    if eta_max is None:
        eta_max = 1.0 / (rho * (1.0 - gamma)) if rho > 0 else np.inf
    mix = _Mixer(mixer, S, acts, rng, hidden)
    eta = np.zeros((S, A))
    visits = np.zeros((S, A), dtype=np.int64)
    init_cum = np.cumsum(game.initial)

    def V_all():
        return np.array([0.0 if term[x] else mix.state_value(x) for x in range(S)])

    def greedy_actions():
        return np.array([np.ravel_multi_index(mix.greedy(x), acts) for x in range(S)])

    if reference is not None:
        reference = np.asarray(reference, dtype=np.float64)
        if reference.size != S * A:
            raise ValueError(f"reference must have shape ({S}, {A}) or {game.policy_shape}, got {reference.shape}")
        reference = reference.reshape(S, A)[~term]
        ref_v = reference.max(axis=1)
    U = _true_set(target, rho)

    def exact_value(actions):
        if grp is not None:
            v = robust_policy_value(game, None, actions, terminal=term, group=grp)
        else:
            v = robust_policy_value(game, U, actions, reward=reward, terminal=term)
        return float(game.initial @ v)

    checkpoints = set(np.unique(np.linspace(steps / n_checkpoints, steps, n_checkpoints).astype(np.int64)))
    hist_step, hist_val, hist_td, hist_err, hist_verr = [], [], [], [], []
    td_sum, td_n = 0.0, 0
    s = int(np.searchsorted(init_cum, rng.random(), side="right"))
    need_min = target in ("contamination_exact", "tv_exact")
    Vmin, span = 0.0, 1.0
    for t in range(1, steps + 1):
        if need_min or target in ("tv_exact", "tv_dual", "rfqi", "g_network"):
            if t == 1 or t % max(1, S) == 0:  # refresh the global statistics every S steps
                Vv = V_all()
                Vmin, span = float(Vv.min()), float(Vv.max() - Vv.min()) + 1.0
        g = mix.greedy(s)
        a = tuple(int(rng.integers(acts[i])) if rng.random() < epsilon else int(g[i]) for i in range(len(acts)))
        fa = int(np.ravel_multi_index(a, acts))
        s2 = int(np.searchsorted(cum[s, fa], rng.random() * cum[s, fa, -1], side="right"))
        s2 = min(s2, S - 1)
        v2 = 0.0 if term[s2] else mix.state_value(s2)
        n = visits[s, fa]
        visits[s, fa] += 1
        if target == "contamination_exact":
            y = r[s, fa] + gamma * ((1 - rho) * v2 + rho * Vmin)
        elif target == "contamination":
            y = r[s, fa] + gamma * (1 - rho) * v2
        elif target == "groupdr":
            y = r[s, fa] + gamma * v2
        else:
            e = eta[s, fa]
            y = r[s, fa] + gamma * ((1 - rho) * e - max(e - v2, 0.0))
            if target == "tv_exact":
                y += gamma * rho * Vmin
            beta = (1.0 + n) ** -eta_power
            if target == "g_network":
                resid = max(e - v2, 0.0) - (1 - rho) * e
                grad = 2.0 * resid * ((1.0 if v2 < e else 0.0) - (1 - rho))
                eta[s, fa] = e - beta * grad / (2.0 * span)
            else:
                e = e + beta * span * ((1 - rho) - (1.0 if v2 < e else 0.0))
                eta[s, fa] = min(max(e, 0.0), eta_max) if target == "rfqi" else e
        alpha = lr * (1.0 + n) ** -power
        td_sum += abs(y - mix.value(s, a))
        td_n += 1
        mix.update(s, a, y, alpha)
        if term[s2] or (restart > 0 and rng.random() < restart):
            s = int(np.searchsorted(init_cum, rng.random(), side="right"))
            s = min(s, S - 1)
        else:
            s = s2
        if t in checkpoints:
            hist_step.append(t)
            hist_val.append(exact_value(greedy_actions()))
            hist_td.append(td_sum / max(td_n, 1))
            if reference is not None:
                hist_err.append(float(np.max(np.abs(mix.joint_table().reshape(S, A)[~term] - reference))))
                hist_verr.append(float(np.max(np.abs(V_all()[~term] - ref_v))))
            td_sum, td_n = 0.0, 0
    actions = greedy_actions()
    policy = np.zeros((S, A))
    policy[np.arange(S), actions] = 1.0
    Q = mix.joint_table()
    utilities = mix.utilities()
    if grp is not None:
        opt = target_fixed_point(game, "group_exact", rho, group=group, terminal=term, tol=1e-12,
                                 max_iter=1_000_000).optimum
    else:
        opt = float(game.initial @ team_robust_q(game, U, reward=reward, terminal=term).V)
    value = exact_value(actions)
    rep = igm_report(Q, utilities=utilities) if igm else None
    hist = dict(step=np.array(hist_step), robust_value=np.array(hist_val), td_abs=np.array(hist_td))
    if reference is not None:
        hist["q_error"] = np.array(hist_err)
        hist["v_error"] = np.array(hist_verr)
    return Result(Q=Q, utilities=utilities, policy=policy.reshape(game.policy_shape), actions=actions,
                  robust_value=value, optimum=opt, history=hist, igm=rep, visits=visits,
                  eta=eta, target=target, mixer=mixer, rho=rho)
