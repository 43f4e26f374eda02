"""Tabular DRMARL on the chute-mapping game: VDN learners and a contextual-bandit predictor.

DRMARL (arXiv 2503.09755; docs/theory.md section 5), made tabular so that every learned
policy can be scored exactly against the group-DRO dynamic program
(:mod:`robustgames.planning._group_dro`).

* **VDN** (paper eq. (7)): ``Q(s, a) = sum_i Q'(i, s_i, a_i)`` with ONE shared table
  ``Q'`` indexed by the agent ``i``, its local observation ``s_i = (t, c_i, l_i)`` and its
  action ``a_i`` (new chutes). Update, for a transition ``(s, a, r, s')`` at step ``t``::

      y = r + max_{a' feasible at s'} sum_i Q'(i, s'_i, a'_i)      (0 after the last step)
      Q'(i, s_i, a_i) += alpha (y - sum_j Q'(j, s_j, a_j))      for every agent i

  (the gradient of the VDN squared TD loss with respect to each table entry).
* **Joint action by an integer program** (paper eq. (8)): maximise ``sum_i Q'(i, s_i, a_i)``
  subject to ``sum_i (c_i + a_i) <= C``, see :func:`assign_chutes` (``scipy.optimize.milp``,
  an exact multiple-choice knapsack DP, or enumeration; all three are exact and tested
  against each other). Epsilon-greedy exploration draws a uniform feasible joint action.
* **Reward used in the update** (the mode of :func:`train_vdn`): the exact expected
  reward ``r_g(s, a)`` of one group ``g``, and ``s' ~ P_g(.|s, a)`` (the paper's
  approximation (32): reward and transition of the same predicted worst group):

  - ``"nominal"`` (MARL): ``g`` drawn once per day from the historical group shares;
  - ``"exhaustive"`` (DRMARL, exact worst-group search): ``g = argmin_g r_g(s, a)``,
    costing ``m`` group-reward evaluations per step;
  - ``"cb"`` (DRMARL + contextual bandit): ``g = argmin_g Q_CB(s, a, g)`` of a frozen
    predictor, no group-reward evaluation during training;
  - ``"random"``: ``g`` uniform per step;
  - ``"group"``: one fixed group (group-specific MARL, the per-group reference optimum).

* **Diagnostic options** of :func:`train_vdn` (not in the paper; defaults reproduce it):

  - ``factorisation="joint"``: no VDN factorisation, one table ``Q(t, s, a)`` over the
    joint state and the feasible joint actions, updated by
    ``Q(t, s, a) += alpha (y - Q(t, s, a))``; the greedy action is the feasible argmax
    (the integer program is then unnecessary). Same exploration, same targets.
  - ``target="expected"``: the conditional expectation of the approximate target given
    ``(t, s, a)``, over ``s'`` and over the mode's random group:
    ``y = sum_g w_g [r_g(s, a) + sum_s' P_g(s' | s, a) V_{t+1}(s')]`` with ``w`` the
    historical shares (``"nominal"``), uniform (``"random"``) or the point mass on the
    mode's group (the other modes). It removes the sampling noise (so a tabular learner
    converges like asynchronous dynamic programming) but keeps the approximation (32);
    the rollout still samples the group and ``s'`` as the mode does. With
    ``mode="nominal"`` and group-free transitions (variant ``"a"``) its fixed point is the
    nominal optimum (the dynamic program on the mixture tables);
  - ``target="rectangular"`` (``mode="exhaustive"`` only): the exact (s, a)-rectangular
    DR target ``y = min_g [r_g(s, a) + sum_s' P_g(s' | s, a) V_{t+1}(s')]`` (the worst
    group of the *whole* target, DRMARL eq. (12) with group-dependent kernels; the backup
    of :func:`robustgames.planning._group_dro.group_dro_backup`, ``method="rectangular"``),
    with the learner's own ``V_{t+1}(s') = max_{a' feasible} Q(t+1, s', a')``; the
    rollout continues with ``s' ~ P_{g*}`` for the minimising group ``g*``.

  ``target="approximate"`` (default) is the sampled target above; its fixed point is the
  predicted-group dynamic program (``group_dro_solve(..., method="predicted")``), that of
  ``"rectangular"`` the exact group-DRO dynamic program. Both model-based targets use the
  exact group tables (as exhaustive search uses the exact ``r_g``) and cost ``m`` group
  evaluations per step.

* **Contextual-bandit predictor** (paper Algorithm 1, loss (16)): a table
  ``Q_CB(s, a, g)`` fitted to *sampled* rewards ``r(s, a; X)``, ``X ~ P_g``, by running
  averages; contexts ``(s, a)`` come from epsilon-greedy rollouts of a given policy
  (a trained MARL table), arms ``g`` are chosen epsilon_CB-greedily towards the predicted
  worst (``argmin``); unvisited arms start at 0, so each is tried once. Then frozen.

Compute is counted in every result: ``group_evaluations`` (exact ``r_g(s, a)`` look-ups,
each standing for one group simulation in the paper), ``env_steps`` and ``wall_time``.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from .._result import Result
from .._validation import check_choice, check_positive_int

__all__ = [
    "assign_chutes",
    "train_vdn",
    "train_cb_predictor",
    "greedy_joint_policy",
    "cb_accuracy",
    "evaluate_joint_policy",
]


# ---------------------------------------------------------------------------------------
# the integer program
# ---------------------------------------------------------------------------------------
def assign_chutes(q_local, budget: int, method: str = "milp"):
    """Best joint action ``argmax sum_i q_local[i, a_i]`` s.t. ``sum_i a_i <= budget``.

    The integer program of DRMARL eq. (8) with binary ``z[i, k] = 1{a_i = k}``::

        max sum_{i,k} q[i,k] z[i,k]  s.t.  sum_k z[i,k] = 1,  sum_{i,k} k z[i,k] <= budget.

    Parameters
    ----------
    q_local : (N, K) array
        ``Q'(i, s_i, k)`` for ``k = 0..K-1`` new chutes.
    budget : int
        Free chutes ``C - sum_i c_i`` (non-negative).
    method : {"milp", "knapsack", "brute"}
        ``scipy.optimize.milp`` (HiGHS); an exact multiple-choice knapsack dynamic program
        (``O(N K budget)``); or enumeration of all ``K**N`` joint actions.

    Returns
    -------
    actions : (N,) int
    value : float
    """
    q = np.asarray(q_local, dtype=np.float64)
    if q.ndim != 2:
        raise ValueError(f"q_local must be (N, K), got shape {q.shape}")
    N, K = q.shape
    if budget < 0:
        raise ValueError(f"budget must be non-negative, got {budget}")
    check_choice(method, "method", ("milp", "knapsack", "brute"))
    if method == "brute":
        best, arg = -np.inf, None
        for acts in itertools.product(range(K), repeat=N):
            if sum(acts) <= budget:
                v = sum(q[i, a] for i, a in enumerate(acts))
                if v > best:
                    best, arg = v, acts
        return np.asarray(arg, dtype=np.int64), float(best)
    if method == "knapsack":
        B = int(budget)
        best = np.zeros(B + 1)  # best[b]: agents so far using at most b chutes
        choice = np.zeros((N, B + 1), dtype=np.int64)
        for i in range(N):
            new = np.full(B + 1, -np.inf)
            for b in range(B + 1):
                for k in range(min(K - 1, b) + 1):
                    v = best[b - k] + q[i, k]
                    if v > new[b]:
                        new[b], choice[i, b] = v, k
            best = new
        acts = np.zeros(N, dtype=np.int64)
        b = B
        for i in range(N - 1, -1, -1):
            acts[i] = choice[i, b]
            b -= acts[i]
        return acts, float(best[B])
    from scipy.optimize import Bounds, LinearConstraint, milp

    c = -q.reshape(-1)
    rows = np.kron(np.eye(N), np.ones(K))  # one choice per agent
    usage = np.tile(np.arange(K, dtype=np.float64), N)
    cons = [LinearConstraint(rows, 1, 1), LinearConstraint(usage[None], -np.inf, budget)]
    res = milp(c, integrality=np.ones(N * K), bounds=Bounds(0, 1), constraints=cons)
    if not res.success:
        raise RuntimeError(f"milp failed: {res.message}")
    z = np.round(res.x).reshape(N, K)
    acts = z.argmax(axis=1).astype(np.int64)
    return acts, float(q[np.arange(N), acts].sum())


# ---------------------------------------------------------------------------------------
# helpers on the game's encoding
# ---------------------------------------------------------------------------------------
def _local_index(game):
    """Local observation index ``c_i * L + l_i`` of every agent in every joint state, (S, N)."""
    return game.chutes * game.n_levels + game.levels


def _joint_q(qtab, t, loc, joint):
    """``sum_i Q'(i, t, loc_i, joint[:, i])`` for every joint action, (A,)."""
    N = joint.shape[1]
    out = qtab[0, t, loc[0], joint[:, 0]].copy()
    for i in range(1, N):
        out += qtab[i, t, loc[i], joint[:, i]]
    return out


