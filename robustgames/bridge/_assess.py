"""Exact robust truth about external policies: adapters and :func:`assess`.

Adapters turn what a learner produced into a joint policy array of shape
``game.policy_shape``:

* :func:`policy_from_callable`: per-agent callables ``observation -> action
  probabilities`` (decentralised execution: the joint policy is the product
  ``pi(a|s) = prod_i pi_i(a_i | o(s))``), or one joint callable returning a distribution
  over joint actions (centralised, possibly correlated). Observations are those of the
  PettingZoo export (:mod:`robustgames.bridge._observations`).
* :func:`policy_from_q`: per-agent Q-tables ``(..., S, A_i)`` or a joint Q-table
  ``(..., S, A_1..A_n)`` with a declared rule: ``"greedy"`` (tie rule ``"uniform"``: uniform
  over every action within ``tie_tol`` of the maximum; ``"first"``: the lowest such index,
  as ``numpy.argmax``) or ``"softmax"`` with a temperature ``T > 0``:
  ``pi(a|s) = exp(Q(s,a)/T) / sum_b exp(Q(s,b)/T)``.

:func:`assess` then computes, with one exact robust evaluation and ``2n`` exact robust
best responses (docs/theory.md section 3; backward passes or contractions over all
states at once, never a Python loop over states): the robust value of every player, the
robust best-response values and signed improvements, and the Nash, CE and CCE gaps; with
a Q it also measures ``||Q - Q*||_inf`` and the greedy agreement against an exact
reference ``Q*`` (see :func:`assess` for which one).
"""

from __future__ import annotations

import numpy as np

from .._result import Result
from .._validation import as_float_array, check_choice, check_real
from ..factorization._team import robust_team_q, team_reward
from ..games import MarkovGame, product_policy
from ..planning._backup import check_iteration_args, is_team_game, player_sets, robust_q
from ..planning._best_response import _best_response, is_product_policy
from ..planning._evaluate import _evaluate
from ..planning._policy import as_joint_policy
from ._observations import all_observations, describe

__all__ = ["policy_from_callable", "policy_from_q", "assess", "is_team_game"]

Q_TARGETS = ("auto", "optimal", "policy", "best_response")


# -- callables --------------------------------------------------------------------------
def _lead(game) -> tuple:
    return (game.n_states,) if game.discounted else (game.horizon, game.n_states)


def _check_probabilities(out: np.ndarray, game, name: str, atol: float) -> np.ndarray:
    """Rows of ``out`` (N, ...) must be distributions within ``atol``; returns them
    clipped at 0 and renormalised exactly."""
    N = out.shape[0]
    flat = out.reshape(N, -1)
    bad = ~np.isfinite(flat)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ValueError(f"{name} returned a non-finite probability {flat[r, c]!r} "
                         f"(action {int(c)}) at {describe(game, int(r))}")
    neg = flat < -atol
    if neg.any():
        r, c = np.argwhere(neg)[0]
        raise ValueError(f"{name} returned a negative probability {flat[r, c]!r} "
                         f"(action {int(c)}) at {describe(game, int(r))}")
    sums = flat.sum(axis=1)
    off = np.abs(sums - 1.0) > atol
    if off.any():
        r = int(np.argmax(off))
        raise ValueError(f"{name} returned probabilities summing to {sums[r]!r} (not 1 within "
                         f"atol={atol:g}) at {describe(game, r)}")
    flat = np.clip(flat, 0.0, None)
    flat = flat / flat.sum(axis=1, keepdims=True)
    return flat.reshape(out.shape)


