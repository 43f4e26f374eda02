"""The robust Q-targets of the published DrIGM code as exact tabular operators
(docs/theory.md section 6.2; DrIGM arXiv 2602.11437 and its code robust-coMARL, read for
facts only).

For a row ``(s, a)`` with nominal next-state distribution ``p0`` and next values ``V``
(``V = 0`` on pinned terminal states: the ``(1 - done)`` mask), every target is
``y(s, a) = r(s, a) + c T(p0, V)`` (``c = gamma``, or 1 in finite horizon) with ``T``:

* ``"contamination_exact"``: ``(1 - rho) p0.V + rho min_s V`` (= ``sigma_Contamination``);
* ``"contamination"`` (code): ``(1 - rho) p0.V`` (the ``rho min V`` term dropped);
* ``"tv_exact"``: ``sup_eta {(1 - rho) eta - p0.(eta - V)_+} + rho min_s V``
  (= ``sigma_TV``, docs/theory.md section 2.2);
* ``"tv_dual"``: the same supremum without ``rho min V`` (the exact-maximised dropped dual);
* ``"g_network"`` (code): ``(1 - rho) g - p0.(g - V)_+`` with ``g`` the minimiser of the
  squared loss ``L(g) = E_{p0}[((g - V')_+ - (1 - rho) g)^2]``. Derivation: with
  ``h_s(g) = max(-(1 - rho) g, rho g - V(s))``, on an interval of ``g`` where the set
  ``B = {s : V(s) < g}`` is fixed, ``L(g) = a g^2 - 2 rho b g + const`` with
  ``a = (1 - rho)^2 p0(not B) + rho^2 p0(B)``, ``b = sum_{s in B} p0(s) V(s)``; so the
  minimiser on that interval is ``rho b / a`` clipped to it, and the global minimiser is
  the best of these (``L`` is not convex: it has concave kinks at ``g = V(s) > 0``).
  Ties: the smallest ``g``. Consequence: when ``V >= 0`` on ``supp p0``, ``L(0) = 0`` so
  ``g = 0`` and the target is ``r`` alone (no future value). This is the code's loss and
  target as written (checked against it); its own environment has rewards ``<= 0``, where
  ``g`` lies in ``[min V, 0]`` and the target is just below the dual (docs/theory.md 6.2).
* ``"rfqi"`` (code): ``max_{eta in [0, eta_max]} {(1 - rho) eta - p0.(eta - V)_+}``,
  ``eta_max = 1/(rho (1 - gamma))`` (discounted; ``inf`` in finite horizon unless given);
  the objective is concave piecewise linear, so the maximum is at a clipped breakpoint.
* ``"groupdr"`` (DRMARL-style baseline): ``min_g rhat_g(s, a) + c p0.V`` for group rewards
  ``rhat_g`` (the reward-only minimum); ``"group_exact"``: ``min_g (rhat_g + c P_g.V)``.

Mixers (how the target table ``Y(s, .)`` is represented; per state):

* ``"joint"``: ``Q = Y``; greedy joint action (lowest flat index), centralised;
* ``"vdn"``: the least-squares projection onto additive ``sum_i q_i(s, a_i)`` (ANOVA main
  effects); ``"vdn_linf"``: the L_inf projection (LP). Greedy: each agent's argmax of
  ``q_i`` (lowest index);
* ``"linear_monotone"``: ``sum_i w_i(s) q_i(s, a_i) + b(s)``, ``w_i(s) >= 0`` (the
  one-layer tabular monotone mixer): with free ``q_i`` this is exactly the class of
  additive functions (take ``w = 1``, absorb ``b`` into ``q_1``), so its projection and
  fixed point are VDN's (the alias is kept to make that visible);
* ``"monotone"``: the general monotone mixer, ``f(u_1(a_1), .., u_n(a_n))`` with ``f``
  non-decreasing: the L_inf projection of :func:`robustgames.factorization.monotone_projection`;
  greedy: the top-ranked action of every agent.

The next-state value is ``V(s') = max_a Q(s', a)`` (for additive ``Q`` the sum of per-agent
maxima, as in the code). Discounted fixed points are found by iteration until the sup-norm
change is below ``tol`` (projected operators need not contract: ``converged`` says
whether it was reached). Every fixed point's greedy decentralised policy is then evaluated
EXACTLY under the true set (TV or contamination of radius ``rho``, or the group set) and
compared with the exact robust optimum.
"""