class _Greedy:
    """Greedy feasible joint action of a VDN table, by the chosen IP method."""

    def __init__(self, game, ip):
        self.game, self.ip = game, ip
        self.loc = _local_index(game)
        self.budget = game.n_chutes - game.chutes.sum(axis=1)
        self.K = game.max_new + 1
        self.index = {tuple(a): k for k, a in enumerate(game.joint.tolist())}

    def __call__(self, qtab, t, s):
        g = self.game
        if self.ip == "enumerate":
            vals = np.where(g.feasible[s], _joint_q(qtab, t, self.loc[s], g.joint), -np.inf)
            a = int(np.argmax(vals))
            return a, float(vals[a])
        ql = qtab[np.arange(g.n_destinations), t, self.loc[s], :]
        acts, val = assign_chutes(ql, int(self.budget[s]), self.ip)
        return self.index[tuple(int(x) for x in acts)], val


def greedy_joint_policy(game, qtab, ip: str = "enumerate") -> np.ndarray:
    """Deterministic joint policy ``(T, S)`` (flat joint actions) of a VDN table."""
    greedy = _Greedy(game, ip)
    return np.array([[greedy(qtab, t, s)[0] for s in range(game.n_states)] for t in range(game.steps)],
                    dtype=np.int64)


# ---------------------------------------------------------------------------------------
# learners
# ---------------------------------------------------------------------------------------
def train_vdn(game, mode: str = "nominal", *, episodes: int = 3000, alpha=0.1,
              epsilon: tuple = (1.0, 0.05), group: int | None = None, predictor=None,
              ip: str = "enumerate", factorisation: str = "vdn", target: str = "approximate",
              omega: float = 0.6, rng=None) -> Result:
    """Train a tabular VDN team on the chute game (module docstring for the modes).

    Parameters
    ----------
    game : ChuteGame
    mode : {"nominal", "exhaustive", "cb", "random", "group"}
    episodes : int
        Days of ``T`` steps.
    alpha : float or "decay"
        Step size of the update: a constant in ``(0, 1]``, or ``"decay"``: the
        Robbins-Monro schedule ``alpha_n = 1 / (1 + n)**omega`` with ``n`` the number of
        earlier updates of the entry (VDN: of each local entry ``(i, t, s_i, a_i)``;
        joint table: of ``(t, s, a)``). With ``omega`` in ``(1/2, 1]``, ``sum alpha_n =
        inf`` and ``sum alpha_n**2 < inf`` (the stochastic-approximation conditions under
        which tabular Q-learning converges, Jaakkola, Jordan & Singh 1994; polynomial
        steps: Even-Dar & Mansour 2003); a constant step keeps a noise floor of order
        ``alpha`` times the target's variance.
    omega : float
        Exponent of ``alpha="decay"`` (default 0.6), in ``(1/2, 1]``.
    epsilon : (float, float)
        Exploration rate, decayed linearly from the first to the second value over the
        first 80% of the episodes.
    group : int, optional
        The group of ``mode="group"``.
    predictor : (S, A, m) array, optional
        Frozen ``Q_CB`` of ``mode="cb"`` (see :func:`train_cb_predictor`).
    ip : {"enumerate", "knapsack", "milp"}
        How the greedy joint action (the IP) is solved during training (VDN only).
    factorisation : {"vdn", "joint"}
        ``"vdn"``: ``Q(s, a) = sum_i Q'(i, s_i, a_i)`` (paper eq. (7)); ``"joint"``: one
        table ``Q(t, s, a)`` over joint states and joint actions (a diagnostic baseline
        without the factorisation; module docstring).
    target : {"approximate", "expected", "rectangular"}
        ``"approximate"``: ``r_g(s, a) + V_{t+1}(s')``, ``s' ~ P_g`` (paper eq. (32));
        ``"expected"``: ``sum_g w_g [r_g(s, a) + P_g(.|s, a) . V_{t+1}]``, ``w`` the
        mode's group distribution (module docstring); ``"rectangular"`` (mode
        ``"exhaustive"`` only): ``min_g [r_g(s, a) + P_g(.|s, a) . V_{t+1}]``, the exact
        group-DRO target. ``V_{t+1}(s') = max_{a' feasible} Q(t+1, s', a')``, 0 after
        the last step.

    Returns
    -------
    Result
        ``q_local`` (N, T, (C+1) L, K) VDN table (``None`` for ``factorisation="joint"``),
        ``q_joint`` (T, S, A) joint table (``None`` for VDN; ``-inf`` on infeasible
        actions), ``policy`` (T, S) greedy joint policy, ``value_estimate`` (learned
        ``max_a Q(s_0, a)`` at ``t = 0``), ``group_evaluations``, ``env_steps``,
        ``wall_time``, ``mode``, ``factorisation``, ``target``.
    """
    check_choice(mode, "mode", ("nominal", "exhaustive", "cb", "random", "group"))
    check_choice(ip, "ip", ("enumerate", "knapsack", "milp"))
    check_choice(factorisation, "factorisation", ("vdn", "joint"))
    check_choice(target, "target", ("approximate", "expected", "rectangular"))
    if target == "rectangular" and mode != "exhaustive":
        raise ValueError(f"target='rectangular' needs mode='exhaustive' (the worst group of the whole target), got mode={mode!r}")
    episodes = check_positive_int(episodes, "episodes")
    decay = isinstance(alpha, str)
    if decay:
        check_choice(alpha, "alpha", ("decay",))
        if not (isinstance(omega, (int, float)) and 0.5 < float(omega) <= 1.0):
            raise ValueError(f"omega must lie in (1/2, 1] for alpha='decay', got {omega!r}")
    elif isinstance(alpha, bool) or not (isinstance(alpha, (int, float, np.floating)) and 0.0 < float(alpha) <= 1.0):
        raise ValueError(f"alpha must be a number in (0, 1] or 'decay', got {alpha!r}")
    if mode == "group" and (group is None or not 0 <= int(group) < game.n_groups):
        raise ValueError(f"group must be a group index in [0, {game.n_groups}) for mode='group', got {group}")
    if mode == "cb":
        predictor = np.asarray(predictor, dtype=np.float64)
        if predictor.shape != (game.n_states, game.n_joint_actions, game.n_groups):
            raise ValueError(f"predictor must have shape {(game.n_states, game.n_joint_actions, game.n_groups)}")
        cb_group = np.argmin(predictor, axis=2)
    rng = np.random.default_rng(rng)
    start = time.perf_counter()
    N, T, m = game.n_destinations, game.steps, game.n_groups
    K = game.max_new + 1
    joint_tab = factorisation == "joint"
    feasible_actions = [np.flatnonzero(game.feasible[s]) for s in range(game.n_states)]
    if joint_tab:
        qtab = np.where(game.feasible[None], 0.0, -np.inf) * np.ones((T, 1, 1))

        def greedy(q, t, s):
            a = int(np.argmax(q[t, s]))
            return a, float(q[t, s, a])
    else:
        qtab = np.zeros((N, T, (game.n_chutes + 1) * game.n_levels, K))
        greedy = _Greedy(game, ip)
        loc = greedy.loc
    visits = np.zeros(qtab.shape, dtype=np.int64)  # updates per entry (for alpha="decay")
    cdf = np.cumsum(game.outcome_pmf, axis=1)
    pmf = game.outcome_pmf
    r_all = game.rewards
    worst = np.argmin(r_all, axis=0)  # (S, A), used by "exhaustive" (m evaluations each)
    evals = steps = 0
    eps0, eps1 = epsilon
    ar = np.arange(N)

    support = {}  # (s, a) -> (distinct next states, outcome -> position), filled lazily

    def continuation(t, s, a):
        """``sum_s' P_g(s' | s, a) V_{t+1}(s')`` for every group g, (m,)."""
        if t + 1 >= T:
            return np.zeros(m)
        if (s, a) not in support:
            uniq, inv = np.unique(game.outcome_next[s, a], return_inverse=True)
            support[s, a] = (uniq.tolist(), inv)
        uniq, inv = support[s, a]
        vals = np.array([greedy(qtab, t + 1, s2)[1] for s2 in uniq])
        return pmf @ vals[inv]

    for ep in range(episodes):
        eps = eps1 + (eps0 - eps1) * max(0.0, 1.0 - ep / (0.8 * episodes))
        s = game.initial_state
        day_group = rng.choice(m, p=game.group_weights) if mode == "nominal" else None
        for t in range(T):
            if rng.random() < eps:
                fa = feasible_actions[s]
                a = int(fa[rng.integers(len(fa))])
            else:
                a = greedy(qtab, t, s)[0]
            if mode == "nominal":
                g = day_group
                evals += 1
            elif mode == "exhaustive":
                g = worst[s, a]
                evals += m
            elif mode == "cb":
                g = cb_group[s, a]
            elif mode == "random":
                g = int(rng.integers(m))
                evals += 1
            else:
                g = int(group)
                evals += 1
            if target == "approximate":
                o = min(int(np.searchsorted(cdf[g], rng.random(), side="right")), cdf.shape[1] - 1)
                s2 = game.outcome_next[s, a, o]
                y = r_all[g, s, a] + (greedy(qtab, t + 1, s2)[1] if t + 1 < T else 0.0)
            else:
                totals = r_all[:, s, a] + continuation(t, s, a)
                if target == "rectangular":
                    g = int(np.argmin(totals))
                    y = totals[g]
                elif mode == "nominal":  # expectation over the day's group too (historical shares)
                    y = float(game.group_weights @ totals)
                elif mode == "random":  # expectation over the uniform group
                    y = float(totals.mean())
                else:
                    y = totals[g]
                o = min(int(np.searchsorted(cdf[g], rng.random(), side="right")), cdf.shape[1] - 1)
                s2 = game.outcome_next[s, a, o]
            steps += 1
            if joint_tab:
                step = (1.0 + visits[t, s, a]) ** -omega if decay else alpha
                visits[t, s, a] += 1
                qtab[t, s, a] += step * (y - qtab[t, s, a])
            else:
                ja = game.joint[a]
                li = loc[s]
                delta = y - qtab[ar, t, li, ja].sum()
                step = (1.0 + visits[ar, t, li, ja]) ** -omega if decay else alpha
                visits[ar, t, li, ja] += 1
                qtab[ar, t, li, ja] += step * delta
            s = s2
    wall = time.perf_counter() - start
    if joint_tab:
        policy = np.argmax(qtab, axis=2).astype(np.int64)
    else:
        policy = greedy_joint_policy(game, qtab, "enumerate" if ip == "enumerate" else ip)
    value = greedy(qtab, 0, game.initial_state)[1]
    return Result(q_local=None if joint_tab else qtab, q_joint=qtab if joint_tab else None, policy=policy,
                  value_estimate=value, group_evaluations=evals, env_steps=steps, wall_time=wall, mode=mode,
                  factorisation=factorisation, target=target)