def _tabulate(fn, obs: np.ndarray, row_shape: tuple, game, name: str, batched, atol: float):
    """Call ``fn`` on every observation; returns ``(N,) + row_shape`` probabilities."""
    if not callable(fn):
        raise TypeError(f"{name} must be callable (observation -> action probabilities), "
                        f"got {type(fn).__name__}")
    N = obs.shape[0]
    flat_size = int(np.prod(row_shape))
    accepted = (row_shape, (flat_size,))

    def as_row(x, r):
        try:
            a = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must return array_like probabilities; at "
                            f"{describe(game, r)} it returned {type(x).__name__} ({exc})") from None
        if a.shape not in accepted:
            raise ValueError(f"{name} returned shape {a.shape} at {describe(game, r)}; expected "
                             f"{row_shape} (one probability per action)")
        return a.reshape(row_shape)

    out = None
    if batched is None or batched:
        try:
            raw = fn(obs)
            out = np.asarray(raw, dtype=np.float64)
        except Exception:
            if batched:
                raise
            out = None
        if out is not None and out.shape not in ((N,) + row_shape, (N, flat_size)):
            if batched:
                raise ValueError(f"{name} returned shape {out.shape} for a batch of {N} observations; "
                                 f"expected {(N,) + row_shape} (batched=True)")
            out = None
        if out is not None:
            out = out.reshape((N,) + row_shape)
            if batched is None and N > 1:
                # a per-observation callable can accidentally accept a batch (e.g. W @ X):
                # check the first and last rows against single calls, else loop
                for r in (0, N - 1):
                    try:
                        single = np.asarray(fn(obs[r]), dtype=np.float64)
                    except Exception:
                        break  # accepts batches only: trust the batch
                    if single.shape not in accepted:
                        break  # not a per-observation callable: trust the batch
                    if not np.allclose(single.reshape(row_shape), out[r], rtol=1e-6, atol=1e-9,
                                       equal_nan=True):
                        out = None
                        break
    if out is None:
        out = np.empty((N,) + row_shape)
        for r in range(N):
            out[r] = as_row(fn(obs[r]), r)
    return _check_probabilities(out, game, name, atol)


