"""Robust best responses and robust equilibrium gaps.

With the others fixed, player ``i`` faces a robust MDP (docs/theory.md section 3). Two kinds of
deviation are supported:

* ``"nash"`` / ``"cce"``: player ``i`` ignores its recommendation and plays any policy
  ``pi'_i`` while the others play their joint marginal ``pi_{-i}(a_{-i}|s) =
  sum_{a_i} pi(a_i, a_{-i}|s)``:
  ``V^BR_{i,h}(s) = max_{b} sum_{a_{-i}} pi_{-i}(a_{-i}|s) Q^BR_{i,h}(s, b, a_{-i})``;
* ``"ce"``: a strategy modification ``phi_i`` (per step and state) maps each recommended
  ``a_i`` to a played ``b``:
  ``V^BR_{i,h}(s) = sum_{a_i} max_b sum_{a_{-i}} pi(a_i, a_{-i}|s) Q^BR_{i,h}(s, b, a_{-i})``,

where ``Q^BR_{i,h}(s,a) = r_{i,h}(s,a) + sigma_{U_i(P0_h(.|s,a))}(V^BR_{i,h+1})``. Markov
deviations suffice because the sets are (s,a)-rectangular. The robust gap of ``pi`` is
``max(0, max_i [ mu . V^BR_{i,1} - mu . V^pi_{i,1} ])`` at the start distribution ``mu``;
it is zero exactly at a robust equilibrium of that kind.
"""

from __future__ import annotations

import numpy as np

from .._result import Result
from .._validation import check_choice
from ..games import MarkovGame
from ._backup import check_iteration_args, fixed_point, player_sets, robust_q
from ._evaluate import _evaluate
from ._policy import as_joint_policy

KINDS = ("nash", "cce", "ce")


def _deviation_step(pi_s: np.ndarray, Qi: np.ndarray, n_actions: tuple, player: int, kind: str):
    """One step of the best-response recursion at every state.

    ``pi_s`` and ``Qi`` are ``(S, A)`` (flat joint actions). Returns the best-response
    value ``(S,)`` and the deviation: ``(S,)`` chosen actions (nash/cce) or ``(S, A_i)``
    the modification ``phi(a_i)`` (ce).
    """
    S = pi_s.shape[0]
    full = (S,) + tuple(n_actions)
    p = np.moveaxis(pi_s.reshape(full), 1 + player, 1).reshape(S, n_actions[player], -1)
    q = np.moveaxis(Qi.reshape(full), 1 + player, 1).reshape(S, n_actions[player], -1)
    if kind == "ce":
        N = np.einsum("sar,sbr->sab", p, q)
        return N.max(axis=2).sum(axis=1), N.argmax(axis=2)
    marg = p.sum(axis=1)
    vals = np.einsum("sbr,sr->sb", q, marg)
    return vals.max(axis=1), vals.argmax(axis=1)