def train_cb_predictor(game, behaviour_q, *, episodes: int = 500, epsilon_policy: float = 0.3,
                       epsilon_cb: float = 0.2, rng=None) -> Result:
    """Contextual-bandit worst-group predictor, DRMARL Algorithm 1 (tabular).

    Contexts ``(s, a)`` come from rollouts of the greedy policy of ``behaviour_q`` (a VDN
    table, e.g. nominal MARL) with ``epsilon_policy``-random feasible actions; the arm
    ``g`` is uniform with probability ``epsilon_cb`` and ``argmin_g Q_CB(s, a, g)``
    otherwise; one outcome ``X ~ P_g`` is simulated, its realised reward ``r(s, a; X)``
    updates the running mean ``Q_CB(s, a, g)`` (the tabular minimiser of loss (16)), and
    the rollout continues from the realised next state.

    Returns
    -------
    Result
        ``q_cb`` (S, A, m), ``counts`` (S, A, m) samples per cell, ``group_samples``
        (simulated group rewards), ``env_steps``, ``wall_time``.
    """
    episodes = check_positive_int(episodes, "episodes")
    rng = np.random.default_rng(rng)
    start = time.perf_counter()
    S, A, m, T = game.n_states, game.n_joint_actions, game.n_groups, game.steps
    q_cb = np.zeros((S, A, m))
    counts = np.zeros((S, A, m), dtype=np.int64)
    greedy = _Greedy(game, "enumerate")
    feasible_actions = [np.flatnonzero(game.feasible[s]) for s in range(S)]
    cdf = np.cumsum(game.outcome_pmf, axis=1)
    steps = 0
    for _ in range(episodes):
        s = game.initial_state
        for t in range(T):
            if rng.random() < epsilon_policy:
                fa = feasible_actions[s]
                a = int(fa[rng.integers(len(fa))])
            else:
                a = greedy(behaviour_q, t, s)[0]
            g = int(rng.integers(m)) if rng.random() < epsilon_cb else int(np.argmin(q_cb[s, a]))
            o = min(int(np.searchsorted(cdf[g], rng.random(), side="right")), cdf.shape[1] - 1)
            counts[s, a, g] += 1
            q_cb[s, a, g] += (game.outcome_reward[s, a, o] - q_cb[s, a, g]) / counts[s, a, g]
            s = game.outcome_next[s, a, o]
            steps += 1
    return Result(q_cb=q_cb, counts=counts, group_samples=steps, env_steps=steps,
                  wall_time=time.perf_counter() - start)


