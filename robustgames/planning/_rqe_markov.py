"""Markov risk-averse quantal response equilibria (docs/theory.md section 7; Mazumdar,
Panaganti, Shi, arXiv 2406.14156, Markov experiment and its public code).

Two risks, nested. At every stage ``(h, s)`` the players play the stage RQE of
:func:`robustgames.rqe` (the risk over the OPPONENTS' actions is inside the stage
utility) on the stage payoffs

    Q_{i,h}(s, a) = r_{i,h}(s, a) + CE_{tau'_i}[ V_{i,h+1}(s') ],   s' ~ P_h(. | s, a),
    CE_t(V) = -(1/t) log sum_{s'} P_h(s' | s, a) exp(-t V(s'))      (t = 0: the mean),

where ``a`` is the joint action and ``tau'_i`` the next-state risk aversion (default
``tau'_i = tau_i``, as in the authors' code: ``Q_h = r + CE_tau(V_{h+1})``). The stage RQE
``x_h(s)`` then gives player ``i`` the stage utility

    U_i = rho_{tau_i}(Z_i) - eps_i nu(x_i),   Z_i(b) = sum_{a_i} x_i(a_i) Q_{i,h}(s, a_i, b),
    rho_t(Z) = -(1/t) log sum_b q_{-i}(b) exp(-t Z(b)),   q_{-i} = prod_{j != i} x_j.

So the composition is ``rho_b( E_{a_i ~ x_i}[ r + CE_{s'}(V) ] )``: the player's OWN
randomisation is averaged (risk neutral, linear), the opponents' joint action ``b`` and the
next state ``s'`` are under entropic risk, the next-state risk nested inside each joint
action. (If player ``i``'s action were deterministic, the tower property of the entropic
risk with the same ``tau`` would make this the entropic risk of ``r + V`` jointly over
``(b, s')``; with a mixed ``x_i`` it is not.)

The value passed back, ``value=``:

* ``"regularized"``: ``V_{i,h}(s) = U_i = rho_{tau_i}(Z_i) - eps_i nu(x_i)`` (the stage
  RQE utility, regulariser included; for one player this is the soft/regularised Bellman
  value);
* ``"payoff"``: ``V_{i,h}(s) = rho_{tau_i}(Z_i)`` (the risk-adjusted expected payoff
  without the regulariser; the authors' code passes this, computed there with the KL
  reversed, docs/theory.md section 9).

``V_{i,H} = 0``. With ``tau = 0`` and one player, ``"payoff"`` is the exact value of the
returned (softmax) policy and lies in ``[V* - (H-h) eps log A, V*]``, ``"regularized"`` in
``[V*, V* + (H-h) eps log A]`` (entropy regulariser; ``V*`` the optimal value).

Discounted games: value iteration ``V_{k+1} = T V_k`` with the same stage operator and
``gamma CE``, stopped at the first ``k`` with ``gamma/(1-gamma) ||V_{k+1}-V_k||_inf <= tol``.
For ONE player with ``value="regularized"`` ``T`` is monotone and translation-equivariant,
hence a ``gamma``-contraction and the stop guarantees ``||V_{k+1} - V*|| <= tol``; for
``n >= 2`` (or ``value="payoff"``) there is no contraction guarantee in general (stage
equilibria need not vary monotonically with the continuation values): the rule is only a
stopping rule, and non-convergence within ``max_iter`` raises a ``RuntimeWarning``.

Certificates: at every stage the stage residual ``max|x - T(x)|`` and each player's
regularised deviation gain (exploitability) on that stage game, computed by the stage
solver's certificate kernel; the result reports their maxima over all stages. Zero stage
gains at every ``(h, s)`` mean no player gains by a one-stage deviation given the
continuation values (the recursive equilibrium of the paper's backward induction).
"""

from __future__ import annotations

import numpy as np

from .._result import Result
from .._validation import check_choice, check_positive_int, check_tolerance
from ..equilibria._rqe import (
    REGULARIZERS,
    _certificates,
    _homotopy,
    _layout,
    _per_player,
    solve_rqe_stage,
)
from ..games import MarkovGame
from ..risk import entropic_risk
from ._backup import fixed_point

__all__ = ["solve_rqe", "next_state_risk"]

VALUES = ("regularized", "payoff")