def best_response(game: MarkovGame, U, policy, player: int, *, kind: str = "nash",
                  tol: float = 1e-10, max_iter: int = 1_000_000) -> Result:
    """Robust best response of ``player`` to a joint policy.

    Parameters
    ----------
    game, U, policy
        As in :func:`robustgames.evaluate`.
    player : int
        The deviating player ``i`` (0-based).
    kind : {"nash", "cce", "ce"}
        Deviation class (see module docstring). ``"nash"`` and ``"cce"`` compute the same
        deviation; they differ in whether the policy itself must be a product.
    tol, max_iter
        Discounted games: robust value iteration stops when
        ``gamma/(1-gamma) ||V_{k+1} - V_k||_inf <= tol`` (error guarantee ``tol``).

    Returns
    -------
    Result
        ``values``: best-response values ``(H+1, S)`` or ``(S,)``; ``deviation``: the
        deviating actions ``(H, S)``/``(S,)`` (nash/cce) or modifications
        ``(H, S, A_i)``/``(S, A_i)`` (ce); ``value``: at the start distribution.
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    if isinstance(player, bool) or not isinstance(player, (int, np.integer)) or not 0 <= player < game.n_players:
        raise ValueError(f"player must be an integer in [0, {game.n_players}), got {player!r}")
    check_choice(kind, "kind", KINDS)
    tol, max_iter = check_iteration_args(tol, max_iter)
    sets = player_sets(game, U)
    pi = as_joint_policy(game, policy)
    return _best_response(game, sets, pi, int(player), kind, tol=tol, max_iter=max_iter)


def _best_response(game, sets, pi, player, kind, *, tol=1e-10, max_iter=1_000_000):
    S, n, acts = game.n_states, game.n_players, game.n_actions
    Vfull = np.zeros((S, n))
    Q = np.empty((S, game.n_joint_actions, n))
    if not game.discounted:
        H = game.horizon
        V = np.zeros((H + 1, S))
        dev = []
        for h in range(H - 1, -1, -1):
            Vfull[:, player] = V[h + 1]
            robust_q(game, sets, Vfull, h, players=(player,), out=Q)
            V[h], d = _deviation_step(pi[h], Q[:, :, player], acts, player, kind)
            dev.append(d)
        deviation = np.stack(dev[::-1])
        return Result(values=V, deviation=deviation, value=float(game.initial @ V[0]), player=player, kind=kind)

    def step(V):
        Vfull[:, player] = V
        robust_q(game, sets, Vfull, None, players=(player,), out=Q)
        return _deviation_step(pi, Q[:, :, player], acts, player, kind)

    V, d, iterations, converged = fixed_point(step, np.zeros(S), game.gamma, tol, max_iter,
                                              "robust best response")
    return Result(values=V, deviation=d, value=float(game.initial @ V), player=player, kind=kind,
                  iterations=iterations, converged=converged)


def gap(game: MarkovGame, U, policy, kind: str = "nash", *, tol: float = 1e-10,
        max_iter: int = 1_000_000) -> Result:
    """Robust equilibrium gap of a joint policy at the start distribution.

    ``gap(pi) = max_i [ mu . V^{BR}_{i} - mu . V^{pi}_{i} ]`` (docs/theory.md section 3), with the
    deviation class of ``kind`` (see :func:`best_response`), floored at 0:
    ``max(0, max_i [...])``. Under ``"nash"`` (product policies) and ``"ce"`` each player's
    improvement is ``>= 0`` because following the policy is itself a deviation; under
    ``"cce"`` a correlated policy can give a player MORE than any fixed deviation against
    the others' marginal, so a per-player improvement can be negative (the policy is then
    a strict robust CCE for that player). ``per_player`` keeps the signed numbers.

    Returns
    -------
    Result
        ``value`` (the gap, a float >= 0), ``per_player`` ``(n,)`` signed improvements,
        ``best_response_values`` and ``policy_values`` ``(n,)`` at the start
        distribution, ``values`` (the robust values of ``policy``, as
        :func:`robustgames.evaluate`), ``kind`` and ``is_product`` (whether the policy
        is a product of its marginals: a robust Nash equilibrium needs it).
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    check_choice(kind, "kind", KINDS)
    tol, max_iter = check_iteration_args(tol, max_iter)
    sets = player_sets(game, U)
    pi = as_joint_policy(game, policy)
    return _gap(game, sets, pi, kind, tol=tol, max_iter=max_iter)


def _gap(game, sets, pi, kind, *, tol=1e-10, max_iter=1_000_000, values=None):
    V = _evaluate(game, sets, pi, tol=tol, max_iter=max_iter) if values is None else values
    V0 = V if game.discounted else V[0]
    own = game.initial @ V0
    br = np.array([
        _best_response(game, sets, pi, i, kind, tol=tol, max_iter=max_iter).value
        for i in range(game.n_players)
    ])
    per_player = br - own
    return Result(
        value=max(0.0, float(per_player.max())),
        per_player=per_player,
        best_response_values=br,
        policy_values=own,
        values=V,
        kind=kind,
        is_product=bool(is_product_policy(pi, game.n_actions)),
    )


def is_product_policy(flat_pi: np.ndarray, n_actions: tuple, tol: float = 1e-9) -> bool:
    """Whether every state's joint distribution equals the product of its marginals."""
    lead = flat_pi.shape[:-1]
    full = flat_pi.reshape(lead + tuple(n_actions))
    k = len(lead)
    prod = None
    for i in range(len(n_actions)):
        axes = tuple(k + j for j in range(len(n_actions)) if j != i)
        m = full.sum(axis=axes, keepdims=True)
        prod = m if prod is None else prod * m
    return bool(np.max(np.abs(prod - full)) <= tol) if full.size else True