def cb_accuracy(game, q_cb, counts=None, tol: float = 1e-12) -> Result:
    """Accuracy of the predicted worst group ``argmin_g Q_CB(s, a, g)`` over feasible (s, a).

    A prediction is correct when its exact reward is within ``tol`` of ``min_g r_g(s, a)``
    (ties count as correct). ``reward_lost`` is ``r_{g_pred}(s, a) - min_g r_g(s, a)``.

    Returns
    -------
    Result
        ``accuracy`` (all feasible (s, a); an unvisited pair has ``Q_CB = 0`` for every
        group and predicts group 0), ``mean_reward_lost``, ``max_reward_lost``,
        ``mean_relative_loss`` (lost / min reward, where positive); when ``counts`` is
        given, also over the pairs the CB visited: ``accuracy_visited``,
        ``share_visited``, ``mean_reward_lost_visited``, ``max_reward_lost_visited`` and
        ``weighted_reward_lost`` (weighted by the visit counts: the expected cost of a
        mistake per CB sample).
    """
    r = game.rewards
    pred = np.argmin(q_cb, axis=2)
    S, A = pred.shape
    s_idx, a_idx = np.indices((S, A))
    lost = r[pred, s_idx, a_idx] - r.min(axis=0)
    F = game.feasible
    correct = lost <= tol
    rmin = r.min(axis=0)
    rel = np.divide(lost, rmin, out=np.zeros_like(lost), where=rmin > 0)
    out = dict(accuracy=float(correct[F].mean()), mean_reward_lost=float(lost[F].mean()),
               max_reward_lost=float(lost[F].max()), mean_relative_loss=float(rel[F].mean()))
    if counts is not None:
        visits = np.asarray(counts).sum(axis=2) * F
        seen = visits > 0
        out["accuracy_visited"] = float(correct[seen].mean()) if seen.any() else float("nan")
        out["share_visited"] = float(seen.sum() / F.sum())
        out["mean_reward_lost_visited"] = float(lost[seen].mean()) if seen.any() else float("nan")
        out["max_reward_lost_visited"] = float(lost[seen].max()) if seen.any() else float("nan")
        out["weighted_reward_lost"] = float((visits * lost).sum() / visits.sum()) if seen.any() else float("nan")
    return Result(**out)