from __future__ import annotations

import numpy as np

from .._result import Result
from .._validation import check_choice, check_positive_int, check_real, check_tolerance
from ..games import MarkovGame
from ..uncertainty import TV, Contamination
from ._igm import additive_projection, monotone_projection
from ._team import _sigma, team_reward, team_robust_q, terminal_mask

__all__ = ["TARGETS", "MIXERS", "target_values", "g_network_eta", "tv_dual_eta", "target_fixed_point",
           "robust_policy_value", "dropped_term_shift"]

TARGETS = ("contamination_exact", "contamination", "tv_exact", "tv_dual", "g_network", "rfqi",
           "groupdr", "group_exact")
MIXERS = ("joint", "vdn", "vdn_linf", "linear_monotone", "monotone")


def tv_dual_eta(P, V, rho, eta_min=-np.inf, eta_max=np.inf):
    """Maximiser and maximum of ``phi(eta) = (1 - rho) eta - p.(eta - V)_+`` over
    ``[eta_min, eta_max]`` for every row of ``P (R, S)`` (smallest maximiser on ties).

    ``phi`` is concave and piecewise linear with breakpoints ``V(s)``; on a closed
    interval its maximum is at a breakpoint clipped to the interval or at an end.
    """
    P = np.atleast_2d(np.asarray(P, dtype=np.float64))
    V = np.asarray(V, dtype=np.float64)
    cand = np.unique(np.concatenate([np.clip(V, eta_min, eta_max),
                                     [x for x in (eta_min, eta_max) if np.isfinite(x)]]))
    C = np.maximum(cand[:, None] - V[None, :], 0.0)  # (K, S)
    phi = (1.0 - rho) * cand[None, :] - P @ C.T  # (R, K)
    best = phi.max(axis=1)
    idx = np.argmax(phi >= best[:, None] - 1e-13 * (1.0 + np.abs(best[:, None])), axis=1)
    return cand[idx], phi[np.arange(P.shape[0]), idx]


def g_network_eta(P, V, rho):
    """Minimiser ``g`` of ``L(g) = sum_s p(s) ((g - V(s))_+ - (1 - rho) g)^2`` per row of
    ``P (R, S)``, and the target term ``(1 - rho) g - p.(g - V)_+`` (module docstring for
    the piecewise-quadratic solution; smallest ``g`` on ties). ``rho`` in ``(0, 1)``.

    Returns ``(g, term, loss)``.
    """
    P = np.atleast_2d(np.asarray(P, dtype=np.float64))
    V = np.asarray(V, dtype=np.float64)
    order = np.argsort(V, kind="mergesort")
    v = V[order]
    p = P[:, order]
    R, S = p.shape
    zero = np.zeros((R, 1))
    pB = np.hstack([zero, np.cumsum(p, axis=1)])  # mass of the k lowest states, k = 0..S
    bB = np.hstack([zero, np.cumsum(p * v, axis=1)])
    cB = np.hstack([zero, np.cumsum(p * v * v, axis=1)])
    lo = np.concatenate([[-np.inf], v])  # interval k: g in [lo_k, hi_k], B = k lowest states
    hi = np.concatenate([v, [np.inf]])
    a = (1.0 - rho) ** 2 * (1.0 - pB) + rho ** 2 * pB
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(a > 0, rho * bB / a, 0.0)
    g = np.clip(g, lo[None, :], hi[None, :])
    loss = a * g * g - 2.0 * rho * bB * g + cB
    best = loss.min(axis=1)
    ok = loss <= best[:, None] + 1e-14 * (1.0 + np.abs(best[:, None]))
    gsel = np.where(ok, g, np.inf).min(axis=1)
    term = (1.0 - rho) * gsel - (P * np.maximum(gsel[:, None] - V[None, :], 0.0)).sum(axis=1)
    return gsel, term, best


