"""Compiled per-episode work of the online learners (serial numba kernels on arrays).

Everything an episode needs at the sizes of regret experiments (S ~ 10, a handful of
joint actions, H ~ 5) costs microseconds of arithmetic but milliseconds of Python and
thread-pool overhead if it goes through the validated planning layer. These kernels work
on flat arrays, serially (one core; the parallel uncertainty kernels spin up threads per
call, which costs more than the work at this size), and are cross-checked in the tests
against the planning layer (:func:`robustgames.gap`, :func:`robustgames.solve`) and the
uncertainty sets' own hooks.

Layout: kernels ``P (H, S*A, S)``, rewards ``R (H, S*A, n)``, values ``V (H+1, n, S)``
(one contiguous vector per step and player), joint policies ``pi (H, S, A)``, where ``A``
is the number of flat joint actions (C order, as :attr:`MarkovGame.flat_transitions`).

Support functions: every set's compiled row kernel, through the one interface of
:mod:`robustgames.uncertainty._engine` (the family's block function ``block`` passed as a
numba first-class function: ``prepare`` once, then ``row`` on a list of rows; parameters
in ``pdata[poff[k]:poff[k+1]]`` with ``k = pidx[h, i]``; see
:class:`robustgames.uncertainty._engine.CompiledSets`). The kernels below never look at
a set's family: TV, KL, chi-square, contamination, group and user-defined sets
(:class:`robustgames.uncertainty.RowSet`) all run compiled. The KL row solver is
warm-started per row (``T`` arrays).
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import function_arg_kernel, kernel
from ..equilibria import CE, solve_stage
from ..equilibria._correlated import strides_of
from ..uncertainty._engine import BLOCK_TYPE, work_size

LN2 = math.log(2.0)


@kernel
def _params(pdata, poff, pidx, h, i):
    """Parameters of player ``i``'s set at step ``h`` (``pidx`` has one row per step, or a
    single row for every step)."""
    k = pidx[h if pidx.shape[0] > 1 else 0, i]
    return pdata[poff[k]:poff[k + 1]]


@kernel
def _engine_buffers(S, SA):
    """Scratch of the block function: ``iw``, ``fw``, ``work``, a row list and values."""
    return (np.empty(S, dtype=np.int64), np.empty(work_size(S)), np.empty(work_size(S)),
            np.empty(SA, dtype=np.int64), np.empty(SA))


# ---------------------------------------------------------------------------------------
# optimistic / pessimistic planning on the empirical model (MORNAVI, docs/theory.md section 4)
# ---------------------------------------------------------------------------------------


@kernel
def bonus(h, r, i, Phat, N, Vbar, span, c_b, iota, bernstein):
    """Exploration bonus ``b_i`` of the visited pair ``r`` at step ``h`` (see MORNAVI).

    Hoeffding (docs/theory.md section 8): ``c_b L_{i,h} sqrt((S ln 2 + iota) / (2 N))``
    with ``iota = ln(H S A K / delta)`` and ``L_{i,h} = span[h, i]``, the span bound of the
    true robust values at step ``h + 1``; with ``c_b >= 1`` it dominates the error of the
    support function of a TV or contamination set on the L1 confidence event.
    """
    n_vis = N[h, r]
    S = Phat.shape[2]
    L = span[h, i]
    if bernstein:
        v = Vbar[h + 1, i]
        mean = 0.0
        sq = 0.0
        for s2 in range(S):
            p = Phat[h, r, s2]
            mean += p * v[s2]
            sq += p * v[s2] * v[s2]
        var = sq - mean * mean
        if var < 0.0:
            var = 0.0
        den = n_vis - 1.0 if n_vis > 1.0 else 1.0
        return c_b * (math.sqrt(2.0 * var * iota / n_vis) + 7.0 * L * iota / (3.0 * den))
    return c_b * L * math.sqrt((S * LN2 + iota) / (2.0 * n_vis))


@kernel
def relabelled_stage(Qs, n_actions, kind_code, u, jperm, Qp, x, out):
    """Stage equilibrium of ``Qs (A, n)`` with ties broken at random.

    Each player's actions are relabelled by the permutation ``argsort(u[i, :A_i])``; the
    compiled solver (whose selection rule prefers low indices among ties) solves the
    relabelled game and the solution is mapped back into ``out (A,)``. A product of
    per-player relabellings maps equilibria (Nash, CE, CCE) to equilibria, so ``out`` is an
    exact equilibrium of ``Qs``; only WHICH one is chosen among ties is random.
    """
    n = n_actions.shape[0]
    A = Qs.shape[0]
    perms = np.empty((n, u.shape[1]), dtype=np.int64)
    for i in range(n):
        perms[i, :n_actions[i]] = np.argsort(u[i, :n_actions[i]])
    for a in range(A):
        rem = a
        flat = 0
        mult = 1
        for i in range(n - 1, -1, -1):
            Ai = n_actions[i]
            flat += perms[i, rem % Ai] * mult
            rem //= Ai
            mult *= Ai
        jperm[a] = flat
    for a in range(A):
        for i in range(Qs.shape[1]):
            Qp[a, i] = Qs[jperm[a], i]
    solve_stage(Qp, n_actions, kind_code, x)
    for a in range(A):
        out[jperm[a]] = x[a]


@kernel
def bar_step(h, Sb, Phat, N, R, span, tv_radius, c_b, iota, bernstein, n_actions, kind_code,
             Qbar, Qprev, Vbar, pi, tie_u):
    """Optimistic half of one backward step ``h`` of MORNAVI, then the stage equilibria.

    ``Sb[r, i] = sigma_{U_i(P_hat_h(.|r))}(Vbar_{i,h+1})`` (read on visited rows only).
    Unvisited pairs (``N = 0``) take ``Qbar = cap``. Stage equilibria of
    ``Qbar_h(s, .)`` by :func:`relabelled_stage` with the uniforms ``tie_u[h, s]`` (ties
    broken at random); a state whose payoff rows are bit-identical to the previous call's
    keeps its previous policy (an equilibrium of the same payoffs). Fills ``pi[h]`` and
    ``Vbar[h]``; returns the number of VISITED ``(s, a, i)`` with a bonus (``span[h, i] > 0``)
    whose ``Qbar`` sits at its cap (unvisited pairs sit there by construction and are not
    counted).
    """
    H = Qbar.shape[0]
    SA = Qbar.shape[1]
    n = Qbar.shape[2]
    S = pi.shape[1]
    A = pi.shape[2]
    capped = 0
    for i in range(n):
        v = Vbar[h + 1, i]
        cap = float(H - h)
        if tv_radius[i] > 0.0:
            # span bound: Q_h(s,a) <= min_s V_{h+1}(s) + 1/sigma for every policy's
            # robust values (docs/theory.md section 4); min Vbar_{h+1} >= min V_{h+1}.
            alt = v.min() + 1.0 / tv_radius[i]
            if alt < cap:
                cap = alt
        for r in range(SA):
            if N[h, r] == 0.0:
                Qbar[h, r, i] = cap
                continue
            b = bonus(h, r, i, Phat, N, Vbar, span, c_b, iota, bernstein)
            qb = R[h, r, i] + Sb[r, i] + b
            if qb < cap:
                Qbar[h, r, i] = qb
            else:
                Qbar[h, r, i] = cap
                if span[h, i] > 0.0:
                    capped += 1
    jperm = np.empty(A, dtype=np.int64)
    Qp = np.empty((A, n))
    x = np.empty(A)
    for s in range(S):
        lo = s * A
        same = True
        for a in range(A):
            for i in range(n):
                if Qbar[h, lo + a, i] != Qprev[h, lo + a, i]:
                    same = False
        if not same:
            relabelled_stage(Qbar[h, lo:lo + A], n_actions, kind_code, tie_u[h, s], jperm, Qp, x, pi[h, s])
            for a in range(A):
                for i in range(n):
                    Qprev[h, lo + a, i] = Qbar[h, lo + a, i]
        for i in range(n):
            vb = 0.0
            for a in range(A):
                w = pi[h, s, a]
                if w != 0.0:
                    vb += w * Qbar[h, lo + a, i]
            Vbar[h, i, s] = vb
    return capped


@kernel
def low_step(h, Sl, Phat, N, R, span, c_b, iota, bernstein, Qlow, Vbar, Vlow, pi):
    """Pessimistic half of step ``h``: ``Qlow = max(r + Sl - b, 0)`` (0 where unvisited)
    on the rows the policy plays, and ``Vlow_h = E_pi Qlow_h``. ``Sl`` is read only on
    visited rows with ``pi > 0``."""
    n = Qlow.shape[2]
    S = pi.shape[1]
    A = pi.shape[2]
    for s in range(S):
        for i in range(n):
            acc = 0.0
            for a in range(A):
                w = pi[h, s, a]
                if w == 0.0:
                    continue
                r = s * A + a
                if N[h, r] == 0.0:
                    ql = 0.0
                else:
                    b = bonus(h, r, i, Phat, N, Vbar, span, c_b, iota, bernstein)
                    ql = R[h, r, i] + Sl[r, i] - b
                    if ql < 0.0:
                        ql = 0.0
                Qlow[h, r, i] = ql
                acc += w * ql
            Vlow[h, i, s] = acc


@function_arg_kernel(block=BLOCK_TYPE)
def plan(Phat, N, R, block, pdata, poff, pidx, span, tv_radius, c_b, iota, bernstein, n_actions,
         kind_code, Qbar, Qlow, Qprev, Vbar, Vlow, pi, Sb, Sl, Tb, Tl, tie_u):
    """All steps of MORNAVI's planning, every support function compiled (the sets' block
    function ``block`` with parameters ``pdata``/``poff``/``pidx``, see the module docstring).

    Support values are computed only where they are read: visited rows for ``Qbar``,
    visited rows the policy plays for ``Qlow``. ``Tb``, ``Tl`` ``(H, S*A, n)``: the KL
    rows' last log inverse temperatures (optimistic, pessimistic), warm starts for the
    next episode. ``tie_u (H, S, n, max A_i)``: uniforms
    that break ties of the stage games (:func:`relabelled_stage`). Returns the number of
    visited ``(h, s, a, i)`` whose ``Qbar`` sits at its cap.
    """
    capped = 0
    H = Qbar.shape[0]
    SA = Qbar.shape[1]
    n = Qbar.shape[2]
    A = pi.shape[2]
    S = Phat.shape[2]
    iw, fw, work, rows, vals = _engine_buffers(S, SA)
    for h in range(H - 1, -1, -1):
        P = Phat[h]
        for i in range(n):
            m = 0
            for r in range(SA):
                if N[h, r] > 0.0:
                    rows[m] = r
                    m += 1
            block(i, P, Vbar[h + 1, i], _params(pdata, poff, pidx, h, i), iw, fw, work, rows, m, Tb, h, vals)
            for k in range(m):
                Sb[rows[k], i] = vals[rows[k]]
        capped += bar_step(h, Sb, Phat, N, R, span, tv_radius, c_b, iota, bernstein, n_actions,
                           kind_code, Qbar, Qprev, Vbar, pi, tie_u)
        for i in range(n):
            m = 0
            for r in range(SA):
                if N[h, r] > 0.0 and pi[h, r // A, r % A] > 0.0:
                    rows[m] = r
                    m += 1
            block(i, P, Vlow[h + 1, i], _params(pdata, poff, pidx, h, i), iw, fw, work, rows, m, Tl, h, vals)
            for k in range(m):
                Sl[rows[k], i] = vals[rows[k]]
        low_step(h, Sl, Phat, N, R, span, c_b, iota, bernstein, Qlow, Vbar, Vlow, pi)
    return capped


# ---------------------------------------------------------------------------------------
# the exact robust gap of a joint policy on the true game (docs/theory.md section 3)
# ---------------------------------------------------------------------------------------


@function_arg_kernel(block=BLOCK_TYPE)
def robust_gap(P, R, mu, block, pdata, poff, pidx, pi, n_actions, kind_code, V, W, Q, per_player, own,
               Tv, Tw):
    """Robust gap ``max_i [mu.V^BR_{i,1} - mu.V^pi_{i,1}]`` of ``pi`` (compiled).

    The same recursions as :mod:`robustgames.planning._evaluate` and
    :mod:`robustgames.planning._best_response` (deviation class ``kind_code``: strategy
    modifications for CE, fixed deviations otherwise). Returns the gap and fills
    ``per_player`` (best-response value minus own value) and ``own`` (``mu.V^pi_{i,1}``). ``Tv``, ``Tw`` ``(H, S*A, n)``: the KL rows' last log inverse
    temperatures of the policy evaluation and of player ``i``'s best response (NaN: none
    yet), warm starts across calls (same solver, same tolerance). ``block``, ``pdata``,
    ``poff``, ``pidx``: the sets' block function and parameters (module docstring).
    """
    H = P.shape[0]
    SA = P.shape[1]
    S = P.shape[2]
    n = R.shape[2]
    A = SA // S
    strides = strides_of(n_actions)
    iw, fw, work, rows, sup = _engine_buffers(S, SA)
    V[H] = 0.0
    for h in range(H - 1, -1, -1):
        for i in range(n):
            m = 0
            for r in range(SA):
                if pi[h, r // A, r % A] != 0.0:
                    rows[m] = r
                    m += 1
            block(i, P[h], V[h + 1, i], _params(pdata, poff, pidx, h, i), iw, fw, work, rows, m, Tv, h, sup)
            for s in range(S):
                acc = 0.0
                for a in range(A):
                    w = pi[h, s, a]
                    if w == 0.0:
                        continue
                    r = s * A + a
                    q = R[h, r, i] + sup[r]
                    acc += w * q
                V[h, i, s] = acc
    best = -np.inf
    for i in range(n):
        Ai = n_actions[i]
        st = strides[i]
        vals = np.empty(Ai)
        M = np.empty((Ai, Ai))
        need = np.zeros(SA, dtype=np.bool_)
        W[H] = 0.0
        for h in range(H - 1, -1, -1):
            w_next = W[h + 1]
            # Q of player i only on the rows a deviation can reach: (s, b, a_{-i}) with
            # a_{-i} played by the others under pi
            need[:] = False
            for s in range(S):
                for a in range(A):
                    if pi[h, s, a] != 0.0:
                        ai = (a // st) % Ai
                        a0 = a - ai * st
                        for b in range(Ai):
                            need[s * A + a0 + b * st] = True
            m = 0
            for r in range(SA):
                if need[r]:
                    rows[m] = r
                    m += 1
            block(i, P[h], w_next, _params(pdata, poff, pidx, h, i), iw, fw, work, rows, m, Tw, h, sup)
            for k in range(m):
                Q[rows[k]] = R[h, rows[k], i] + sup[rows[k]]
            for s in range(S):
                lo = s * A
                if kind_code == CE:
                    M[:] = 0.0
                    for a in range(A):
                        w = pi[h, s, a]
                        if w == 0.0:
                            continue
                        ai = (a // st) % Ai
                        a0 = a - ai * st
                        for b in range(Ai):
                            M[ai, b] += w * Q[lo + a0 + b * st]
                    tot = 0.0
                    for ai in range(Ai):
                        tot += M[ai].max()
                    W[h, s] = tot
                else:
                    vals[:] = 0.0
                    for a in range(A):
                        w = pi[h, s, a]
                        if w == 0.0:
                            continue
                        ai = (a // st) % Ai
                        a0 = a - ai * st
                        for b in range(Ai):
                            vals[b] += w * Q[lo + a0 + b * st]
                    W[h, s] = vals.max()
        br = 0.0
        mine = 0.0
        for s in range(S):
            br += mu[s] * W[0, s]
            mine += mu[s] * V[0, i, s]
        per_player[i] = br - mine
        own[i] = mine
        if br - mine > best:
            best = br - mine
    return best


# ---------------------------------------------------------------------------------------
# episodes
# ---------------------------------------------------------------------------------------


@kernel
def _draw(p, u):
    """Inverse-CDF draw from the distribution ``p`` with a uniform ``u`` in [0, 1)."""
    acc = 0.0
    last = 0
    for k in range(p.shape[0]):
        if p[k] > 0.0:
            last = k
            acc += p[k]
            if u < acc:
                return k
    return last  # round-off: the last index with positive mass


@kernel
def sample_episode(P, R, mu, pi, u, states, actions, rewards):
    """One episode of the nominal game under the joint policy ``pi`` from ``mu``.

    ``u`` holds ``2H + 1`` uniforms (start state, then a joint action and a next state per
    step); fills ``states (H+1,)``, flat joint ``actions (H,)`` and ``rewards (H, n)``.
    """
    H = P.shape[0]
    A = pi.shape[2]
    s = _draw(mu, u[0])
    states[0] = s
    for h in range(H):
        a = _draw(pi[h, s], u[1 + 2 * h])
        r = s * A + a
        actions[h] = a
        rewards[h] = R[h, r]
        s = _draw(P[h, r], u[2 + 2 * h])
        states[h + 1] = s
    return s


@kernel
def observe(states, actions, rewards, A, counts, N, Phat, Rhat):
    """Count update of one trajectory: ``N_h(s,a) += 1``, ``N_h(s,a,s') += 1``,
    ``P_hat_h(.|s,a) = N_h(s,a,.)/N_h(s,a)``, and the (deterministic) reward revealed."""
    H = actions.shape[0]
    S = counts.shape[2]
    for h in range(H):
        r = states[h] * A + actions[h]
        N[h, r] += 1.0
        counts[h, r, states[h + 1]] += 1.0
        inv = 1.0 / N[h, r]
        for s2 in range(S):
            Phat[h, r, s2] = counts[h, r, s2] * inv
        Rhat[h, r] = rewards[h]