def policy_from_callable(game: MarkovGame, fn, *, joint: bool = False, observation: str = "one_hot",
                         batched: bool | None = None, atol: float = 1e-6) -> np.ndarray:
    """Tabulate callables ``observation -> action probabilities`` into a joint policy.

    Parameters
    ----------
    game : MarkovGame
    fn : callable or sequence of callables
        Decentralised (default): a sequence of ``n`` callables, ``fn[i](o) -> (A_i,)``
        probabilities of player ``i``; a single callable is accepted when ``n = 1``. The
        joint policy is the product ``pi(a|s) = prod_i fn[i](o(s))[a_i]``.
        ``joint=True``: one callable ``fn(o) -> (A_1, ..., A_n)`` (or the flat ``(A,)``,
        C order as :func:`robustgames.joint_index`), a possibly correlated joint policy.
    joint : bool
        See ``fn``.
    observation : {"one_hot", "index"}
        The encoding the callables read, as in :func:`robustgames.bridge.to_pettingzoo`.
    batched : bool or None
        ``True``: call each callable once on the batch of all ``N`` observations (``N = S``,
        or ``H * S``; see :func:`all_observations`) and expect ``(N, A_i)``.
        ``False``: call it ``N`` times, one observation each (a Python loop over
        decision points, run once per conversion). ``None`` (default): try the batch; if
        the call raises or returns another shape, or if single calls on the first/last
        observation succeed with one probability per action but differ from the batch's
        rows (a per-observation callable that happened to accept a batch), fall back to
        the loop.
    atol : float
        Tolerance for non-negativity and row sums (float32 networks sum to 1 within
        ~1e-7). Accepted rows are clipped at 0 and renormalised exactly.

    Returns
    -------
    ndarray
        The joint policy, shape ``game.policy_shape``.

    Raises
    ------
    TypeError, ValueError
        Naming the argument (``fn`` or ``fn[i]``) and the decision point: wrong shapes,
        NaN/inf, negative probabilities, rows not summing to one within ``atol``.
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    atol = check_real(atol, "atol", low=0.0)
    if batched is not None and not isinstance(batched, bool):
        raise TypeError(f"batched must be True, False or None, got {batched!r}")
    obs = all_observations(game, observation)
    lead, acts, n = _lead(game), game.n_actions, game.n_players
    if joint:
        probs = _tabulate(fn, obs, acts, game, "fn", batched, atol)
        return np.ascontiguousarray(probs.reshape(lead + acts))
    if callable(fn):
        if n != 1:
            raise TypeError(f"fn must be a sequence of {n} per-agent callables (or pass joint=True "
                            "for one callable over joint actions), got a single callable")
        fns = [fn]
    else:
        try:
            fns = list(fn)
        except TypeError:
            raise TypeError(f"fn must be a callable or a sequence of {n} callables, "
                            f"got {type(fn).__name__}") from None
        if len(fns) != n:
            raise ValueError(f"fn lists {len(fns)} callables but the game has {n} players")
    name = "fn" if callable(fn) else "fn[{}]"
    per_agent = [
        _tabulate(f, obs, (acts[i],), game, name.format(i), batched, atol).reshape(lead + (acts[i],))
        for i, f in enumerate(fns)
    ]
    return product_policy(per_agent)


# -- Q-tables ---------------------------------------------------------------------------
def _rule_rows(q: np.ndarray, rule: str, temperature, tie: str, tie_tol: float) -> np.ndarray:
    """Distribution from each row of ``q`` (..., K)."""
    if rule == "softmax":
        z = (q - q.max(axis=-1, keepdims=True)) / temperature
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)
    best = q.max(axis=-1, keepdims=True)
    near = q >= best - tie_tol
    if tie == "first":
        first = np.argmax(near, axis=-1)
        out = np.zeros_like(q)
        np.put_along_axis(out, first[..., None], 1.0, axis=-1)
        return out
    return near / near.sum(axis=-1, keepdims=True)


def policy_from_q(game: MarkovGame, Q, rule: str = "greedy", *, temperature=None, tie: str = "uniform",
                  tie_tol: float = 0.0) -> np.ndarray:
    """Joint policy from per-agent or joint Q-tables under a declared rule.

    Parameters
    ----------
    game : MarkovGame
    Q : sequence of array_like, or array_like
        Per-agent tables: a sequence of ``n`` arrays, ``Q[i]`` of shape ``(S, A_i)``
        (discounted) or ``(H, S, A_i)``; each player applies the rule to its own table and
        the joint policy is the product. Joint table: one array of shape
        ``game.policy_shape`` (a team / centralised Q over joint actions); the rule is
        applied over joint actions, so greedy ties under ``tie="uniform"`` and every
        softmax give a correlated joint policy.
    rule : {"greedy", "softmax"}
    temperature : float
        Softmax temperature ``T > 0`` (required for ``"softmax"``):
        ``pi(a|s) = exp(Q(s,a)/T) / sum_b exp(Q(s,b)/T)``.
    tie : {"uniform", "first"}
        Greedy tie rule over the actions with ``Q >= max Q - tie_tol``: uniform over them,
        or the lowest index.
    tie_tol : float
        Ties within this absolute tolerance (default 0: exact ties).

    Returns
    -------
    ndarray
        ``game.policy_shape``.
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    check_choice(rule, "rule", ("greedy", "softmax"))
    check_choice(tie, "tie", ("uniform", "first"))
    tie_tol = check_real(tie_tol, "tie_tol", low=0.0)
    if rule == "softmax":
        if temperature is None:
            raise ValueError("temperature is required for rule='softmax'")
        temperature = check_real(temperature, "temperature", low=0.0, low_open=True)
    elif temperature is not None:
        raise ValueError("temperature applies to rule='softmax' only")
    form, tables = _q_tables(game, Q, allow_player_axis=False)
    lead = _lead(game)
    if form == "joint":
        flat = tables.reshape(lead + (game.n_joint_actions,))
        return _rule_rows(flat, rule, temperature, tie, tie_tol).reshape(game.policy_shape)
    return product_policy([_rule_rows(q, rule, temperature, tie, tie_tol) for q in tables])


