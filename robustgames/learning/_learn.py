"""The runner of online learners: episodes, exact per-episode robust gaps, regret.

``learn(game, learner, episodes)`` plays ``episodes`` episodes of the NOMINAL game. Before
episode ``k`` the learner plans a joint policy ``pi^k`` (possibly correlated) and, if it has
one, a certificate ``Vbar - Vlow`` at the start; the runner computes the EXACT robust gap
of ``pi^k`` on the true game (docs/theory.md section 3),

    gap(pi^k) = max_i [ mu . V^{BR, pi^k_{-i}}_{i,1} - mu . V^{pi^k}_{i,1} ],

with the deviation class of the learner's equilibrium (reported as ``max(0, .)``: under
the fixed-deviation class of CCE a correlated policy can give every player more than any
deviation, so the raw maximum can be negative; the raw per-player differences are kept
in ``gap_per_player``), then samples the episode (start
``s_1 ~ initial``, ``a_h ~ pi^k_h(.|s_h)``, ``s_{h+1} ~ P0_h(.|s_h, a_h)``) and hands the
trajectory to the learner. ``Regret(K) = sum_k gap(pi^k)`` (docs/theory.md section 4).

The gap is computed by the compiled recursion of :func:`._kernels.robust_gap` through
every set's row kernel (:mod:`robustgames.uncertainty._engine`: TV, KL, chi-square,
contamination, group and user-defined :class:`~robustgames.uncertainty.RowSet` sets) and
by the planning layer's :func:`robustgames.planning._best_response._gap` for a set that
only implements the ``_values`` hook (``gap_method="planning"`` forces the latter; the
tests check that both agree).
Consecutive episodes with an identical policy reuse the gap (it is a function of the
policy alone).
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from .._result import Result
from .._validation import check_choice, check_positive_int
from ..equilibria import KIND_CODES
from ..planning._best_response import _gap
from ..uncertainty import as_player_sets
from ..uncertainty._engine import compile_sets
from . import _kernels as K
from ._learners import _check_game, _Learner


class SaturationWarning(UserWarning):
    """The optimistic values of a learner still sit at their cap at the end of a run."""


def learn(game, learner, episodes, *, rng=None, U=None, progress=False, keep_policies=False,
          gap_method="auto", warn=True) -> Result:
    """Run an online learner for ``episodes`` episodes and measure every episode exactly.

    Parameters
    ----------
    game : MarkovGame
        Finite-horizon game (the TRUE nominal game; the learner only sees its episodes).
        MORNAVI and OptimisticNashVI need rewards in [0, 1] (``ValueError`` otherwise:
        their certificates assume it, docs/theory.md section 1).
    learner : MORNAVI, OptimisticNashVI, DRNVI or UniformPolicy
    episodes : int
        Number of episodes ``K >= 1``.
    rng : None, int or numpy.random.Generator
        Through :func:`numpy.random.default_rng`; drives the episodes (and DR-NVI's
        generative samples). The same seed gives identical results.
    U : UncertaintySet or list, optional
        The robust objective the gap is measured under; default: the learner's own sets
        (required for :class:`OptimisticNashVI` and :class:`UniformPolicy`).
    progress : bool
        Show a tqdm progress bar.
    keep_policies : bool
        Also return every episode's joint policy, ``(K, H, S, A_1..A_n)``.
    gap_method : {"auto", "planning"}
        ``"auto"``: compiled gap (every set with a row kernel); ``"planning"``: always
        :func:`robustgames.gap`'s implementation.
    warn : bool
        Emit a :class:`SaturationWarning` when more than half of the learner's optimistic
        values sit at their cap in the last episode (its bonus still dominates).

    Returns
    -------
    Result
        ``gap (K,)``: exact robust gap of each episode's policy; ``bound (K,)``: the
        learner's number ``max_i mu.(Vbar_i - Vlow_i)`` where the theorem of
        docs/theory.md section 8 certifies it (MORNAVI with TV/contamination sets, the
        Hoeffding bonus and ``c_b >= 1``, measured under its own sets; it then holds for all
        episodes with probability at least ``1 - delta``), NaN everywhere else (KL,
        chi-square, group sets, Bernstein bonus, ``c_b < 1``, uniform, DR-NVI, optimistic
        Nash-VI, or an objective other than the learner's); ``certified``: whether ``bound``
        is reported; ``learner_bound (K,)``: the learner's number whatever the setting (an
        optimistic estimate; a certificate only where ``bound`` is not NaN);
        ``regret (K,) = cumsum(gap)``; ``gap_per_player (K, n)`` (signed best-response
        value minus own value); ``value (K, n)`` and ``best_response_value (K, n)``: the
        exact robust value of ``pi^k`` and of each player's best deviation at ``initial``;
        ``optimistic (K, n)`` and ``pessimistic (K, n)``: the learner's ``mu.Vbar_{i,0}``
        and ``mu.Vlow_{i,0}`` (NaN for learners without them); ``saturated_fraction (K,)``:
        fraction of the learner's ``Qbar`` entries ``(h, s, a, i)`` of VISITED pairs at steps
        with a bonus (``h < H - 1``) that sit at their cap (1 before any visit; unvisited
        pairs, at the cap by construction, are not counted: unreachable pairs would never
        leave it; NaN for non-planning learners); ``episodes``; ``learner`` (a dict
        describing it); ``U`` (repr of the objective); ``kind``; ``seconds``; ``policies``
        if asked.
    """
    if not isinstance(learner, _Learner):
        raise TypeError(f"learner must be one of MORNAVI, OptimisticNashVI, DRNVI, UniformPolicy; "
                        f"got {type(learner).__name__}")
    _check_game(game, "learn")
    if isinstance(episodes, bool) or not isinstance(episodes, (int, np.integer)):
        raise TypeError(f"episodes must be a positive integer, got {episodes!r}")
    Kep = check_positive_int(episodes, "episodes")
    check_choice(gap_method, "gap_method", ("auto", "planning"))
    n = game.n_players
    own = learner.objective_sets(n)
    if U is None:
        if own is None:
            raise ValueError(f"U must be given: {type(learner).__name__} has no robust objective of its own "
                             "(pass the sets the gap is measured under, e.g. U=rg.TV(0.1))")
        sets = own
    else:
        sets = as_player_sets(U, n)
    for i, Ui in enumerate(sets):
        Ui.check_game(game, f"U[{i}]")
    kind = learner.equilibrium
    certifies = learner.certified and own is not None and list(own) == list(sets)
    rng = np.random.default_rng(rng)

    H, S, A = game.horizon, game.n_states, game.n_joint_actions
    P0 = np.ascontiguousarray(game.flat_transitions.reshape(H, S * A, S))
    R = np.ascontiguousarray(game.flat_rewards.reshape(H, S * A, n))
    mu = np.ascontiguousarray(game.initial)
    n_actions = np.asarray(game.n_actions, dtype=np.int64)
    kind_code = KIND_CODES[kind]
    compiled = compile_sets(sets, H) if gap_method == "auto" else None
    Vw = np.zeros((H + 1, n, S))
    Ww = np.zeros((H + 1, S))
    Qw = np.zeros(S * A)
    per = np.zeros(n)
    own_v = np.zeros(n)
    Tv = np.full((H, S * A, n), np.nan)  # KL warm starts of the gap (see K.robust_gap)
    Tw = np.full((H, S * A, n), np.nan)

    def exact_gap(pi):
        if compiled is not None:
            c = compiled
            g = K.robust_gap(P0, R, mu, c.block, c.pdata, c.poff, c.pidx, pi, n_actions, kind_code, Vw,
                             Ww, Qw, per, own_v, Tv, Tw)
            return max(g, 0.0), per.copy(), own_v.copy()
        res = _gap(game, sets, pi, kind)
        return max(res.value, 0.0), np.asarray(res.per_player, dtype=float), np.asarray(res.policy_values, dtype=float)

    t0 = time.perf_counter()
    state = learner._start(game, Kep, rng)
    gaps = np.empty(Kep)
    bounds = np.empty(Kep)
    per_player = np.empty((Kep, n))
    values = np.empty((Kep, n))
    optimistic = np.full((Kep, n), np.nan)
    pessimistic = np.full((Kep, n), np.nan)
    saturated = np.full(Kep, np.nan)
    policies = np.empty((Kep, H, S, A)) if keep_policies else None
    states = np.empty(H + 1, dtype=np.int64)
    actions = np.empty(H, dtype=np.int64)
    rewards = np.empty((H, n))
    prev_pi = None
    prev = (math.nan, None, None)
    it = range(Kep)
    bar = None
    if progress:
        from tqdm.auto import tqdm  # noqa: PLC0415

        bar = tqdm(it, desc=type(learner).__name__, unit="ep")
        it = bar
    try:
        for k in it:
            pi, cert = state.plan()
            if prev_pi is not None and np.array_equal(pi, prev_pi):
                g, pp, vv = prev
            else:
                g, pp, vv = exact_gap(pi)
                prev_pi = pi.copy()
                prev = (g, pp, vv)
            gaps[k] = g
            bounds[k] = cert
            per_player[k] = pp
            values[k] = vv
            if state.observes:
                optimistic[k] = state.optimistic()
                pessimistic[k] = state.pessimistic()
                saturated[k] = state.saturated
            if keep_policies:
                policies[k] = pi
            if state.observes:
                u = rng.random(2 * H + 1)
                K.sample_episode(P0, R, mu, pi, u, states, actions, rewards)
                state.observe(states, actions, rewards)
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - t0
    if warn and state.observes and saturated[-1] > 0.5:
        warnings.warn(f"{type(learner).__name__}: {100 * saturated[-1]:.0f}% of the optimistic values of visited "
                      f"pairs still sit at their cap after {Kep} episodes (the bonus dominates; regret is then close to that of "
                      "uninformed play). Run more episodes or lower c_b (a heuristic: c_b < 1 certifies nothing); "
                      "see docs/theory.md section 4.", SaturationWarning, stacklevel=2)
    out = Result(
        gap=gaps,
        bound=bounds if certifies else np.full(Kep, np.nan),
        certified=bool(certifies),
        regret=np.cumsum(gaps),
        learner_bound=bounds,
        gap_per_player=per_player,
        value=values,
        best_response_value=values + per_player,
        optimistic=optimistic,
        pessimistic=pessimistic,
        saturated_fraction=saturated,
        episodes=Kep,
        learner=learner.describe(),
        U=repr(sets[0] if all(s == sets[0] for s in sets) else sets),
        kind=kind,
        seconds=seconds,
    )
    if keep_policies:
        out.policies = policies.reshape((Kep,) + game.policy_shape)
    return out
