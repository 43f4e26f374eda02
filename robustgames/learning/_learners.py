"""Online and sample-based learners driven by :func:`robustgames.learn`.

MORNAVI (arXiv 2508.02948, THEORY.md section 4; called RONAVI in its v1) and three
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
from . import _kernels as K
from ._sets import compile_sets

BONUSES = ("hoeffding", "bernstein")
CAPS = ("theory", "horizon")


def _check_sets_arg(U, name="U"):
    return as_instance_or_list(U, name, UncertaintySet, "an uncertainty set (rg.TV, rg.KL, ...)")


def _check_unit_rewards(game, who):
    """The certificate's caps (``H - h``, ``min V + 1/sigma``) and the floor of ``Qlow``
    at 0 assume rewards in [0, 1] (THEORY.md section 1); on other rewards the bound is
    false, so learners that certify refuse them."""
    check_in_range(game.rewards, "game.rewards", 0.0, 1.0,
                   why=f"{who}'s optimistic cap H - h and pessimistic floor 0 assume rewards in "
                       "[0, 1], THEORY.md section 1; rescale them, e.g. (r - min r) / (max r - min r)")


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
    def _certified(self) -> bool:
        """Whether the learner's per-episode number is a certified bound on the gap under
        its own objective (``learn`` reports it as ``bound`` only then)."""
        return False

    def describe(self) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def __repr__(self):
        d = self.describe()
        name = d.pop("name")
        return f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in d.items()) + ")"


class _Planner:
    """Per-run arrays and planning of MORNAVI / optimistic Nash-VI / DR-NVI (see
    :class:`MORNAVI` for the formulas)."""

    def __init__(self, game, sets, equilibrium, *, c_b, iota, bernstein, cap, low=True):
        H, S, A, n = game.horizon, game.n_states, game.n_joint_actions, game.n_players
        SA = S * A
        self.H, self.S, self.A, self.n = H, S, A, n
        self.sets = sets
        self.mu = game.initial
        self.n_actions = np.asarray(game.n_actions, dtype=np.int64)
        self.kind = KIND_CODES[equilibrium]
        self.c_b, self.iota, self.bernstein = float(c_b), float(iota), bool(bernstein)
        self.compiled = compile_sets(sets)
        tv = np.zeros(n)
        scale = np.full(n, float(H))
        for i, U in enumerate(sets):
            r = float(getattr(U, "radius", 0.0) or 0.0)
            if isinstance(U, (TV, Contamination)) and r > 0.0:
                scale[i] = min(float(H), 1.0 / r)
                if cap == "theory":
                    tv[i] = r
        self.scale, self.tv_radius = scale, tv
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

    def plan(self):
        if self.compiled is not None:
            codes, radii = self.compiled
            K.plan(self.Phat, self.N, self.Rhat, codes, radii, self.scale, self.tv_radius, self.c_b,
                   self.iota, self.bernstein, self.n_actions, self.kind, self.Qbar, self.Qlow,
                   self.Qprev, self.Vbar, self.Vlow, self.pi, self.Sb, self.Sl, self.Tb, self.Tl)
        else:  # any set, through its _values hook (all rows)
            for h in range(self.H - 1, -1, -1):
                for i, U in enumerate(self.sets):
                    U.at_step(h)._values(self.Phat[h], np.ascontiguousarray(self.Vbar[h + 1, i]), self.work)
                    self.Sb[:, i] = self.work
                K.bar_step(h, self.Sb, self.Phat, self.N, self.Rhat, self.scale, self.tv_radius,
                           self.c_b, self.iota, self.bernstein, self.n_actions, self.kind, self.Qbar,
                           self.Qprev, self.Vbar, self.pi)
                if self.low:
                    for i, U in enumerate(self.sets):
                        U.at_step(h)._values(self.Phat[h], np.ascontiguousarray(self.Vlow[h + 1, i]),
                                             self.work)
                        self.Sl[:, i] = self.work
                    K.low_step(h, self.Sl, self.Phat, self.N, self.Rhat, self.scale, self.c_b, self.iota,
                               self.bernstein, self.Qlow, self.Vbar, self.Vlow, self.pi)
        cert = float(np.max(self.mu @ (self.Vbar[0] - self.Vlow[0]).T)) if self.low else math.nan
        return self.pi, cert

    def observe(self, states, actions, rewards):
        K.observe(states, actions, rewards, self.A, self.counts, self.N, self.Phat, self.Rhat)


class MORNAVI(_Learner):
    r"""Multi-player optimistic robust Nash value iteration (online, model-based).

    MORNAVI (arXiv 2508.02948, THEORY.md section 4; RONAVI in v1). The learner acts in the
    nominal game only and sees it through its episodes. Before episode ``k``:

    1. ``P_hat_h(s'|s,a) = N_h(s,a,s') / N_h(s,a)`` (uniform where ``N_h(s,a) = 0``);
    2. backward in ``h``, for every player ``i``:
       ``Qbar_{i,h} = min(r_{i,h} + sigma_{U_i(P_hat_h)}(Vbar_{i,h+1}) + b_i, cap_{i,h})``,
       ``Qlow_{i,h} = max(r_{i,h} + sigma_{U_i(P_hat_h)}(Vlow_{i,h+1}) - b_i, 0)``;
    3. ``pi_h(.|s) = EQUILIBRIUM(Qbar_{1,h}(s,.), ..., Qbar_{n,h}(s,.))`` by the compiled
       stage solver :func:`robustgames.equilibria.solve_stage`;
    4. ``Vbar_{i,h} = E_pi Qbar_{i,h}``, ``Vlow_{i,h} = E_pi Qlow_{i,h}``.

    The certificate of the episode is ``max_i mu.(Vbar_{i,1} - Vlow_{i,1})``: when the
    bonus dominates the estimation error of the support function, ``Vbar_i`` is at least
    the robust best-response value and ``Vlow_i`` at most the robust value of ``pi``, so
    it bounds the robust gap (with the equilibrium's deviation class).

    Parameters
    ----------
    U : UncertaintySet or list of UncertaintySet
        One set for every player or one per player (agent-wise radii). TV, KL and
        contamination sets run fully compiled; other sets are used through their
        ``_values`` hook (slower). Sets apply to the EMPIRICAL kernel ``P_hat``.
    equilibrium : {"cce", "ce", "nash"}
        Stage solution concept (``"nash"``: at most 2 players).
    bonus : {"hoeffding", "bernstein"}
        ``"hoeffding"`` (Lu et al., arXiv 2404.03578, eq. 6.6):
        ``b_i = c_b min(H, 1/sigma_i) sqrt(S iota / max(N, 1))`` with
        ``iota = log(S prod_i A_i H K / delta)``; the ``min(H, 1/sigma_i)`` factor applies
        to TV and contamination sets, other sets use ``H``.
        ``"bernstein"`` (an empirical-Bernstein form standing in for Lu et al. eq. 4.8,
        whose exact form is unconfirmed; Maurer & Pontil 2009 constants):
        ``b_i = c_b [sqrt(2 Var_{P_hat}(Vbar_{i,h+1}) iota / N) + 7 min(H, 1/sigma_i) iota / (3 max(N-1, 1))]``;
        it is not uniform over value functions (no ``S`` factor), so it carries no
        certificate, only faster learning: :func:`robustgames.learn` reports ``bound`` as
        NaN for it (the learner's ``max_i mu.(Vbar_i - Vlow_i)`` stays in ``learner_bound``).
    c_b : float
        Bonus multiplier (>= 0). **The paper's exact constants are unconfirmed**; the
        formulas above are the forms of THEORY.md with ``c_b`` exposed.
    delta : float
        Confidence level in (0, 1) inside ``iota``.
    cap : {"theory", "horizon"}
        ``"horizon"``: ``cap_{i,h} = H - h`` (0-based ``h``; the remaining steps, rewards in
        [0, 1]). ``"theory"`` (default) adds, for a TV or contamination radius
        ``sigma_i > 0``, THEORY.md's ``1/sigma`` cap in the form that is valid on every
        game: ``cap_{i,h} = min(H - h, min_s Vbar_{i,h+1}(s) + 1/sigma_i)``. Reason: moving
        ``sigma`` of mass to the argmin is feasible, so the robust Q of any policy obeys
        ``Q_h <= 1 + (1-sigma) max V_{h+1} + sigma min V_{h+1}`` and the span
        ``D_h = max V_h - min V_h`` obeys ``D_h <= 1 + (1-sigma) D_{h+1}``, i.e.
        ``D <= 1/sigma`` and ``Q_h <= min V_{h+1} + 1/sigma``; with a fail state
        (``min V = 0``) this is the ``min(H, 1/sigma)`` cap of Lu et al.

    Notes
    -----
    Rewards: the game's rewards are deterministic and must lie in [0, 1] (THEORY.md
    section 1; the caps ``H - h`` and ``min V + 1/sigma`` and the floor of ``Qlow`` at 0
    assume it, so on other rewards the bound would be false): :func:`robustgames.learn`
    raises ``ValueError`` naming ``game.rewards`` and the range found otherwise. A reward
    ``r_{i,h}(s,a)`` is revealed to the learner the first time ``(h, s, a)`` is visited. Unvisited pairs use
    ``Qbar = cap`` (optimistic) and ``Qlow = 0``.

    Validity of the certificate: for TV the support function is ``min(H, 1/sigma)``-
    Lipschitz in ``p`` (L1) on values of that span, so the Hoeffding bonus with a large
    enough ``c_b`` covers the error uniformly over values (``sqrt(S iota/N)``). For KL the
    dual is not uniformly Lipschitz in ``p`` (a rare next state can carry the worst case;
    the paper's KL bound pays ``1/P0_min`` and ``exp(H^2)``), so with KL sets the
    certificate holds only once the bonus dominates (in practice: large ``c_b``).

    Examples
    --------
    >>> import robustgames as rg
    >>> from robustgames.games._random import random_game
    >>> from robustgames.learning import MORNAVI, learn
    >>> game = random_game(4, 2, 3, n_players=1, rng=0)
    >>> res = learn(game, MORNAVI(rg.TV(0.1)), episodes=50, rng=1)
    >>> res.gap.shape, bool((res.gap <= res.bound + 1e-9).all())
    ((50,), True)
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
    def _certified(self) -> bool:
        return self.bonus == "hoeffding"

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
        iota = math.log(S * game.n_joint_actions * H * episodes / self.delta)
        return _Planner(game, sets, self.equilibrium, c_b=self.c_b, iota=iota,
                        bernstein=self.bonus == "bernstein", cap=self.cap)


class OptimisticNashVI(MORNAVI):
    """Non-robust optimistic Nash value iteration (a baseline).

    MORNAVI's machinery with ``sigma = 0`` for planning (nominal backups, Hoeffding bonus
    ``c_b H sqrt(S iota / max(N,1))`` or the Bernstein option, cap ``H - h``): the
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
                           cap="horizon", low=False)
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