def _q_tables(game, Q, *, allow_player_axis: bool):
    """``("per_agent", [Q_i])``, ``("joint", Q)`` or ``("joint_per_player", Q)``, checked."""
    lead, acts, n = _lead(game), game.n_actions, game.n_players
    if isinstance(Q, (list, tuple)):
        if len(Q) != n:
            raise ValueError(f"Q lists {len(Q)} per-agent tables but the game has {n} players")
        tables = []
        for i, q in enumerate(Q):
            arr = as_float_array(q, f"Q[{i}]")
            if arr.shape != lead + (acts[i],):
                raise ValueError(f"Q[{i}] must have shape {lead + (acts[i],)} (player {i}'s "
                                 f"per-agent table), got {arr.shape}")
            tables.append(arr)
        return "per_agent", tables
    arr = as_float_array(Q, "Q")
    shape = game.policy_shape
    if arr.shape == shape:
        return "joint", arr
    if allow_player_axis and arr.shape == shape + (n,):
        return "joint_per_player", arr
    expected = f"{shape}" + (f" or {shape + (n,)}" if allow_player_axis else "")
    raise ValueError(f"Q must be a list of {n} per-agent tables {lead} + (A_i,) or a joint table of "
                     f"shape {expected}, got shape {arr.shape}")


# -- exact references -------------------------------------------------------------------
def _q_table(game, sets, V, players=None) -> np.ndarray:
    """Robust Q ``(H, S, A, n)`` / ``(S, A, n)`` of value tables ``V`` (``(H+1, S, n)`` / ``(S, n)``)."""
    S, A, n = game.n_states, game.n_joint_actions, game.n_players
    if game.discounted:
        return robust_q(game, sets, V, None, players=players, out=np.zeros((S, A, n)))
    Q = np.zeros((game.horizon, S, A, n))
    for h in range(game.horizon):
        robust_q(game, sets, V[h + 1], h, players=players, out=Q[h])
    return Q


def _optimal_team_q(game, sets, tol, max_iter) -> np.ndarray:
    """Optimal robust joint Q of a team game, ``lead + (A,)``: ``Q*(s,a) = r(s,a) +
    c sigma_U(V*)``, ``V*(s) = max_a Q*(s,a)`` (:func:`robustgames.factorization._team.robust_team_q`:
    backward pass, or value iteration to ``gamma/(1-gamma)||V_{k+1}-V_k|| <= tol``, so
    ``||Q - Q*||_inf <= gamma tol``)."""
    r = team_reward(game)
    return robust_team_q(game, sets[0], r, np.zeros(game.n_states, dtype=bool), tol, max_iter)[0]


def _per_agent(Qj: np.ndarray, pi: np.ndarray, acts: tuple, player: int) -> np.ndarray:
    """``sum_{a_-i} pi_{-i}(a_-i|s) Qj(s, a_i, a_-i)``: ``lead + (A_i,)`` (``Qj``, ``pi`` flat)."""
    lead = pi.shape[:-1]
    k = len(lead)
    full = lead + tuple(acts)
    p = np.moveaxis(pi.reshape(full), k + player, k).reshape(lead + (acts[player], -1))
    q = np.moveaxis(Qj.reshape(full), k + player, k).reshape(lead + (acts[player], -1))
    return np.einsum("...br,...r->...b", q, p.sum(axis=k))


def _max_others(Qj: np.ndarray, acts: tuple, player: int) -> np.ndarray:
    """``max_{a_-i} Qj(s, a_i, a_-i)``: ``lead + (A_i,)``."""
    lead = Qj.shape[:-1]
    k = len(lead)
    full = lead + tuple(acts)
    q = np.moveaxis(Qj.reshape(full), k + player, k).reshape(lead + (acts[player], -1))
    return q.max(axis=-1)


def _optimal(ref: np.ndarray, chosen: np.ndarray, tol: float) -> np.ndarray:
    """Whether ``chosen`` (lead int) attains ``max ref`` within ``tol``."""
    got = np.take_along_axis(ref, chosen[..., None], axis=-1)[..., 0]
    return got >= ref.max(axis=-1) - tol


