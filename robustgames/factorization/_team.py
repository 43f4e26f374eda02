"""Exact robust team values of a cooperative game and its worst-case kernel (DrIGM).

A cooperative game has one team reward ``r(s, a)`` (every player's reward, or player
``reward``'s). Its robust team value is that of the robust MDP whose actions are the joint
actions ``a = (a_1..a_n)``, with one (s,a)-rectangular set ``U`` per joint row
(docs/theory.md sections 3 and 6.1; DrIGM, arXiv 2602.11437):

    Q*(s, a) = r(s, a) + c sigma_{U(P0(.|s,a))}(V*),    V*(s) = max_a Q*(s, a),

(``c = gamma`` discounted, ``c = 1`` and a step index in finite horizon). The worst-case
kernel is ``P^w(.|s,a) = U.worst_distribution(P0(.|s,a), V*)``, a minimiser of ``p.V*``
in the set. Then ``Q* = r + c P^w V*`` row by row, and ``V* = max_a Q*``, so ``Q*`` is a
fixed point of the ORDINARY Bellman optimality operator of the MDP with kernel ``P^w``:
``Q*`` is that MDP's optimal Q (discounted: the fixed point is unique; finite horizon: the
backward recursion). :func:`team_robust_q` computes all of this and the residual
``||Q* - Q*_{P^w}||_inf``, where ``Q*_{P^w}`` is solved by an independent non-robust value
iteration. Every ``P`` in the set gives ``Q*_P >= Q^{pi*, P} >= Q*`` (pi* greedy for
``Q*``), so ``Q* = min_P Q*_P`` is attained by the single model ``P^w`` at every
``(s, a)`` at once: the fact DrIGM's anchoring rests on.

Terminal states (``terminal``): states whose value is pinned at 0 (the ``(1 - done)`` mask
of the published code, docs/theory.md section 6.2): ``V(s) = 0`` there, they still count in
the minimum of ``V`` seen by the sets.
"""

from __future__ import annotations

import numpy as np

from .._result import Result
from .._validation import as_float_array, check_positive_int, check_tolerance
from ..games import MarkovGame
from ..planning._backup import fixed_point
from ..uncertainty import UncertaintySet, as_player_sets

__all__ = ["team_reward", "team_robust_q", "optimal_q", "terminal_mask"]