def _rows_step(game, h):
    S, A = game.n_states, game.n_joint_actions
    P = game.flat_transitions if h is None else game.flat_transitions[h]
    return np.ascontiguousarray(P.reshape(S * A, S))


def target_values(target, P, V, rho, *, c, r, group_rewards=None, group_kernels=None, eta_max=np.inf):
    """The target table ``y = r + c T(p0, V)`` for rows ``P (R, S)``, ``r (R,)`` (module
    docstring); ``group_rewards (m, R)`` / ``group_kernels (m, R, S)`` for the group targets."""
    check_choice(target, "target", TARGETS)
    if target == "contamination_exact":
        t = (1.0 - rho) * (P @ V) + rho * V.min()
    elif target == "contamination":
        t = (1.0 - rho) * (P @ V)
    elif target == "tv_exact":
        t = tv_dual_eta(P, V, rho)[1] + rho * V.min()
    elif target == "tv_dual":
        t = tv_dual_eta(P, V, rho)[1]
    elif target == "g_network":
        t = g_network_eta(P, V, rho)[1]
    elif target == "rfqi":
        t = tv_dual_eta(P, V, rho, 0.0, eta_max)[1]
    elif target == "groupdr":
        return group_rewards.min(axis=0) + c * (P @ V)
    else:  # group_exact
        return (group_rewards + c * (group_kernels @ V)).min(axis=0)
    return r + c * t


def _true_set(target, rho):
    if target.startswith("contamination"):
        return Contamination(rho)
    if target.startswith("group"):
        return None
    return TV(rho)


def _project(Y, mixer, acts):
    """``Y (S, A)`` -> (Q (S, A), V (S,), greedy flat joint action (S,))."""
    S = Y.shape[0]
    Yf = Y.reshape((S,) + tuple(acts))
    if mixer == "joint":
        Q = Y.copy()
        return Q, Q.max(axis=1), Q.argmax(axis=1)
    if mixer in ("vdn", "linear_monotone", "vdn_linf"):
        fit, comps = additive_projection(Yf, "linf" if mixer == "vdn_linf" else "l2")
        greedy = np.ravel_multi_index(tuple(q.argmax(axis=1) for q in comps), acts)
        V = sum(q.max(axis=1) for q in comps)
        return fit.reshape(S, -1), V, greedy
    mono = monotone_projection(Yf)
    fit = mono.fitted.reshape(S, -1)
    greedy = np.ravel_multi_index(tuple(mono.greedy.T), acts)
    return fit, fit[np.arange(S), greedy], greedy


def robust_policy_value(game: MarkovGame, U, actions, *, reward="identical", terminal=None, group=None,
                        tol: float = 1e-12, max_iter: int = 1_000_000) -> np.ndarray:
    """Exact robust team value of a deterministic joint policy (flat joint actions
    ``(S,)`` discounted, ``(H, S)`` finite horizon), with terminal states pinned at 0.

    ``U`` an (s,a)-rectangular set, or ``None`` with ``group=(rewards (m, S, A), kernels
    (m, S, A, S))`` (stationary) for the group set over rewards and kernels,
    ``min_g (r_g + c P_g.V)`` per row. Returns ``V`` ``(S,)`` or ``(H+1, S)``. Without
    terminals and with ``U`` this equals :func:`robustgames.evaluate` (tested).
    """
    term = terminal_mask(game, terminal)
    r = team_reward(game, reward) if group is None else None
    S = game.n_states
    acts = np.asarray(actions, dtype=np.int64)

    def backup(V, h):
        a = acts if h is None else acts[h]
        if group is not None:
            rg_, Pg = group
            vals = (rg_[:, np.arange(S), a] + (1.0 if h is not None else game.gamma)
                    * (Pg[:, np.arange(S), a] @ V)).min(axis=0)
        else:
            P = (game.flat_transitions if h is None else game.flat_transitions[h])[np.arange(S), a]
            Uh = U if h is None else U.at_step(h)
            rr = (r if h is None else r[h])[np.arange(S), a]
            vals = rr + (1.0 if h is not None else game.gamma) * _sigma(Uh, np.ascontiguousarray(P), V)
        return np.where(term, 0.0, vals)

    if not game.discounted:
        V = np.zeros((game.horizon + 1, S))
        for h in range(game.horizon - 1, -1, -1):
            V[h] = backup(V[h + 1], h)
        return V
    V = np.zeros(S)
    g = game.gamma
    factor = g / (1 - g) if g > 0 else 0.0
    for _ in range(max_iter):
        Vn = backup(V, None)
        done = factor * np.max(np.abs(Vn - V)) <= tol
        V = Vn
        if done:
            break
    return V