def _q_report(game, sets, pi, V, Q, q_target, br_values, tol, max_iter, agreement_tol):
    form, tables = _q_tables(game, Q, allow_player_axis=True)
    n, acts = game.n_players, game.n_actions
    team = is_team_game(game, sets)
    if q_target == "auto":
        if team:
            q_target = "optimal"
        elif form == "per_agent":
            q_target = "best_response"
        else:
            q_target = "policy"
    if q_target == "optimal" and not team:
        raise ValueError("q_target='optimal' needs a team game (identical rewards and sets); "
                         "use 'policy' or 'best_response' for a general-sum game")
    if form == "joint" and not team and n > 1:
        raise ValueError("a joint Q without a player axis needs a team game; give Q of shape "
                         f"{game.policy_shape + (n,)} (one column per player) or per-agent tables")
    if q_target == "best_response" and form != "per_agent":
        raise ValueError("q_target='best_response' compares per-agent tables; give Q as a list "
                         "of per-agent tables")
    if q_target == "optimal":
        Qs = _optimal_team_q(game, sets, tol, max_iter)            # lead + (A,)
        joint_refs = [Qs] * n
    elif q_target == "policy":
        Qpi = _q_table(game, sets, V)
        joint_refs = [Qpi[..., i] for i in range(n)]
    else:  # best response of each player against the others' marginals
        joint_refs = []
        for i in range(n):
            Vi = np.zeros(V.shape)
            Vi[..., i] = br_values[i]
            joint_refs.append(_q_table(game, sets, Vi, players=(i,))[..., i])
    if form == "per_agent":
        if q_target == "optimal":
            refs = [_max_others(Qs, acts, i) for i in range(n)]
        else:
            refs = [_per_agent(joint_refs[i], pi, acts, i) for i in range(n)]
        point_err = np.max([np.abs(tables[i] - refs[i]).max(axis=-1) for i in range(n)], axis=0)
        errors = np.array([np.max(np.abs(tables[i] - refs[i])) for i in range(n)])
        greedy = [np.argmax(tables[i], axis=-1) for i in range(n)]
        if q_target == "optimal":  # does the decentralised greedy joint action reach the team optimum?
            flat = np.ravel_multi_index(tuple(greedy), acts)
            ok_joint = _optimal(Qs, flat, agreement_tol)
            per_player = np.array([_optimal(refs[i], greedy[i], agreement_tol).mean() for i in range(n)])
            ok_all = ok_joint
        else:
            oks = [_optimal(refs[i], greedy[i], agreement_tol) for i in range(n)]
            per_player = np.array([o.mean() for o in oks])
            ok_all = np.logical_and.reduce(oks)
    else:
        lead = pi.shape[:-1]
        cols = [tables.reshape(lead + (-1,))] * n if form == "joint" else [
            tables[..., i].reshape(lead + (-1,)) for i in range(n)]
        point_err = np.max([np.abs(cols[i] - joint_refs[i]).max(axis=-1) for i in range(n)], axis=0)
        errors = np.array([np.max(np.abs(cols[i] - joint_refs[i])) for i in range(n)])
        oks = [_optimal(joint_refs[i], np.argmax(cols[i], axis=-1), agreement_tol) for i in range(n)]
        per_player = np.array([o.mean() for o in oks])
        ok_all = np.logical_and.reduce(oks)
    reach = reachable_points(game, pi)
    return dict(q_error=float(errors.max()), q_error_per_player=errors, greedy_agreement=float(ok_all.mean()),
                greedy_agreement_per_player=per_player, q_target=q_target, q_form=form,
                q_error_reachable=float(point_err[reach].max()) if reach.any() else float("nan"),
                greedy_agreement_reachable=float(ok_all[reach].mean()) if reach.any() else float("nan"),
                reachable=reach)