def evaluate_joint_policy(game, policy) -> Result:
    """Exact per-group metrics of a deterministic joint policy ``(T, S)``.

    Each group is held fixed for the whole day (as the paper evaluates per test group).

    Returns
    -------
    Result
        ``recirculation_rate`` (m,) recirculation events / expected inducted packages
        (mean volume times ``T``; can exceed 1 in variant b, where a returned package can
        recirculate again); ``throughput`` (m,)
        sorted packages per day; ``value`` (m,) expected team return; ``robust_value``
        ((s, a)-rectangular group adversary, at the start state); ``predicted_value``
        (the policy's value under the paper's approximation (32): the group
        ``g'(s, a) = argmin_g r_g(s, a)`` is fixed per (s, a), reward and transition of
        ``g'``; the objective that ``target="approximate"`` learners optimise, an upper
        bound on ``robust_value``).
    """
    from ..planning._group_dro import policy_value_per_group, robust_policy_values

    P = game.transitions
    T, s0 = game.steps, game.initial_state
    rec = policy_value_per_group(game.recirculated, P, policy, T, s0)
    thr = policy_value_per_group(game.throughput, P, policy, T, s0)
    val = policy_value_per_group(game.rewards, P, policy, T, s0)
    rob = robust_policy_values(game.rewards, P, policy, T)[0, s0]
    pol = np.asarray(policy)
    s_idx = np.arange(game.n_states)
    worst = np.argmin(game.rewards, axis=0)
    v = np.zeros(game.n_states)
    for h in range(T - 1, -1, -1):
        a = pol[h]
        g = worst[s_idx, a]
        v = game.rewards[g, s_idx, a] + P[g, s_idx, a] @ v
    return Result(recirculation_rate=rec / (getattr(game, "mean_volume", game.volume) * T), throughput=thr, value=val, robust_value=float(rob),
                  predicted_value=float(v[s0]))