def team_reward(game: MarkovGame, reward="identical") -> np.ndarray:
    """The team reward ``(H, S, A)`` or ``(S, A)`` (joint actions flattened).

    ``reward="identical"`` requires every player's reward to be the same (exactly; a
    cooperative game) and raises ``ValueError`` naming the first differing entry;
    an integer ``i`` uses player ``i``'s reward whatever the others are.
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    R = game.flat_rewards
    if isinstance(reward, str):
        if reward != "identical":
            raise ValueError(f"reward must be 'identical' or a player index, got {reward!r}")
        diff = R != R[..., :1]
        if diff.any():
            idx = tuple(int(i) for i in np.argwhere(diff)[0])
            raise ValueError(
                f"game is not cooperative: rewards differ between players at flat index {idx} "
                "(pass reward=i to use player i's reward as the team reward)")
        return np.ascontiguousarray(R[..., 0])
    if isinstance(reward, bool) or not isinstance(reward, (int, np.integer)):
        raise TypeError(f"reward must be 'identical' or an int player index, got {type(reward).__name__}")
    if not 0 <= reward < game.n_players:
        raise ValueError(f"reward={reward} is not a player index (game has {game.n_players} players)")
    return np.ascontiguousarray(R[..., int(reward)])


def terminal_mask(game: MarkovGame, terminal) -> np.ndarray:
    """Boolean ``(S,)`` mask of the pinned terminal states (``None``: none); accepts a mask
    or a list of state indices."""
    S = game.n_states
    if terminal is None:
        return np.zeros(S, dtype=bool)
    t = np.asarray(terminal)
    if t.dtype == bool:
        if t.shape != (S,):
            raise ValueError(f"terminal mask must have shape ({S},), got {t.shape}")
        return t.copy()
    t = t.astype(np.int64).reshape(-1)
    if ((t < 0) | (t >= S)).any():
        raise ValueError(f"terminal lists a state outside [0, {S - 1}]: {t.tolist()}")
    mask = np.zeros(S, dtype=bool)
    mask[t] = True
    return mask


def _single_set(game, U) -> UncertaintySet:
    sets = as_player_sets(U, game.n_players, game)
    if any(s is not sets[0] and s != sets[0] for s in sets):
        raise ValueError("a team value needs ONE uncertainty set (the team meets one adversary); "
                         "got different sets per player")
    return sets[0]


def _rows(game, h=None):
    S, A = game.n_states, game.n_joint_actions
    P = game.flat_transitions if h is None else game.flat_transitions[h]
    return np.ascontiguousarray(P.reshape(S * A, S))


def _sigma(U, P, V):
    out = np.empty(P.shape[0])
    U._values(P, np.ascontiguousarray(V, dtype=np.float64), out)
    return out


def _worst(U, P, V):
    out = np.empty(P.shape)
    U._distributions(P, np.ascontiguousarray(V, dtype=np.float64), out)
    return out


def team_robust_q(game: MarkovGame, U, *, reward="identical", terminal=None, tol: float = 1e-11,
                  max_iter: int = 1_000_000) -> Result:
    """Exact robust team Q*, V*, the worst-case kernel at V*, and the check that Q* is
    the ordinary optimal Q of the MDP with that kernel (docs/theory.md section 6.1).

    Parameters
    ----------
    game : MarkovGame
        Cooperative (see :func:`team_reward`), finite horizon or discounted.
    U : UncertaintySet
        One (s,a)-rectangular set (any family: TV, KL, ChiSquare, Contamination, Group).
    reward : "identical" or int
        How the team reward is read (:func:`team_reward`).
    terminal : None, bool mask (S,) or state indices
        States whose value is pinned at 0 (module docstring).
    tol : float
        Discounted: sup-norm accuracy of V* (value iteration with the
        ``gamma/(1-gamma) ||V_{k+1} - V_k||`` stopping rule, docs/theory.md section 3.2).
    max_iter : int
        Discounted: iteration cap (``converged`` False if reached, with a ``RuntimeWarning``).

    Returns
    -------
    Result
        ``Q`` (``policy_shape``), ``V`` (``(H+1, S)`` or ``(S,)``), ``worst_kernel``
        (``game.transitions.shape``), ``policy`` (deterministic joint greedy policy,
        lowest flat joint index on ties, ``policy_shape``), ``Q_worst_model`` (optimal Q of
        the MDP with ``worst_kernel``, solved independently), ``residual``
        (``||Q - Q_worst_model||_inf``), ``in_set`` (every worst row lies in the set,
        ``None`` for sets without a membership test), ``iterations``, ``converged``.
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    tol = check_tolerance(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    Uset = _single_set(game, U)
    r = team_reward(game, reward)
    term = terminal_mask(game, terminal)
    S, A = game.n_states, game.n_joint_actions
    Q, V, iterations, converged = robust_team_q(game, Uset, r, term, tol, max_iter)
    if game.discounted:
        P = _rows(game)
        W = _worst(Uset, P, V)
        Qw = optimal_q(W.reshape(S, A, S), r, game.gamma, terminal=term, tol=tol, max_iter=max_iter)
        in_set = _membership(Uset, P, W)
    else:
        H = game.horizon
        W = np.stack([_worst(Uset.at_step(h), _rows(game, h), V[h + 1]) for h in range(H)])
        Qw = optimal_q(W.reshape(H, S, A, S), r, None, terminal=term)
        in_set = all(_membership(Uset.at_step(h), _rows(game, h), W[h]) in (True, None) for h in range(H))
    worst_kernel = W.reshape(game.transitions.shape)
    flatQ = Q
    best = flatQ.argmax(axis=-1)
    policy = np.zeros(flatQ.shape)
    np.put_along_axis(policy, best[..., None], 1.0, axis=-1)
    shape = game.policy_shape
    return Result(Q=Q.reshape(shape), V=V, worst_kernel=worst_kernel, policy=policy.reshape(shape),
                  Q_worst_model=Qw.reshape(shape), residual=float(np.max(np.abs(Q - Qw))),
                  in_set=in_set, iterations=iterations, converged=converged)


def robust_team_q(game, U, r, term, tol, max_iter):
    """``(Q, V, iterations, converged)``: the optimal robust team Q ``lead + (A,)`` and
    ``V*`` for the set ``U`` and team reward ``r`` (``lead + (A,)``), states in ``term``
    pinned at 0: ``Q*(s,a) = r(s,a) + c sigma_U(V*)``, ``V* = max_a Q*`` (backward pass;
    discounted: value iteration by :func:`robustgames.planning._backup.fixed_point`, which
    warns if ``max_iter`` passes do not reach ``tol``)."""
    S, A = game.n_states, game.n_joint_actions
    if game.discounted:
        P = _rows(game)
        g = game.gamma

        def step(V):
            return np.where(term, 0.0, (r + g * _sigma(U, P, V).reshape(S, A)).max(axis=1)), None

        V, _, iterations, converged = fixed_point(step, np.zeros(S), g, tol, max_iter, "robust team value iteration")
        return r + g * _sigma(U, P, V).reshape(S, A), V, iterations, converged
    H = game.horizon
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    for h in range(H - 1, -1, -1):
        Q[h] = r[h] + _sigma(U.at_step(h), _rows(game, h), V[h + 1]).reshape(S, A)
        V[h] = np.where(term, 0.0, Q[h].max(axis=1))
    return Q, V, H, True


def _membership(U, P, W):
    try:
        return bool(np.all(U.contains(P, W, tol=1e-7)))
    except NotImplementedError:
        return None


def optimal_q(kernel, reward, gamma, *, terminal=None, tol: float = 1e-12, max_iter: int = 1_000_000) -> np.ndarray:
    """Ordinary (non-robust) optimal Q of the MDP with ``kernel`` and ``reward``.

    ``kernel`` ``(S, A, S)`` with ``gamma`` in ``[0, 1)`` (value iteration to sup-norm
    accuracy ``tol``), or ``(H, S, A, S)`` with ``gamma=None`` (backward recursion);
    ``reward`` ``(S, A)`` / ``(H, S, A)``; ``terminal`` a boolean ``(S,)`` mask of states
    pinned at value 0.
    """
    P = as_float_array(kernel, "kernel", min_ndim=3)
    R = as_float_array(reward, "reward")
    if R.shape != P.shape[:-1]:
        raise ValueError(f"reward shape {R.shape} does not match kernel shape {P.shape}")
    S = P.shape[-1]
    term = np.zeros(S, dtype=bool) if terminal is None else np.asarray(terminal, dtype=bool)
    if gamma is None:
        H = P.shape[0]
        V = np.zeros(S)
        Q = np.empty(R.shape)
        for h in range(H - 1, -1, -1):
            Q[h] = R[h] + P[h] @ V
            V = np.where(term, 0.0, Q[h].max(axis=1))
        return Q
    V = fixed_point(lambda V: (np.where(term, 0.0, (R + gamma * (P @ V)).max(axis=1)), None), np.zeros(S),
                    gamma, tol, max_iter, "optimal Q value iteration")[0]
    return R + gamma * (P @ V)
