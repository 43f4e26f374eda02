"""Online and sample-based learners driven by :func:`robustgames.learn`.

MORNAVI (arXiv 2508.02948, docs/theory.md section 4; called RONAVI in its v1) and three
baselines: non-robust optimistic Nash-VI (MORNAVI's machinery with ``sigma = 0``),
DR-NVI with a generative model (arXiv 2404.18909) and a uniformly random policy.

Learners are light configuration objects; :func:`robustgames.learn` calls
``learner._start(game, episodes, rng)`` to get a per-run state with ``plan() -> (policy,
certificate)`` and ``observe(states, actions, rewards)``.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import as_instance_or_list, check_choice, check_in_range, check_positive_int, check_real
from ..equilibria import KIND_CODES
from ..planning._stage import check_equilibrium
from ..uncertainty import TV, Contamination, UncertaintySet, as_player_sets
from ..uncertainty._engine import compile_sets
from . import _kernels as K

BONUSES = ("hoeffding", "bernstein")
CAPS = ("theory", "horizon")


def _check_sets_arg(U, name="U"):
    return as_instance_or_list(U, name, UncertaintySet, "an uncertainty set (rg.TV, rg.KL, ...)")


def _check_unit_rewards(game, who):
    """The certificate's caps (``H - h``, ``min V + 1/sigma``) and the floor of ``Qlow``
    at 0 assume rewards in [0, 1] (docs/theory.md section 1); on other rewards the bound is
    false, so learners that certify refuse them."""
    check_in_range(game.rewards, "game.rewards", 0.0, 1.0,
                   why=f"{who}'s optimistic cap H - h and pessimistic floor 0 assume rewards in "
                       "[0, 1], docs/theory.md section 1; rescale them, e.g. (r - min r) / (max r - min r)")


def _check_game(game, who):
    from ..games import MarkovGame  # noqa: PLC0415

    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    if game.discounted:
        raise ValueError(f"{who} needs a finite-horizon game (gamma=None); got a discounted game "
                         f"with gamma={game.gamma}")


class _Learner:
    """Base class of the learners accepted by :func:`robustgames.learn`."""

    equilibrium = "cce"
    sets = None  # the learner's own robust objective (None: none)

    @property
    def certified(self) -> bool:
        """Whether the learner's per-episode number is a certified bound on the gap under
        its own objective (``learn`` reports it as ``bound`` only then)."""
        return False

    def describe(self) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def __repr__(self):
        d = self.describe()
        name = d.pop("name")
        return f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in d.items()) + ")"


def span_bounds(H, sets):
    """``L (H, n)``: ``L[h, i]`` bounds the span of player ``i``'s true robust values at
    step ``h + 1`` (0-based steps, ``V_H = 0``), the Lipschitz factor of the bonus.

    Rewards in [0, 1] give ``H - h - 1``. A TV or contamination set of radius
    ``sigma > 0`` contains ``(1 - sigma) p0 + sigma e_argmin``, so the span of any robust
    value obeys ``D_h <= 1 + (1 - sigma) D_{h+1}``, ``D_H = 0``, hence
    ``D_{h+1} <= (1 - (1 - sigma)^(H-h-1)) / sigma`` (docs/theory.md section 4; a fact
    about the true values, whatever cap the learner uses).
    """
    n = len(sets)
    L = np.empty((H, n))
    for h in range(H):
        L[h, :] = float(H - h - 1)
        for i, U in enumerate(sets):
            r = float(getattr(U, "radius", 0.0) or 0.0)
            if isinstance(U, (TV, Contamination)) and r > 0.0:
                L[h, i] = (1.0 - (1.0 - r) ** (H - h - 1)) / r
    return L


class _Planner:
    """Per-run arrays and planning of MORNAVI / optimistic Nash-VI / DR-NVI (see
    :class:`MORNAVI` for the formulas).

    ``tie_rng`` (a :class:`numpy.random.Generator`) draws, every time a stage game is
    solved anew, a random relabelling of each player's actions (ties broken at random,
    :func:`._kernels.relabelled_stage`).
    """

    def __init__(self, game, sets, equilibrium, *, c_b, iota, bernstein, cap, tie_rng, low=True):
        H, S, A, n = game.horizon, game.n_states, game.n_joint_actions, game.n_players
        SA = S * A
        self.H, self.S, self.A, self.n = H, S, A, n
        self.sets = sets
        self.mu = game.initial
        self.n_actions = np.asarray(game.n_actions, dtype=np.int64)
        self.kind = KIND_CODES[equilibrium]
        self.c_b, self.iota, self.bernstein = float(c_b), float(iota), bool(bernstein)
        for i, U in enumerate(sets):
            U.check_game(game, f"U[{i}]")
        # every set's row kernel (uncertainty._engine); None only for a subclass that
        # implements nothing but the _values hook
        self.compiled = compile_sets(sets, H)
        #: which backup ran in the last plan(): "compiled" (row kernels) or "hooks" (_values)
        self.backup = None
        tv = np.zeros(n)
        for i, U in enumerate(sets):
            r = float(getattr(U, "radius", 0.0) or 0.0)
            if isinstance(U, (TV, Contamination)) and r > 0.0 and cap == "theory":
                tv[i] = r
        self.span, self.tv_radius = span_bounds(H, sets), tv
        self.tie_rng = tie_rng
        self.counts = np.zeros((H, SA, S))
        self.N = np.zeros((H, SA))
        self.Phat = np.full((H, SA, S), 1.0 / S)
        self.Rhat = np.zeros((H, SA, n))
        self.Qbar = np.zeros((H, SA, n))
        self.Qlow = np.zeros((H, SA, n))
        self.Qprev = np.full((H, SA, n), np.nan)
        self.Vbar = np.zeros((H + 1, n, S))
        self.Vlow = np.zeros((H + 1, n, S))
        self.pi = np.zeros((H, S, A))
        self.Sb = np.zeros((SA, n))
        self.Sl = np.zeros((SA, n))
        self.Tb = np.full((H, SA, n), np.nan)  # KL warm starts (see _kernels.plan)
        self.Tl = np.full((H, SA, n), np.nan)
        self.work = np.zeros(SA)
        self.low = low
        self.saturated = math.nan  # fraction of visited Qbar entries at their cap, last plan

    def plan(self):
        tie_u = self.tie_rng.random((self.H, self.S, self.n, int(self.n_actions.max())))
        c = self.compiled
        if c is not None:
            self.backup = "compiled"
            capped = K.plan(self.Phat, self.N, self.Rhat, c.block, c.pdata, c.poff, c.pidx, self.span,
                            self.tv_radius, self.c_b, self.iota, self.bernstein, self.n_actions, self.kind,
                            self.Qbar, self.Qlow, self.Qprev, self.Vbar, self.Vlow, self.pi, self.Sb, self.Sl,
                            self.Tb, self.Tl, tie_u)
        else:  # a set with only the _values hook (no row kernel): from Python, all rows
            self.backup = "hooks"
            capped = 0
            for h in range(self.H - 1, -1, -1):
                for i, U in enumerate(self.sets):
                    U.at_step(h)._values(self.Phat[h], np.ascontiguousarray(self.Vbar[h + 1, i]), self.work)
                    self.Sb[:, i] = self.work
                capped += K.bar_step(h, self.Sb, self.Phat, self.N, self.Rhat, self.span, self.tv_radius,
                                     self.c_b, self.iota, self.bernstein, self.n_actions, self.kind, self.Qbar,
                                     self.Qprev, self.Vbar, self.pi, tie_u)
                if self.low:
                    for i, U in enumerate(self.sets):
                        U.at_step(h)._values(self.Phat[h], np.ascontiguousarray(self.Vlow[h + 1, i]),
                                             self.work)
                        self.Sl[:, i] = self.work
                    K.low_step(h, self.Sl, self.Phat, self.N, self.Rhat, self.span, self.c_b, self.iota,
                               self.bernstein, self.Qlow, self.Vbar, self.Vlow, self.pi)
        # pairs that carry a bonus: visited, at steps with a positive span bound (the last
        # step's backup is exact, its Qbar never sits at the cap through the bonus)
        visited = int(np.sum(np.count_nonzero(self.N, axis=1)[:, None] * (self.span > 0)))
        self.saturated = capped / visited if visited else 1.0
        # floored like the gap: max(0, max_i mu.(BR_i - V_i)) <= max(0, max_i mu.(Vbar_i - Vlow_i))
        cert = max(0.0, float(np.max(self.mu @ (self.Vbar[0] - self.Vlow[0]).T))) if self.low else math.nan
        return self.pi, cert

    def optimistic(self):
        """``mu . Vbar_{i,0}`` for every player (after :meth:`plan`)."""
        return self.mu @ self.Vbar[0].T

    def pessimistic(self):
        """``mu . Vlow_{i,0}`` for every player (after :meth:`plan`; NaN without ``Vlow``)."""
        return self.mu @ self.Vlow[0].T if self.low else np.full(self.n, np.nan)

    def observe(self, states, actions, rewards):
        K.observe(states, actions, rewards, self.A, self.counts, self.N, self.Phat, self.Rhat)


class MORNAVI(_Learner):
    r"""Multi-player optimistic robust Nash value iteration (online, model-based).

    MORNAVI (arXiv 2508.02948, docs/theory.md section 4; RONAVI in v1). The learner acts in
    the nominal game only and sees it through its episodes. Before episode ``k`` (0-based
    steps ``h = 0..H-1``, ``Vbar_H = Vlow_H = 0``):

    1. ``P_hat_h(s'|s,a) = N_h(s,a,s') / N_h(s,a)`` (uniform where ``N_h(s,a) = 0``);
    2. backward in ``h``, for every player ``i``:
       ``Qbar_{i,h} = min(r_{i,h} + sigma_{U_i(P_hat_h)}(Vbar_{i,h+1}) + b_{i,h}, cap_{i,h})``,
       ``Qlow_{i,h} = max(r_{i,h} + sigma_{U_i(P_hat_h)}(Vlow_{i,h+1}) - b_{i,h}, 0)``;
    3. ``pi_h(.|s) = EQUILIBRIUM(Qbar_{1,h}(s,.), ..., Qbar_{n,h}(s,.))`` by the compiled
       stage solver :func:`robustgames.equilibria.solve_stage`, on the stage game with each
       player's actions relabelled at random (drawn from the run's generator), so that
       ties among optimistic values are broken at random, not by action labels;
    4. ``Vbar_{i,h} = E_pi Qbar_{i,h}``, ``Vlow_{i,h} = E_pi Qlow_{i,h}``.

    The learner's number of the episode is ``max_i mu.(Vbar_{i,0} - Vlow_{i,0})``. It is a
    **certified** upper bound on the robust gap (with probability at least ``1 - delta``
    over the whole run, simultaneously for all episodes) exactly when the theorem of
    docs/theory.md section 8 applies: every player's set is :class:`~robustgames.TV` or
    :class:`~robustgames.Contamination` (any radius, 0 included), ``bonus="hoeffding"`` and
    ``c_b >= 1`` (see :attr:`certified`). :func:`robustgames.learn` then reports it as
    ``bound``; otherwise ``bound`` is NaN and the number is only the learner's optimistic
    estimate (``learner_bound``).

    Parameters
    ----------
    U : UncertaintySet or list of UncertaintySet
        One set for every player or one per player (agent-wise radii). Every set with a
        row kernel (TV, KL, chi-square, contamination, group, :class:`~robustgames.uncertainty.RowSet`)
        runs fully compiled (:mod:`robustgames.uncertainty._engine`); a subclass that only
        implements the ``_values`` hook is called through it (slower). Sets apply to the
        EMPIRICAL kernel ``P_hat``.
    equilibrium : {"cce", "ce", "nash"}
        Stage solution concept (``"nash"``: at most 2 players).
    bonus : {"hoeffding", "bernstein"}
        ``"hoeffding"`` (docs/theory.md section 8; the constants of the proof):
        ``b_{i,h}(s,a) = c_b L_{i,h} sqrt((S ln 2 + iota) / (2 N_h(s,a)))`` with
        ``iota = ln(H S A K / delta)`` (``A = prod_i A_i`` joint actions, ``K`` episodes)
        and ``L_{i,h}`` the span bound of the true robust values at step ``h + 1``:
        ``(1 - (1 - sigma_i)^(H-h-1)) / sigma_i`` for a TV or contamination radius
        ``sigma_i > 0``, ``H - h - 1`` otherwise (:func:`span_bounds`). The ``S ln 2 + iota``
        is Weissman et al.'s L1 deviation bound with a union bound over ``(h, s, a)`` and
        the visit counts; ``L/2`` times the L1 error bounds the error of a TV or
        contamination support function. (The paper's own constants are not confirmed;
        these are the ones our proof needs.)
        ``"bernstein"`` (an empirical-Bernstein form standing in for Lu et al., arXiv
        2404.03578, eq. 4.8, whose exact form is unconfirmed; Maurer & Pontil 2009):
        ``b = c_b [sqrt(2 Var_{P_hat}(Vbar_{i,h+1}) iota / N) + 7 L_{i,h} iota / (3 max(N-1, 1))]``;
        it is not uniform over value functions, so it certifies nothing.
    c_b : float
        Bonus multiplier (>= 0). ``c_b >= 1`` is what the proof needs; ``c_b < 1`` learns
        faster on small games but is a heuristic and certifies nothing.
    delta : float
        Confidence level in (0, 1) inside ``iota``.
    cap : {"theory", "horizon"}
        ``"horizon"``: ``cap_{i,h} = H - h`` (the remaining steps, rewards in [0, 1]).
        ``"theory"`` (default) adds, for a TV or contamination radius ``sigma_i > 0``,
        ``cap_{i,h} = min(H - h, min_s Vbar_{i,h+1}(s) + 1/sigma_i)``, valid on every game
        (docs/theory.md section 4: moving ``sigma`` of mass to the argmin is feasible, so the
        span of robust values obeys ``D_h <= 1 + (1-sigma) D_{h+1}`` and
        ``Q_h <= min V_{h+1} + 1/sigma``); with a fail state (``min V = 0``) it is the
        ``min(H, 1/sigma)`` cap of Lu et al.

    Notes
    -----
    Rewards: the game's rewards are deterministic and must lie in [0, 1] (docs/theory.md
    section 1; the caps and the floor of ``Qlow`` at 0 assume it):
    :func:`robustgames.learn` raises ``ValueError`` naming ``game.rewards`` otherwise. A
    reward is revealed the first time ``(h, s, a)`` is visited. Unvisited pairs use
    ``Qbar = cap`` (optimistic) and ``Qlow = 0``.

    Why KL and chi-square certify nothing: their support functions have no Lipschitz
    constant in ``p`` that holds uniformly (a next state of tiny nominal
    probability can carry the worst case; the paper's KL analysis pays ``1/P0_min`` and
    ``exp(H^2)``). On a one-player game with a ``1e-5``-probability value-0 next state,
    ``KL(8)`` and ``c_b = 1``, the gap exceeded the learner's number in most episodes
    (docs/theory.md section 8). The learner still runs, as a heuristic. Group sets are
    outside the theorem as written (their support function ignores ``P_hat``, so the
    estimation error is 0; docs/theory.md section 8.3), and are not reported either.

    Examples
    --------
    >>> import robustgames as rg
    >>> from robustgames.games._random import random_game
    >>> from robustgames.learning import MORNAVI, learn
    >>> game = random_game(4, 2, 3, n_players=1, rng=0)
    >>> res = learn(game, MORNAVI(rg.TV(0.1)), episodes=50, rng=1)
    >>> res.certified, res.gap.shape, bool((res.gap <= res.bound + 1e-9).all())
    (True, (50,), True)
    """

    def __init__(self, U, equilibrium="cce", bonus="hoeffding", c_b=1.0, delta=0.1, *, cap="theory"):
        self.U = _check_sets_arg(U)
        check_choice(equilibrium, "equilibrium", ("nash", "ce", "cce"))
        self.equilibrium = equilibrium
        self.bonus = check_choice(bonus, "bonus", BONUSES)
        self.c_b = check_real(c_b, "c_b", low=0.0)
        self.delta = check_real(delta, "delta", low=0.0, high=1.0, low_open=True, high_open=True)
        self.cap = check_choice(cap, "cap", CAPS)

    _name = "MORNAVI"

    @property
    def certified(self) -> bool:
        """Whether the theorem of docs/theory.md section 8 covers this configuration:
        Hoeffding bonus, ``c_b >= 1`` and every set TV or contamination."""
        sets = [self.U] if isinstance(self.U, UncertaintySet) else list(self.U)
        return (self.bonus == "hoeffding" and self.c_b >= 1.0
                and all(isinstance(U, (TV, Contamination)) for U in sets))

    def _planning_sets(self, n):
        return as_player_sets(self.U, n)

    def objective_sets(self, n):
        return as_player_sets(self.U, n)

    def describe(self) -> dict:
        U = self.U if isinstance(self.U, UncertaintySet) else list(self.U)
        return {"name": self._name, "U": repr(U), "equilibrium": self.equilibrium,
                "bonus": self.bonus, "c_b": self.c_b, "delta": self.delta, "cap": self.cap}

    def _start(self, game, episodes, rng):
        _check_game(game, self._name)
        _check_unit_rewards(game, self._name)
        n = game.n_players
        sets = self._planning_sets(n)
        check_equilibrium(self.equilibrium, n)
        S, H = game.n_states, game.horizon
        iota = math.log(H * S * game.n_joint_actions * episodes / self.delta)
        return _Planner(game, sets, self.equilibrium, c_b=self.c_b, iota=iota,
                        bernstein=self.bonus == "bernstein", cap=self.cap, tie_rng=_spawn(rng))


def _spawn(rng):
    """An independent generator for the learner's own draws (tie-breaking), taken from the
    run's generator so that the same seed gives the same run."""
    return np.random.default_rng(rng.integers(0, 2**63 - 1))