def next_state_risk(P, V, tau):
    """``CE_tau(V) = -(1/tau) log sum_{s'} P(s') exp(-tau V(s'))`` per row and player.

    Parameters
    ----------
    P : ndarray (..., S)
        Next-state distributions (rows).
    V : ndarray (S, n)
        Continuation values, player last.
    tau : ndarray (n,)
        Risk aversion per player, ``>= 0`` (``0``: the mean).

    Returns
    -------
    ndarray (..., n)
        Computed with a shifted log-sum-exp over the support of each row (no overflow).
    """
    P = np.asarray(P, dtype=float)
    V = np.asarray(V, dtype=float)
    out = np.empty(P.shape[:-1] + (V.shape[1],))
    for i in range(V.shape[1]):  # the entropic risk of V_i under each row (shifted log-sum-exp)
        out[..., i] = entropic_risk(np.broadcast_to(V[:, i], P.shape), P, float(tau[i]))
    return out


def _nu(x, reg):
    if reg == 0:
        return float(np.sum(np.where(x > 0, x * np.log(np.where(x > 0, x, 1.0)), 0.0)))
    return float(-np.sum(np.log(x)))


class _Stage:
    """Solves stage RQEs with the compiled kernels of :mod:`robustgames.equilibria._rqe`."""

    def __init__(self, n_actions, tau, eps, reg, tol, max_iter):
        self.na = np.ascontiguousarray(n_actions, dtype=np.int64)
        self.n = len(n_actions)
        self.tau, self.eps, self.reg = tau, eps, reg
        self.tol, self.max_iter = tol, max_iter
        self.strides, self.offsets = _layout(self.na)
        self.start = np.concatenate([np.full(a, 1.0 / a) for a in n_actions])

    def solve(self, Qs):
        """``Qs`` (A, n) flat stage payoffs. Returns (x flat, U per player, payoff per player,
        residual, max exploitability, converged)."""
        Qs = np.ascontiguousarray(Qs)
        x = self.start.copy()
        _, _, ok = solve_rqe_stage(Qs, self.na, self.tau, self.eps, self.reg, x, self.tol, self.max_iter)
        if not ok:
            x, _, _, ok = _homotopy(Qs, self.na, self.tau, self.eps, self.reg, self.start, self.tol,
                                    self.max_iter, Qs)
        gain = np.empty(self.n)
        bound = np.empty(self.n)
        U = np.empty(self.n)
        res = _certificates(Qs, self.na, self.strides, self.offsets, x, self.tau, self.eps, self.reg,
                            gain, bound, U)
        pay = U.copy()
        for i in range(self.n):
            o = self.offsets[i]
            pay[i] += self.eps[i] * _nu(x[o:o + self.na[i]], self.reg)
        return x, U, pay, float(res), float(gain.max()), bool(ok)

    def joint(self, x):
        pol = np.ones(())
        for i in range(self.n):
            o = self.offsets[i]
            pol = np.multiply.outer(pol, x[o:o + self.na[i]])
        return pol.reshape(-1)


