"""The dynamic chute-mapping game of DRMARL, small enough to solve exactly.

A faithful, exactly solvable miniature of the sortation-centre problem of DRMARL
(arXiv 2503.09755, section 2; docs/theory.md section 5). The paper's simulator is proprietary;
this model keeps its structure and makes every expectation exact.

Model
-----
* ``N`` destinations, one agent each; ``C`` eject chutes (the budget); a chute sorts up
  to ``kappa`` packages per step; a day has ``T`` steps.
* Each step ``V`` packages are inducted and split over destinations by a multinomial
  draw ``X ~ Mult(V, p)``; ``p`` is the destination mix of one of ``m`` *induction
  groups*. Groups are built as in the paper (section 3.1): ``n_days`` "historical" daily
  mixes are simulated (seeded Dirichlet draws, or a trend-plus-noise model), clustered by
  k-means (``scipy.cluster.vq.kmeans2``), and each centroid is a group distribution
  ``p_g``. The ambiguity set is the convex hull of the group distributions ``P_g`` of
  ``X`` (mixtures of the multinomials).
* Agent ``i`` observes ``(t, c_i, l_i)``: the step, the chutes it holds and its
  recirculation level. It acts by allocating ``a_i in {0..max_new}`` new chutes; the
  joint action is feasible iff ``sum_i (c_i + a_i) <= C``. Chutes are kept for the rest
  of the day (``c' = c + a``); the day starts with ``initial_chutes`` chutes per
  destination and level 0 (the state :attr:`ChuteGame.initial_state`).
* **Infeasible joint actions** (only relevant when the game is exported as a
  :class:`MarkovGame`, whose action sets are products): an infeasible joint action is
  *void*, i.e. it acts as the all-zero action (nobody gets a chute). The rule is
  symmetric in the players; planners and learners of this module only use feasible
  actions, for which it never applies.
* Step dynamics, with ``K_i = kappa (c_i + a_i)`` and carried backlog ``b_i = delta l_i``
  (``delta = kappa``): load ``L_i = X_i + b_i``, sorted ``min(L_i, K_i)``, overflow
  ``o_i = L_i - min(L_i, K_i)`` (recirculated packages).

  - variant ``"a"``: recirculated packages are lost to the step. The level carries no
    information and is fixed at 0 (one level): transitions are deterministic and
    independent of ``X`` (the setting of DRMARL Lemma 3.2).
  - variant ``"b"``: recirculated packages come back next step. The next level is
    ``l'_i = min(floor(o_i / delta), n_levels - 1)``, and ``delta l'_i`` packages are
    carried; the rest of the overflow (rounding, cap) is lost. Transitions depend on
    ``X`` and hence on the group.

* Team reward (every agent gets the same), normalised to ``[0, 1]``::

      r = (sum_i sorted_i + rho (L_max - sum_i o_i)) / ((1 + rho) L_max),
      L_max = V + N delta (n_levels - 1)

  (throughput rewarded, recirculation penalised with weight ``rho``). Every table is an
  exact expectation: the multinomial outcomes of ``X`` are enumerated (``binom(V+N-1,
  N-1)`` of them), so ``r_g(s, a)`` and ``P_g(s' | s, a)`` carry no sampling error.
* **Random volume** (optional, ``volume_pmf``; default: ``V`` is fixed): the volume
  of each step is drawn i.i.d. from ``P(V_t = v) = volume_pmf[v]`` and then split by
  ``X ~ Mult(V_t, p_g)``; the outcomes of every volume are enumerated, so the tables
  stay exact (``P_g(x) = volume_pmf[sum x] Mult(x; sum x, p_g)``). The reward keeps the
  normaliser ``L_max`` of the nominal ``volume`` (the same reward function of sorted and
  recirculated packages as the fixed-volume game, so values are comparable across
  volume distributions); a drawn volume above ``volume`` can then take it outside
  ``[0, 1]``. Used to evaluate policies trained at a constant volume under volume noise.
* Metrics: recirculation rate = recirculation events / inducted packages over the day
  (in variant ``"b"`` a package that recirculates twice counts twice, so the rate can
  exceed 100% when backlog builds up); throughput = sorted packages per day.

Joint states are pairs (chute vector with ``sum c <= C``, level vector), indexed
``s = chute_index * n_levels**N + level_index``; :meth:`ChuteGame.decode` and
:meth:`ChuteGame.encode` convert. Joint actions are flattened in C order (as
:func:`robustgames.joint_index`). The start state is ``ChuteGame.initial_state`` (every
destination holds ``initial_chutes`` chutes, level 0); it is state ``0`` only when
``initial_chutes=0``.
Dynamics and rewards do not depend on ``t`` (stationary tables); the horizon ``T`` enters
in planning and in :meth:`ChuteGame.as_markov_game`.
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

from .._validation import as_float_array, check_choice, check_distributions, check_positive_int
from ._markov_game import MarkovGame


def multinomial_outcomes(volume: int, n: int) -> np.ndarray:
    """All count vectors ``x in N^n`` with ``sum x = volume``, shape ``(O, n)``."""
    rows = [c for c in itertools.product(range(volume + 1), repeat=n) if sum(c) == volume]
    return np.asarray(rows, dtype=np.int64).reshape(len(rows), n)


def multinomial_pmf(outcomes: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Exact multinomial probabilities of ``outcomes`` (O, n) under each row of ``probabilities`` (m, n)."""
    outcomes = np.asarray(outcomes)
    # rows may have different totals (a volume distribution): each row's own multinomial coefficient
    logcoef = np.array([math.lgamma(int(row.sum()) + 1) - sum(math.lgamma(int(x) + 1) for x in row)
                        for row in outcomes])
    p = np.atleast_2d(np.asarray(probabilities, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.log(p)  # -inf where p == 0
        # x * log p with the convention 0 * log 0 = 0
        terms = np.where(outcomes[None, :, :] > 0, outcomes[None, :, :] * logp[:, None, :], 0.0)
    pmf = np.exp(logcoef[None, :] + terms.sum(axis=2))
    totals = outcomes.sum(axis=1)
    if (totals == totals[0]).all():
        return pmf / pmf.sum(axis=1, keepdims=True)
    return pmf  # exact per-volume multinomial probabilities (each volume's block sums to 1)


def simulate_history(n_destinations: int, n_days: int, model: str, rng) -> np.ndarray:
    """Simulated historical daily destination mixes, ``(n_days, N)`` rows on the simplex.

    ``"dirichlet"``: a few seasonal modes ``mu_k ~ Dir(1)``; day ``d`` draws a mode and
    ``p_d ~ Dir(concentration mu_k)``. ``"trend"``: logits ``= base + slope d / n_days +
    amplitude sin(2 pi d / 7) + noise`` (a trend with a weekly cycle), softmax.
    """
    rng = np.random.default_rng(rng)
    N = n_destinations
    if model == "dirichlet":
        modes = rng.dirichlet(np.ones(N), size=3)
        which = rng.integers(0, 3, size=n_days)
        return np.array([rng.dirichlet(20.0 * modes[k] + 0.5) for k in which])
    base = rng.normal(0.0, 0.5, size=N)
    slope = rng.normal(0.0, 1.0, size=N)
    amplitude = rng.normal(0.0, 0.5, size=N)
    d = np.arange(n_days)[:, None]
    logits = base + slope * d / n_days + amplitude * np.sin(2 * np.pi * d / 7) + rng.normal(0, 0.3, (n_days, N))
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def cluster_groups(mixes: np.ndarray, n_groups: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """k-means (``scipy.cluster.vq.kmeans2``, k-means++ start) of daily mixes into groups.

    Returns ``(groups (m, N), weights (m,), labels (n_days,))``: centroids (renormalised
    onto the simplex), cluster shares and day labels. Retries with a fresh seed when a
    cluster comes out empty (at most 50 times).
    """
    from scipy.cluster.vq import ClusterError, kmeans2

    rng = np.random.default_rng(rng)
    for _ in range(50):
        try:
            centroids, labels = kmeans2(mixes, n_groups, minit="++", missing="raise", rng=rng)
        except ClusterError:
            continue
        counts = np.bincount(labels, minlength=n_groups)
        if counts.min() > 0:
            groups = np.clip(centroids, 0.0, None)
            groups /= groups.sum(axis=1, keepdims=True)
            return groups, counts / counts.sum(), labels
    raise ValueError(f"n_groups={n_groups}: k-means kept leaving clusters empty; use fewer groups or more days")


class ChuteGame:
    """Exact tables of the chute-mapping game (see the module docstring for the model).

    Build with :func:`chute_mapping_game`. Main attributes (all float64 unless noted):

    ``rewards`` (m, S, A)            exact team reward ``r_g(s, a)`` in [0, 1]
    ``transitions`` (m, S, A, S)     ``P_g(s' | s, a)``
    ``throughput`` (m, S, A)         expected sorted packages in the step
    ``recirculated`` (m, S, A)       expected recirculated packages in the step
    ``feasible`` (S, A) bool         ``sum_i (c_i + a_i) <= C``
    ``groups`` (m, N), ``group_weights`` (m,), ``history`` (n_days, N), ``history_labels``
    ``outcomes`` (O, N) int, ``outcome_pmf`` (m, O), ``outcome_next`` (S, A, O) int,
    ``outcome_reward`` / ``outcome_throughput`` / ``outcome_recirculated`` (S, A, O):
    the simulator (per multinomial outcome) from which the tables are exact averages.
    ``chutes`` (S, N) int, ``levels`` (S, N) int, ``joint`` (A, N) int: decoded states / actions.
    """

    def __init__(self, *, n_destinations, n_chutes, capacity, volume, steps, max_new, n_levels,
                 variant, rho, groups, group_weights, history, history_labels, initial_chutes=0,
                 volume_pmf=None):
        self.n_destinations = N = n_destinations
        self.n_chutes = n_chutes
        self.capacity = capacity
        self.volume = volume
        self.steps = steps
        self.max_new = max_new
        self.variant = variant
        self.n_levels = L = n_levels if variant == "b" else 1
        self.rho = float(rho)
        self.delta = capacity
        self.groups = groups
        self.group_weights = group_weights
        self.history = history
        self.history_labels = history_labels
        self.max_load = volume + N * self.delta * (L - 1)

        chute_vectors = [c for c in itertools.product(range(n_chutes + 1), repeat=N) if sum(c) <= n_chutes]
        level_vectors = list(itertools.product(range(L), repeat=N))
        self._chute_index = {c: k for k, c in enumerate(chute_vectors)}
        self._n_level_vectors = len(level_vectors)
        self.chutes = np.array([c for c in chute_vectors for _ in level_vectors], dtype=np.int64).reshape(-1, N)
        self.levels = np.array([lv for _ in chute_vectors for lv in level_vectors], dtype=np.int64).reshape(-1, N)
        self.n_states = S = len(self.chutes)
        self.n_actions = (max_new + 1,) * N
        self.joint = np.array(list(itertools.product(range(max_new + 1), repeat=N)), dtype=np.int64)
        self.n_joint_actions = A = len(self.joint)
        self.feasible = (self.chutes.sum(1)[:, None] + self.joint.sum(1)[None, :]) <= n_chutes

        # volume distribution: {v: P(V_t = v)}; the default is the point mass at ``volume``
        self.volume_pmf = {int(volume): 1.0} if volume_pmf is None else dict(volume_pmf)
        self.mean_volume = float(sum(v * p for v, p in self.volume_pmf.items()))
        self.outcomes = np.concatenate([multinomial_outcomes(v, N) for v in self.volume_pmf])
        self.outcome_pmf = self._outcome_pmf(groups)
        O = len(self.outcomes)
        nxt = np.empty((S, A, O), dtype=np.int64)
        rew = np.empty((S, A, O))
        thr = np.empty((S, A, O))
        rec = np.empty((S, A, O))
        for s in range(S):
            for a in range(A):
                nxt[s, a], rew[s, a], thr[s, a], rec[s, a] = self._dynamics(
                    self.chutes[s], self.levels[s], self.joint[a], self.outcomes
                )
        self.outcome_next, self.outcome_reward = nxt, rew
        self.outcome_throughput, self.outcome_recirculated = thr, rec
        pmf = self.outcome_pmf
        self.rewards = np.einsum("go,sao->gsa", pmf, rew)
        self.throughput = np.einsum("go,sao->gsa", pmf, thr)
        self.recirculated = np.einsum("go,sao->gsa", pmf, rec)
        m = len(groups)
        P = np.zeros((m, S, A, S))
        sa = np.arange(S * A).repeat(O)
        flat = P.reshape(m, S * A, S)
        for g in range(m):
            np.add.at(flat[g], (sa, nxt.reshape(-1)), np.tile(pmf[g], S * A))
        self.transitions = P
        self.initial_chutes = initial_chutes
        self.initial_state = self.encode((initial_chutes,) * N, (0,) * N)

    # -- the dynamics of one step ---------------------------------------------------
    def _dynamics(self, chutes, levels, action, outcomes):
        """Next state, reward, throughput, recirculation for every outcome row of ``outcomes``."""
        if chutes.sum() + action.sum() > self.n_chutes:  # void rule for infeasible actions
            action = np.zeros_like(action)
        new_chutes = chutes + action
        cap = self.capacity * new_chutes
        load = outcomes + self.delta * levels
        sorted_ = np.minimum(load, cap)
        over = load - sorted_
        if self.variant == "b":
            new_levels = np.minimum(over // self.delta, self.n_levels - 1)
        else:
            new_levels = np.zeros_like(over)
        thr = sorted_.sum(axis=1).astype(np.float64)
        rec = over.sum(axis=1).astype(np.float64)
        reward = (thr + self.rho * (self.max_load - rec)) / ((1.0 + self.rho) * self.max_load)
        nxt = np.array([self.encode(new_chutes, lv) for lv in new_levels], dtype=np.int64)
        return nxt, reward, thr, rec

    # -- encoding ---------------------------------------------------------------------
    def encode(self, chutes, levels) -> int:
        """Joint state index of (chute vector, level vector)."""
        chutes = tuple(int(c) for c in chutes)
        if chutes not in self._chute_index:
            raise ValueError(f"chutes={chutes} is not a state (sum must be <= {self.n_chutes})")
        li = 0
        for lv in levels:
            if not 0 <= int(lv) < self.n_levels:
                raise ValueError(f"levels={tuple(levels)} out of range [0, {self.n_levels})")
            li = li * self.n_levels + int(lv)
        return self._chute_index[chutes] * self._n_level_vectors + li

    def decode(self, state) -> tuple[np.ndarray, np.ndarray]:
        """``(chutes (N,), levels (N,))`` of joint state index ``state``."""
        state = int(state)
        if not 0 <= state < self.n_states:
            raise ValueError(f"state={state} is out of range for {self.n_states} states")
        return self.chutes[state].copy(), self.levels[state].copy()

    def _outcome_pmf(self, probabilities) -> np.ndarray:
        """``P(X = x)`` of every outcome row under each destination mix: ``volume_pmf[sum x]`` times
        the multinomial probability of ``x`` (the volumes' blocks weighted by their probabilities)."""
        pmf = multinomial_pmf(self.outcomes, probabilities)
        if len(self.volume_pmf) == 1:
            return pmf
        weight = np.array([self.volume_pmf[int(t)] for t in self.outcomes.sum(axis=1)])
        return pmf * weight[None, :]

    @property
    def n_groups(self) -> int:
        return len(self.groups)

    # -- mixtures and exports ----------------------------------------------------------
    def _weights(self, group):
        m = self.n_groups
        if group is None:
            return self.group_weights
        if np.isscalar(group) and not isinstance(group, bool) and float(group).is_integer():
            g = int(group)
            if not 0 <= g < m:
                raise ValueError(f"group={g} is out of range for {m} groups")
            w = np.zeros(m)
            w[g] = 1.0
            return w
        w = as_float_array(group, "group", ndim=1)
        if w.shape != (m,):
            raise ValueError(f"group mixture weights must have shape ({m},), got {w.shape}")
        check_distributions(w, "group")
        return w

    def mixture_tables(self, group=None) -> tuple[np.ndarray, np.ndarray]:
        """``(rewards (S, A), transitions (S, A, S))`` under a mixture of the groups.

        ``group``: ``None`` (the historical mixture, weights = cluster shares), a group
        index, or mixture weights ``(m,)``. A mixture of the induction distributions is
        a point of the ambiguity set; rewards and kernels are linear in its weights.
        """
        w = self._weights(group)
        return np.tensordot(w, self.rewards, 1), np.tensordot(w, self.transitions, 1)

    def as_markov_game(self, group=None) -> MarkovGame:
        """The game as a finite-horizon cooperative :class:`MarkovGame` (``H = T``, ``n = N``).

        Every player gets the team reward; infeasible joint actions follow the void rule
        (module docstring); ``group`` as in :meth:`mixture_tables`; the start
        distribution puts all mass on :attr:`initial_state`.
        """
        r, P = self.mixture_tables(group)
        H, S, N = self.steps, self.n_states, self.n_destinations
        shape = (S,) + self.n_actions
        P = np.broadcast_to(P.reshape(shape + (S,)), (H,) + shape + (S,))
        R = np.broadcast_to(r.reshape(shape)[..., None], (H,) + shape + (N,))
        label = "nominal" if group is None else f"group={group}" if np.isscalar(group) else "mixture"
        mu = np.zeros(S)
        mu[self.initial_state] = 1.0
        return MarkovGame(P.copy(), R.copy(), initial=mu, name=f"chute-{self.variant} ({label})")

    def sample_mix_outcomes(self, probabilities, size, rng) -> np.ndarray:
        """Outcome indices of ``size`` multinomial draws under destination mix ``probabilities``."""
        pmf = self._outcome_pmf(np.asarray(probabilities))[0]
        return np.random.default_rng(rng).choice(len(pmf), size=size, p=pmf)

    def __repr__(self) -> str:
        return (
            f"ChuteGame(variant={self.variant!r}, N={self.n_destinations}, C={self.n_chutes}, "
            f"kappa={self.capacity}, V={self.volume}, T={self.steps}, m={self.n_groups}, "
            f"S={self.n_states}, A={self.n_joint_actions})"
        )


def chute_mapping_game(n_destinations: int = 2, n_chutes: int = 5, capacity: int = 2, volume: int = 8,
                       steps: int = 4, n_groups: int = 9, variant: str = "a", *, max_new: int = 1,
                       n_levels: int = 3, initial_chutes: int = 1, rho: float = 1.0, n_days: int = 365, history: str = "dirichlet",
                       groups=None, volume_pmf=None, rng=None) -> ChuteGame:
    """Build the chute-mapping game of DRMARL (arXiv 2503.09755) with exact tables.

    Parameters
    ----------
    n_destinations : int
        ``N``, the number of agents.
    n_chutes : int
        ``C``, the chute budget.
    capacity : int
        ``kappa``, packages a chute sorts per step (also the backlog quantum ``delta``).
    volume : int
        ``V``, packages inducted per step.
    steps : int
        ``T``, steps per day (the horizon).
    n_groups : int
        ``m``, the number of induction groups (k-means clusters of the history).
    variant : {"a", "b"}
        ``"a"``: recirculated packages are lost (transitions independent of ``X``);
        ``"b"``: they come back next step (transitions depend on ``X``).
    max_new : int
        Largest number of new chutes one agent may take per step.
    n_levels : int
        Recirculation levels (variant ``"b"`` only; variant ``"a"`` has one).
    initial_chutes : int
        Chutes each destination holds at the start of the day (``N * initial_chutes <= C``).
    rho : float
        Recirculation penalty weight in the team reward.
    n_days, history : int, {"dirichlet", "trend"}
        Size and model of the simulated history that is clustered into groups.
    groups : array_like, optional
        Give the group mixes ``(m, N)`` directly instead (``n_groups`` is then ignored;
        cluster weights are uniform).
    volume_pmf : mapping, optional
        ``{v: P(V_t = v)}``: draw each step's volume i.i.d. from this distribution
        (non-negative integer volumes, probabilities summing to 1) instead of the
        constant ``volume``; ``volume`` still fixes the reward normaliser and the
        recirculation rate uses the mean volume (module docstring). Default: ``None``
        (constant ``volume``). Does not consume ``rng`` (same groups as without it).
    rng : seed or Generator
        Seeds the history and the clustering.

    Returns
    -------
    ChuteGame
    """
    N = check_positive_int(n_destinations, "n_destinations")
    C = check_positive_int(n_chutes, "n_chutes")
    kappa = check_positive_int(capacity, "capacity")
    V = check_positive_int(volume, "volume")
    T = check_positive_int(steps, "steps")
    check_choice(variant, "variant", ("a", "b"))
    max_new = check_positive_int(max_new, "max_new")
    n_levels = check_positive_int(n_levels, "n_levels")
    check_choice(history, "history", ("dirichlet", "trend"))
    c0 = check_positive_int(initial_chutes, "initial_chutes", minimum=0)
    if N * c0 > C:
        raise ValueError(f"initial_chutes={c0} for {N} destinations exceeds n_chutes={C}")
    if volume_pmf is not None:
        if not hasattr(volume_pmf, "items"):
            raise TypeError(f"volume_pmf must be a mapping {{volume: probability}}, got {type(volume_pmf).__name__}")
        vp = {}
        for v, p in volume_pmf.items():
            if isinstance(v, bool) or not isinstance(v, (numbers.Integral,)) or v < 0:
                raise ValueError(f"volume_pmf keys must be non-negative integers, got {v!r}")
            if isinstance(p, bool) or not isinstance(p, numbers.Real) or not np.isfinite(p) or p < 0:
                raise ValueError(f"volume_pmf probabilities must be finite and non-negative, got {p!r} for volume {v}")
            if p > 0:
                vp[int(v)] = float(p)
        if not vp or abs(sum(vp.values()) - 1.0) > 1e-9:
            raise ValueError(f"volume_pmf probabilities must sum to 1, got {sum(vp.values())!r}")
        volume_pmf = dict(sorted(vp.items()))
    if isinstance(rho, bool) or not (isinstance(rho, numbers.Real) and np.isfinite(rho) and rho >= 0):
        raise ValueError(f"rho must be a finite non-negative number, got {rho!r}")
    rng = np.random.default_rng(rng)
    if groups is None:
        m = check_positive_int(n_groups, "n_groups")
        n_days = check_positive_int(n_days, "n_days", minimum=m)
        mixes = simulate_history(N, n_days, history, rng)
        G, w, labels = cluster_groups(mixes, m, rng)
    else:
        G = as_float_array(groups, "groups", ndim=2)
        if G.shape[1] != N:
            raise ValueError(f"groups must have shape (m, {N}), got {G.shape}")
        check_distributions(G, "groups")
        w = np.full(len(G), 1.0 / len(G))
        mixes, labels = G.copy(), np.arange(len(G))
    return ChuteGame(n_destinations=N, n_chutes=C, capacity=kappa, volume=V, steps=T, max_new=max_new,
                     n_levels=n_levels, variant=variant, rho=rho, groups=G, group_weights=w,
                     history=mixes, history_labels=labels, initial_chutes=c0, volume_pmf=volume_pmf)