class OptimisticNashVI(MORNAVI):
    """Non-robust optimistic Nash value iteration (a baseline).

    MORNAVI's machinery with ``sigma = 0`` for planning (nominal backups, Hoeffding bonus
    ``c_b (H - h - 1) sqrt((S ln 2 + iota) / (2N))`` or the Bernstein option, cap ``H - h``): the
    optimistic Nash-VI of Liu et al. (2021) with MORNAVI's bonus forms. Its own
    certificate bounds the NON-robust gap; :func:`robustgames.learn` measures its gap under
    the robust objective ``U`` that must be passed to it (``bound`` is then NaN and the
    learner's own certificate is reported as ``learner_bound``). Rewards must lie in
    [0, 1], as for MORNAVI.
    """

    _name = "OptimisticNashVI"

    def __init__(self, equilibrium="cce", bonus="hoeffding", c_b=1.0, delta=0.1):
        super().__init__(TV(0.0), equilibrium, bonus, c_b, delta, cap="horizon")

    def objective_sets(self, n):
        return None

    def describe(self) -> dict:
        d = super().describe()
        d.pop("U")
        d.pop("cap")
        return d


class DRNVI(_Learner):
    """Distributionally robust Nash value iteration with a generative model (a baseline).

    DR-NVI (arXiv 2404.18909): at the start of the run draw ``samples`` next states for
    every ``(h, s, a)`` from the nominal kernel (with the ``rng`` given to
    :func:`robustgames.learn`), form ``P_hat = counts / samples``, and plan robustly on
    ``P_hat`` (exact robust value iteration with the sets ``U`` and the stage
    ``equilibrium``; rewards are known). The resulting policy is fixed for every episode;
    it certifies nothing per episode (``bound`` is NaN), so any real rewards are accepted.

    Parameters
    ----------
    U : UncertaintySet or list of UncertaintySet
    samples : int
        Next-state samples per ``(h, s, a)`` (>= 1).
    equilibrium : {"cce", "ce", "nash"}
    """

    def __init__(self, U, samples=100, equilibrium="cce"):
        self.U = _check_sets_arg(U)
        self.samples = check_positive_int(samples, "samples")
        check_choice(equilibrium, "equilibrium", ("nash", "ce", "cce"))
        self.equilibrium = equilibrium

    def objective_sets(self, n):
        return as_player_sets(self.U, n)

    def describe(self) -> dict:
        U = self.U if isinstance(self.U, UncertaintySet) else list(self.U)
        return {"name": "DRNVI", "U": repr(U), "samples": self.samples, "equilibrium": self.equilibrium}

    def _start(self, game, episodes, rng):
        _check_game(game, "DRNVI")
        n = game.n_players
        sets = as_player_sets(self.U, n)
        check_equilibrium(self.equilibrium, n)
        P0 = game.flat_transitions.reshape(-1, game.n_states)
        P0 = P0 / P0.sum(axis=1, keepdims=True)
        counts = rng.multinomial(self.samples, P0).astype(np.float64)
        planner = _Planner(game, sets, self.equilibrium, c_b=0.0, iota=1.0, bernstein=False,
                           cap="horizon", low=False, tie_rng=_spawn(rng))
        planner.counts[:] = counts.reshape(planner.counts.shape)
        planner.N[:] = float(self.samples)
        planner.Phat[:] = planner.counts / float(self.samples)
        planner.Rhat[:] = game.flat_rewards.reshape(planner.Rhat.shape)
        pi, _ = planner.plan()
        return _FixedPolicy(pi.copy())


class UniformPolicy(_Learner):
    """Every player picks its actions uniformly at random at every step (a baseline).

    Certifies nothing (``bound`` is NaN), so any real rewards are accepted.

    Parameters
    ----------
    equilibrium : {"cce", "ce", "nash"}
        Only the deviation class under which :func:`robustgames.learn` measures the gap.
    """

    def __init__(self, equilibrium="cce"):
        check_choice(equilibrium, "equilibrium", ("nash", "ce", "cce"))
        self.equilibrium = equilibrium

    def objective_sets(self, n):
        return None

    def describe(self) -> dict:
        return {"name": "UniformPolicy", "equilibrium": self.equilibrium}

    def _start(self, game, episodes, rng):
        _check_game(game, "UniformPolicy")
        H, S, A = game.horizon, game.n_states, game.n_joint_actions
        return _FixedPolicy(np.full((H, S, A), 1.0 / A))


class _FixedPolicy:
    observes = False

    def __init__(self, pi):
        self.pi = pi

    def plan(self):
        return self.pi, math.nan

    def observe(self, states, actions, rewards):  # pragma: no cover - never called
        pass


_Planner.observes = True