def reachable_points(game: MarkovGame, pi: np.ndarray) -> np.ndarray:
    """Boolean mask of the decision points ``(h, s)`` (finite horizon) or states
    (discounted) that the joint policy ``pi`` (flat, ``lead + (A,)``) reaches with positive
    probability from ``initial`` under the NOMINAL kernel.

    Finite horizon: forward pass ``d_0 = mu``, ``d_{h+1}(s') = sum_{s,a} d_h(s) pi_h(a|s)
    P0_h(s'|s,a)``, mask ``d_h > 0``. Discounted: the closure of ``supp(mu)`` under the
    successors with positive probability. (A robust adversary can move mass to other
    states, e.g. TV's support shift; those are not counted as reached.)
    """
    P = game.flat_transitions  # lead + (A, S)
    mu = np.asarray(game.initial, dtype=np.float64)
    if not game.discounted:
        H, S = game.horizon, game.n_states
        mask = np.zeros((H, S), dtype=bool)
        d = mu > 0
        for h in range(H):
            mask[h] = d
            step = np.einsum("sa,sat->t", pi[h] * d[:, None], P[h])
            d = step > 0
        return mask
    succ = np.einsum("sa,sat->st", pi, P) > 0
    reach = mu > 0
    while True:
        new = reach | succ[reach].any(axis=0)
        if np.array_equal(new, reach):
            return reach
        reach = new