def solve_rqe(game: MarkovGame, tau, epsilon, regularizer: str = "entropy", value: str = "regularized", *,
              tau_next=None, tol: float = 1e-12, max_iter: int = 100, vi_tol: float = 1e-8,
              vi_max_iter: int = 10_000) -> Result:
    """Markov risk-averse quantal response equilibrium by backward induction (finite
    horizon) or value iteration (discounted).

    At every ``(h, s)``: stage payoffs ``Q_{i,h}(s, a) = r_{i,h}(s, a) + CE_{tau'_i}(V_{i,h+1})``
    over ``s' ~ P_h(.|s, a)`` (``gamma CE`` when discounted), the stage RQE of
    :func:`robustgames.rqe` on them (risk over the opponents' actions inside), and the
    value ``V_{i,h}(s)`` passed back per ``value``; see the module docstring
    (docs/theory.md section 7; arXiv 2406.14156).

    Parameters
    ----------
    game : MarkovGame
    tau : float or sequence of n floats
        Risk aversion ``tau_i >= 0`` of the stage RQE (over the opponents' actions).
    epsilon : float or sequence of n floats
        Bounded rationality ``eps_i > 0``.
    regularizer : {"entropy", "log_barrier"}
    value : {"regularized", "payoff"}
        ``"regularized"``: pass ``rho_{tau_i}(Z_i) - eps_i nu(x_i)`` (the stage RQE utility);
        ``"payoff"``: pass ``rho_{tau_i}(Z_i)`` (risk-adjusted payoff, no regulariser; the
        authors' convention).
    tau_next : float or sequence of n floats, optional
        Next-state risk aversion ``tau'_i >= 0``; default ``tau``.
    tol, max_iter : float, int
        Stage solver: first-order residual target and Newton iterations.
    vi_tol, vi_max_iter : float, int
        Discounted games only: value-iteration stop ``gamma/(1-gamma)||V_{k+1}-V_k|| <= vi_tol``
        and cap (a ``RuntimeWarning`` if not reached; no contraction guarantee for n >= 2).

    Returns
    -------
    Result
        ``policy`` (joint product policy, ``game.policy_shape``), ``strategies`` (list per
        player, ``(H, S, A_i)`` or ``(S, A_i)``), ``values`` (passed values, ``(H+1, S, n)``
        or ``(S, n)``), ``payoff_values`` (``rho_{tau_i}(Z_i)`` at every stage, same shape),
        ``Q`` (stage payoffs, ``policy_shape + (n,)``), ``residual`` (max stage residual),
        ``exploitability`` (max over stages and players of the stage deviation gain),
        ``unique_certain`` (every stage converged and has a unique RQE: one player, or two
        players with ``eps_1 tau_1 eps_2 tau_2 > 1``), ``converged``, ``iterations``,
        ``value``, ``regularizer``. Discounted: ``values`` is the last sweep ``T V_k`` and
        ``policy``/``Q``/certificates are that sweep's (computed from ``V_k``).
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    n = game.n_players
    reg_name = check_choice(regularizer, "regularizer", tuple(REGULARIZERS))
    reg = REGULARIZERS[reg_name]
    value = check_choice(value, "value", VALUES)
    tau_a = _per_player(tau, "tau", n, positive=False)
    eps_a = _per_player(epsilon, "epsilon", n, positive=True)
    tn = tau_a.copy() if tau_next is None else _per_player(tau_next, "tau_next", n, positive=False)
    tol = check_tolerance(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    vi_tol = check_tolerance(vi_tol, "vi_tol")
    vi_max_iter = check_positive_int(vi_max_iter, "vi_max_iter")
    stage = _Stage(game.n_actions, tau_a, eps_a, reg, tol, max_iter)
    S, A = game.n_states, game.n_joint_actions
    P, R = game.flat_transitions, game.flat_rewards
    stats = {"residual": 0.0, "exploitability": 0.0, "ok": True}

    def sweep(Qh, pol_h, strat_h, pay_h):
        """Solve every stage of one layer; returns the passed values (S, n)."""
        V = np.empty((S, n))
        for s in range(S):
            x, U, pay, res, gain, ok = stage.solve(Qh[s])
            pol_h[s] = stage.joint(x)
            strat_h[s] = x
            pay_h[s] = pay
            V[s] = U if value == "regularized" else pay
            stats["residual"] = max(stats["residual"], res)
            stats["exploitability"] = max(stats["exploitability"], gain)
            stats["ok"] = stats["ok"] and ok
        return V

    D = int(sum(game.n_actions))
    if not game.discounted:
        H = game.horizon
        V = np.zeros((H + 1, S, n))
        pay = np.zeros((H + 1, S, n))
        Q = np.empty((H, S, A, n))
        policy = np.empty((H, S, A))
        flat_x = np.empty((H, S, D))
        for h in range(H - 1, -1, -1):
            Q[h] = R[h] + next_state_risk(P[h], V[h + 1], tn)
            V[h] = sweep(Q[h], policy[h], flat_x[h], pay[h])
        iterations, converged = H, True
    else:
        g = game.gamma
        Q = np.empty((S, A, n))
        policy = np.empty((S, A))
        flat_x = np.empty((S, D))
        pay = np.empty((S, n))

        def step(Vk):
            stats.update(residual=0.0, exploitability=0.0, ok=True)  # certificates of the last sweep
            Q[:] = R + g * next_state_risk(P, Vk, tn)
            return sweep(Q, policy, flat_x, pay), None

        V, _, iterations, converged = fixed_point(step, np.zeros((S, n)), g, vi_tol, vi_max_iter,
                                                  "RQE value iteration (no contraction guarantee for n >= 2)")
        # the returned policy/Q/certificates are those of the last sweep, computed from the
        # previous iterate; V is that sweep's output
    offs = stage.offsets
    strategies = [flat_x[..., offs[i]:offs[i] + game.n_actions[i]].copy() for i in range(n)]
    if n == 1:
        unique = True
    elif n == 2:
        unique = bool(eps_a[0] * tau_a[0] * eps_a[1] * tau_a[1] > 1.0)
    else:
        unique = False
    shape = game.policy_shape
    return Result(
        policy=policy.reshape(shape),
        strategies=strategies,
        values=V,
        payoff_values=pay,
        Q=Q.reshape(shape + (n,)),
        residual=stats["residual"],
        exploitability=stats["exploitability"],
        unique_certain=bool(unique and stats["ok"]),
        converged=bool(converged and stats["ok"]),
        iterations=iterations,
        value=value,
        regularizer=reg_name,
    )