def group_tables(game, group):
    """``(rewards (m, S, A), kernels (m, S, A, S))`` of ``group=(rewards, kernels)``, the
    per-group reward tables ``(m,) + policy_shape`` and kernels ``(m,) + transitions.shape``
    of a GroupDR target (validated; ``ValueError`` naming ``group`` otherwise)."""
    S, A = game.n_states, game.n_joint_actions
    gr = np.asarray(group[0], dtype=np.float64)
    gk = np.asarray(group[1], dtype=np.float64)
    m = gr.shape[0]
    if gr.shape != (m,) + game.policy_shape or gk.shape != (m,) + game.transitions.shape:
        raise ValueError(f"group must be (rewards (m,) + {game.policy_shape}, kernels (m,) + "
                         f"{game.transitions.shape}), got {gr.shape}, {gk.shape}")
    return gr.reshape(m, S, A), gk.reshape(m, S, A, S)


def target_fixed_point(game: MarkovGame, target: str, rho: float, *, mixer: str = "joint", terminal=None,
                       reward="identical", group=None, eta_max=None, tol: float = 1e-10,
                       max_iter: int = 20_000) -> Result:
    """Fixed point of one published target with one mixer, its greedy decentralised
    policy, that policy's exact robust value and its loss (module docstring).

    Parameters
    ----------
    game : MarkovGame
        Cooperative game (:func:`robustgames.factorization.team_reward`).
    target : str
        One of :data:`TARGETS`.
    rho : float
        Radius, in ``(0, 1)`` (``[0, 1)`` for the contamination and exact targets).
    mixer : str
        One of :data:`MIXERS`.
    terminal : mask or indices, optional
        States pinned at value 0 (the ``(1 - done)`` mask).
    group : (rewards (m, S, A_1..A_n), kernels (m, S, A_1..A_n, S)), optional
        Discounted games; needed by ``"groupdr"``/``"group_exact"`` (the true set is then
        the group set over rewards and kernels).
    eta_max : float, optional
        RFQI clamp; default ``1/(rho (1 - gamma))`` (discounted), ``inf`` (finite horizon).

    Returns
    -------
    Result
        ``Q`` (``(S, A)`` or ``(H, S, A)`` flat joint actions), ``V``, ``actions``
        (greedy flat joint actions), ``value`` (exact robust value of that policy at the
        start distribution), ``optimum`` (exact robust optimum there), ``loss``
        (``optimum - value``), ``ratio`` (``value / optimum`` when ``optimum != 0``),
        ``converged``, ``iterations``.
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    check_choice(target, "target", TARGETS)
    check_choice(mixer, "mixer", MIXERS)
    rho = check_real(rho, "rho", low=0.0, high=1.0, high_open=True)
    if target in ("g_network", "rfqi") and rho == 0.0:
        raise ValueError(f"target {target!r} needs rho > 0")
    tol = check_tolerance(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    term = terminal_mask(game, terminal)
    S, A, acts = game.n_states, game.n_joint_actions, game.n_actions
    grp = None
    if target.startswith("group"):
        if group is None or not game.discounted:
            raise ValueError("targets 'groupdr'/'group_exact' need group=(rewards, kernels) and a discounted game")
        grp = group_tables(game, group)
        r = grp[0].min(axis=0)
    else:
        r = team_reward(game, reward)
    if eta_max is None:
        eta_max = 1.0 / (rho * (1.0 - game.gamma)) if (game.discounted and rho > 0) else np.inf
    kw = dict(eta_max=eta_max)
    if grp is not None:
        kw.update(group_rewards=grp[0].reshape(grp[0].shape[0], S * A),
                  group_kernels=grp[1].reshape(grp[1].shape[0], S * A, S))

    if game.discounted:
        P = _rows_step(game, None)
        V = np.zeros(S)
        converged = False
        for it in range(1, max_iter + 1):
            Y = target_values(target, P, V, rho, c=game.gamma, r=r.reshape(-1), **kw).reshape(S, A)
            Q, Vn, greedy = _project(Y, mixer, acts)
            Vn = np.where(term, 0.0, Vn)
            delta = np.max(np.abs(Vn - V))
            V = Vn
            if delta <= tol:
                converged = True
                break
        actions = greedy
    else:
        H = game.horizon
        V = np.zeros((H + 1, S))
        Q = np.empty((H, S, A))
        actions = np.empty((H, S), dtype=np.int64)
        for h in range(H - 1, -1, -1):
            Y = target_values(target, _rows_step(game, h), V[h + 1], rho, c=1.0, r=r[h].reshape(-1),
                              **kw).reshape(S, A)
            Q[h], Vh, actions[h] = _project(Y, mixer, acts)
            V[h] = np.where(term, 0.0, Vh)
        converged, it = True, H
    U = _true_set(target, rho)
    if grp is not None:
        val = robust_policy_value(game, None, actions, terminal=term, group=grp)
        opt_actions = target_fixed_point(game, "group_exact", rho, group=group, terminal=term,
                                         tol=1e-12, max_iter=1_000_000).actions if target != "group_exact" or mixer != "joint" else actions
        opt = robust_policy_value(game, None, opt_actions, terminal=term, group=grp)
    else:
        val = robust_policy_value(game, U, actions, reward=reward, terminal=term)
        opt = team_robust_q(game, U, reward=reward, terminal=term).V
    mu = game.initial
    value = float(mu @ (val if game.discounted else val[0]))
    optimum = float(mu @ (opt if game.discounted else opt[0]))
    return Result(Q=Q, V=V, actions=actions, value=value, optimum=optimum, loss=optimum - value,
                  ratio=value / optimum if optimum != 0 else float("nan"), converged=converged,
                  iterations=it, target=target, mixer=mixer, rho=rho)


def dropped_term_shift(game: MarkovGame, rho: float, *, target: str = "contamination", reward="identical",
                       tol: float = 1e-13) -> Result:
    """The constant-shift identity of docs/theory.md section 6.2, measured.

    Computes the joint-table fixed points of the dropped target (``"contamination"`` or
    ``"tv_dual"``) and of its exact counterpart (no terminals), and the predicted shift:
    discounted ``c = gamma rho min V_drop / (1 - gamma)``; finite horizon
    ``c_h = sum_{k=h+1}^{H-1} rho min V_drop,k`` (``c_H = 0``).

    Returns ``Result(V_drop, V_exact, shift, error, same_greedy)`` with ``error`` the sup
    norm of ``V_exact - V_drop - shift``.
    """
    check_choice(target, "target", ("contamination", "tv_dual"))
    exact = "contamination_exact" if target == "contamination" else "tv_exact"
    kw = dict(tol=tol, max_iter=10_000_000) if game.discounted else {}
    d = target_fixed_point(game, target, rho, reward=reward, **kw)
    e = target_fixed_point(game, exact, rho, reward=reward, **kw)
    if game.discounted:
        shift = game.gamma * rho * d.V.min() / (1.0 - game.gamma)
        err = float(np.max(np.abs(e.V - d.V - shift)))
    else:
        mins = d.V.min(axis=1)  # (H+1,), mins[H] = 0
        H = game.horizon
        shift = np.array([rho * mins[h + 1:H].sum() for h in range(H + 1)])
        err = float(np.max(np.abs(e.V - d.V - shift[:, None])))
    return Result(V_drop=d.V, V_exact=e.V, shift=shift, error=err,
                  same_greedy=bool(np.array_equal(d.actions, e.actions)))