# -- assess -----------------------------------------------------------------------------
def assess(game: MarkovGame, U, policy, Q=None, *, q_target: str = "auto", observation: str = "one_hot",
           tol: float = 1e-10, max_iter: int = 1_000_000, agreement_tol: float = 1e-8) -> Result:
    """Exact robust truth about any joint policy (and optionally a learned Q).

    With ``mu`` the start distribution, ``V^pi_i`` the robust value of ``pi`` for player
    ``i`` and ``V^BR_i`` player ``i``'s robust best-response value against ``pi``
    (unilateral deviation for Nash/CCE, strategy modification for CE; docs/theory.md
    section 3, as :func:`robustgames.gap`):

    * ``values[i] = mu . V^pi_{i,1}``; ``best_response_values[i] = mu . V^BR_{i,1}``;
    * ``improvements[i] = best_response_values[i] - values[i]`` (signed: negative for a
      player a correlated policy serves better than any unilateral deviation);
    * ``gap_cce = max(0, max_i improvements[i])``; ``gap_nash`` the same number for a
      product policy and NaN for a correlated one (a Nash equilibrium must be a product;
      ``is_product`` says which); ``gap_ce = max(0, max_i improvements_ce[i])``.

    With ``Q``, ``q_error = ||Q - Q*||_inf`` (max over players, steps, states, actions) and
    ``greedy_agreement`` = the fraction of decision points (``(h, s)`` pairs, or states)
    where the greedy action of ``Q`` (``numpy.argmax``: lowest index on ties) is optimal
    for ``Q*`` within ``agreement_tol``. The reference ``Q*`` (``q_target``):

    * ``"optimal"`` (default for a team game: identical rewards and sets, see
      :func:`is_team_game`): the optimal robust joint Q, ``Q*(s,a) = r(s,a) +
      c sigma_U(max_b Q*(., b))``. A joint Q is compared entry-wise; a per-agent table
      ``Q_i(s, a_i)`` with ``max_{a_-i} Q*(s, a_i, a_-i)`` (the individual utilities whose
      greedy actions form an optimal joint action, IGM); ``greedy_agreement`` asks whether
      the joint action of the per-agent greedy actions is team-optimal.
    * ``"policy"`` (default for a general-sum joint ``Q`` of shape
      ``policy_shape + (n,)``): the robust Q of the assessed policy itself,
      ``Q^pi_i(s,a) = r_i(s,a) + c sigma_{U_i}(V^pi_i)`` (what a centralised critic
      estimates); for per-agent tables its average over the others' actions,
      ``sum_{a_-i} pi_{-i}(a_-i|s) Q^pi_i(s, a_i, a_-i)``.
    * ``"best_response"`` (default for general-sum per-agent tables): player ``i``'s
      robust best-response Q against the others' marginal, ``sum_{a_-i} pi_{-i}(a_-i|s)
      [r_i(s,a) + c sigma_{U_i}(V^BR_i)]`` (what independent Q-learning against fixed
      others estimates); greedy agreement then asks whether each greedy action is a
      robust best response.

    Parameters
    ----------
    game : MarkovGame
    U : UncertaintySet or list of UncertaintySet
    policy : array_like, list of array_like, callable or list of callables
        A joint policy ``game.policy_shape``, per-player policy arrays (their product),
        or callables converted by :func:`policy_from_callable` (per-agent list; a single
        callable is read as a joint callable when ``n > 1``) with ``observation``.
    Q : array_like or list of array_like, optional
        Per-agent tables ``[(..., S, A_i)]``, a joint team table ``game.policy_shape`` or a
        joint table with a player axis ``game.policy_shape + (n,)``.
    q_target : {"auto", "optimal", "policy", "best_response"}
    tol, max_iter
        Discounted games: sup-norm accuracy of every value (contractions stop at
        ``gamma/(1-gamma)||V_{k+1}-V_k||_inf <= tol``).
    agreement_tol : float
        Tolerance of "optimal" in ``greedy_agreement``.

    Returns
    -------
    Result
        ``values``, ``best_response_values``, ``improvements`` (nash/cce deviations),
        ``best_response_values_ce``, ``improvements_ce``, ``gap_nash``, ``gap_ce``,
        ``gap_cce``, ``is_product``, ``value_table`` (the full robust values, as
        :func:`robustgames.evaluate`), ``policy`` (the tabulated joint policy); with ``Q``
        also ``q_error``, ``q_error_per_player``, ``greedy_agreement``,
        ``greedy_agreement_per_player``, ``q_target`` (the one used) and ``q_form``, and
        the same two measures over the decision points the policy reaches under the
        nominal kernel, ``q_error_reachable`` and ``greedy_agreement_reachable`` (with the
        mask ``reachable``, see :func:`reachable_points`): points the start state never
        reaches often dominate ``q_error`` of a learned table, since no training ever
        visits them.
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    check_choice(q_target, "q_target", Q_TARGETS)
    tol, max_iter = check_iteration_args(tol, max_iter)
    agreement_tol = check_real(agreement_tol, "agreement_tol", low=0.0)
    sets = player_sets(game, U)
    if callable(policy):
        policy = policy_from_callable(game, policy, joint=game.n_players > 1, observation=observation)
    elif isinstance(policy, (list, tuple)) and policy and all(callable(p) for p in policy):
        policy = policy_from_callable(game, policy, observation=observation)
    pi = as_joint_policy(game, policy)
    n = game.n_players
    V = _evaluate(game, sets, pi, tol=tol, max_iter=max_iter)
    mu = game.initial
    values = mu @ (V if game.discounted else V[0])
    br, br_ce, br_tables = np.empty(n), np.empty(n), []
    for i in range(n):
        res = _best_response(game, sets, pi, i, "nash", tol=tol, max_iter=max_iter)
        br[i] = res.value
        br_tables.append(res.values)
        br_ce[i] = _best_response(game, sets, pi, i, "ce", tol=tol, max_iter=max_iter).value
    improvements, improvements_ce = br - values, br_ce - values
    product = is_product_policy(pi, game.n_actions)
    gap_cce = max(0.0, float(improvements.max()))
    out = dict(
        values=values,
        best_response_values=br,
        improvements=improvements,
        best_response_values_ce=br_ce,
        improvements_ce=improvements_ce,
        gap_nash=gap_cce if product else float("nan"),
        gap_ce=max(0.0, float(improvements_ce.max())),
        gap_cce=gap_cce,
        is_product=bool(product),
        value_table=V,
        policy=pi.reshape(game.policy_shape),
    )
    if Q is not None:
        out.update(_q_report(game, sets, pi, V, Q, q_target, br_tables, tol, max_iter, agreement_tol))
    return Result(**out)

