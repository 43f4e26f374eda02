"""IGM diagnostics for any joint action-value table (docs/theory.md section 6.1).

``Q`` has shape ``(S, A_1, ..., A_n)`` (a finite-horizon table ``(H, S, ...)`` is passed
as ``Q.reshape(H * S, ...)``). Definitions used here, per state ``s``, with a tolerance
``tol`` for ties:

* **joint argmax** ``J(s) = {a : Q(s, a) >= max_b Q(s, b) - tol}``.
* **greedy sets** of per-agent utilities ``u_i (S, A_i)``:
  ``B_i(s) = {a_i : u_i(s, a_i) >= max u_i(s, .) - tol}``.
* **IGM** (tie rule "any"): every joint action of ``B_1(s) x ... x B_n(s)`` lies in
  ``J(s)``, so decentralised greedy execution is optimal whatever tie-breaking each agent
  uses. **IGM (first)**: the joint action of the lowest-index greedy actions lies in
  ``J(s)`` (a shared lowest-index convention).
* **VDN residual**: ``min_q ||Q(s, .) - sum_i q_i(a_i)||_inf`` (an LP, solved by HiGHS)
  and the least-squares projection (for the full grid of joint actions it is the ANOVA
  main-effects fit ``mean + sum_i (m_i(a_i) - mean)``, ``m_i`` the mean over the others'
  actions; exact, no solver).
* **monotone mixing** (QMIX-style, exact): per-agent utilities ``u_i`` and a mixing ``f``
  non-decreasing in each argument, ``Qhat(a) = f(u_1(a_1), ..., u_n(a_n))``. Only the
  per-agent orders induced by ``u_i`` matter, and strict orders (ranks) give the fewest
  constraints, so the class is: functions non-decreasing in the product order of some
  per-agent rankings. Reported: ``monotone_residual`` = the L_inf distance of ``Q(s, .)``
  to that class, minimised over all rankings (for fixed rankings the L_inf isotonic
  regression error is ``max_{x <= y} (Q(x) - Q(y))_+ / 2``, attained by the midpoint of
  the lower envelope ``max_{x <= y} Q(x)`` and the upper envelope ``min_{x >= y} Q(x)``);
  ``monotone_argmax``: there are ``u_i`` and a non-decreasing ``f`` whose argmax set is
  exactly ``J(s)`` (iff ``J(s)`` is an up-set of the product order of some rankings;
  *proof*: an argmax set of a monotone function is an up-set, and the indicator of an
  up-set is monotone); ``product_argmax``: ``J(s)`` is a Cartesian product (what a
  STRICTLY increasing ``f`` can represent: its argmax is ``B_1 x ... x B_n``).
  Enumeration over rankings costs ``prod_i A_i!`` per state (``max_rankings`` caps it).
* **robust per-agent utilities** from a finite family of models ``Q^k`` (``models``,
  ``(K, S, A_1..A_n)``) with ``Qrob = min_k Q^k``: per-model utilities ``u_i^k`` (a
  factorisation of each ``Q^k``: max-marginals or VDN), the paper's **anchored** utilities
  ``u_i^{k_w(s)}(s, .)`` with ``k_w(s) = argmin_k Q^k(s, a*(s))`` the model worst for the
  JOINT value at the robust greedy joint action ``a*(s)`` (lowest flat index), and the
  **naive** per-agent worst case ``min_k u_i^k(s, .)``. Both are checked for IGM against
  ``Qrob``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from .._result import Result
from .._validation import as_float_array, check_choice, check_positive_int

__all__ = ["igm_report", "additive_projection", "monotone_projection", "max_marginals", "igm_holds",
           "robust_utilities"]


def _as_q(Q, name="Q"):
    arr = as_float_array(Q, name)
    if arr.ndim < 2:
        raise ValueError(f"{name} must have shape (S, A_1, ..., A_n), got {arr.shape}")
    return arr


def max_marginals(Q) -> list:
    """``u_i(s, a_i) = max_{a_-i} Q(s, a_i, a_-i)`` for every agent, a list of ``(S, A_i)``."""
    Q = _as_q(Q)
    n = Q.ndim - 1
    return [Q.max(axis=tuple(1 + j for j in range(n) if j != i)) for i in range(n)]


def additive_projection(Q, norm: str = "l2"):
    """Projection of ``Q (S, A_1..A_n)`` onto additive functions ``sum_i q_i(s, a_i)``.

    ``norm="l2"``: least squares (ANOVA main effects, exact); ``norm="linf"``: the L_inf
    best fit (a minimiser: it need not be unique), one block-diagonal LP over all states
    minimising the sum of the per-state errors (HiGHS; separable, so every state's error is
    its own minimum). Returns ``(fitted, components)``: ``fitted`` has
    ``Q``'s shape, ``components`` is a list of ``(S, A_i)`` with ``sum_i q_i = fitted``.
    """
    Q = _as_q(Q)
    check_choice(norm, "norm", ("l2", "linf"))
    S, acts, n = Q.shape[0], Q.shape[1:], Q.ndim - 1
    if norm == "l2":
        axes_all = tuple(range(1, n + 1))
        mean = Q.mean(axis=axes_all)
        comps = []
        for i in range(n):
            m = Q.mean(axis=tuple(1 + j for j in range(n) if j != i))
            comps.append(m if i == 0 else m - mean[:, None])
        return _sum_components(comps, acts), comps
    A = int(np.prod(acts))
    grid = np.array(list(itertools.product(*[range(a) for a in acts])), dtype=np.int64).reshape(A, n)
    offsets = np.concatenate([[0], np.cumsum(acts)])
    nv = int(offsets[-1]) + 1
    M = np.zeros((A, nv))
    for i in range(n):
        M[np.arange(A), offsets[i] + grid[:, i]] = 1.0
    # per state |Q - M q| <= t:  M q - t <= Q,  -M q - t <= -Q; all states in ONE block-diagonal
    # LP minimising sum_s t_s (separable, so each t_s is its state's optimum)
    block = np.vstack([np.hstack([M[:, :-1], -np.ones((A, 1))]), np.hstack([-M[:, :-1], -np.ones((A, 1))])])
    A_ub = sparse.kron(sparse.identity(S, format="csr"), sparse.csr_matrix(block), format="csr")
    flat = Q.reshape(S, A)
    b_ub = np.hstack([flat, -flat]).reshape(-1)
    bounds1 = [(None, None)] * (nv - 1) + [(0, None)]
    for i in range(1, n):  # gauge: q_i(0) = 0 for i >= 1
        bounds1[offsets[i]] = (0.0, 0.0)
    c = np.tile(np.eye(nv)[-1], S)
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds1 * S, method="highs")
    if res.status != 0:  # pragma: no cover - the LP is always feasible and bounded
        raise RuntimeError(f"L_inf additive fit failed: {res.message}")
    x = res.x.reshape(S, nv)
    comps = [x[:, offsets[i]:offsets[i + 1]].copy() for i in range(n)]
    return _sum_components(comps, acts), comps


def _sum_components(comps, acts):
    n = len(acts)
    out = np.zeros((comps[0].shape[0],) + tuple(acts))
    for i, q in enumerate(comps):
        shape = [q.shape[0]] + [1] * n
        shape[1 + i] = acts[i]
        out = out + q.reshape(shape)
    return out


def _envelopes(q):
    """Lower envelope ``L(y) = max_{x <= y} q(x)`` and upper ``U(y) = min_{x >= y} q(x)``
    in the product order of the array's axes."""
    L = q.copy()
    U = q.copy()
    for ax in range(q.ndim):
        L = np.maximum.accumulate(L, axis=ax)
        U = np.flip(np.minimum.accumulate(np.flip(U, axis=ax), axis=ax), axis=ax)
    return L, U


def _rankings(acts, max_rankings):
    """Every combination of per-agent rankings, in ``itertools.product`` order of the
    agents' ``itertools.permutations``: a list of ``(R, A_i)`` arrays (row ``r`` of array
    ``i`` lists agent ``i``'s actions from the lowest rank to the top)."""
    total = 1
    for a in acts:
        total *= math.factorial(a)
    if total > max_rankings:
        raise ValueError(f"monotone analysis needs prod_i A_i! = {total} rankings per state, more than "
                         f"max_rankings={max_rankings}")
    perms = [np.array(list(itertools.permutations(range(a))), dtype=np.int64) for a in acts]
    grids = np.meshgrid(*[np.arange(len(p)) for p in perms], indexing="ij")
    return [p[g.reshape(-1)] for p, g in zip(perms, grids)]


def _permuted(x, ranks, lo, hi):
    """``x[np.ix_(*perms_r)]`` for the rankings ``lo:hi``, stacked: ``(hi - lo, A_1..A_n)``."""
    n = len(ranks)
    idx = []
    for i, P in enumerate(ranks):
        shape = [hi - lo] + [1] * n
        shape[1 + i] = P.shape[1]
        idx.append(P[lo:hi].reshape(shape))
    return x[tuple(idx)]


def _monotone_state(q, ranks, tol, chunk):
    """Best rankings for one state, vectorised over the rankings (in chunks):
    ``(error, fitted, ranking index, argmax_ok)``. The error of a ranking is
    ``max (L - q)/2`` with ``L`` the lower envelope in its product order (module
    docstring); the best minimises ``(error, -q at the top joint action)``, the first such
    ranking on exact ties."""
    n = q.ndim
    R = ranks[0].shape[0]
    J = q >= q.max() - tol
    argmax_ok = False
    best = None  # (err, -top, r, L, U)
    axes = tuple(range(1, n + 1))
    for lo in range(0, R, chunk):
        hi = min(R, lo + chunk)
        qr = _permuted(q, ranks, lo, hi)
        L, U = qr.copy(), qr.copy()
        for ax in axes:
            L = np.maximum.accumulate(L, axis=ax)
            U = np.flip(np.minimum.accumulate(np.flip(U, axis=ax), axis=ax), axis=ax)
        err = np.maximum((L - qr).max(axis=axes) / 2.0, 0.0)
        if not argmax_ok:
            Jr = _permuted(J, ranks, lo, hi)
            up = Jr.copy()
            for ax in axes:
                up = np.logical_or.accumulate(up, axis=ax)
            argmax_ok = bool((up == Jr).reshape(hi - lo, -1).all(axis=1).any())
        ntop = -qr[(slice(None),) + (-1,) * n]
        e0 = err.min()
        cand = np.flatnonzero(err == e0)
        k = int(cand[np.argmin(ntop[cand])])  # first minimum of -top among the least errors
        if best is None or (err[k], ntop[k]) < (best[0], best[1]):
            best = (err[k], ntop[k], lo + k, L[k], U[k])
    err, _, r, L, U = best
    fitted = np.empty_like(q)
    fitted[np.ix_(*[P[r] for P in ranks])] = (L + U) / 2.0
    return float(err), fitted, r, argmax_ok


def monotone_projection(Q, *, tol: float = 1e-9, max_rankings: int = 100_000):
    """L_inf projection of every ``Q(s, .)`` onto monotone mixings of per-agent utilities
    (module docstring). Rankings minimising the error are chosen, ties broken by the
    largest ``Q`` at the top joint action, then by the first ranking in
    ``itertools.permutations`` order.

    Returns
    -------
    Result
        ``fitted`` (``Q``'s shape; non-decreasing in the product order of the rankings),
        ``residual`` (``(S,)``, ``||Q(s,.) - fitted(s,.)||_inf``), ``utilities`` (list of
        ``(S, A_i)`` ranks 0..A_i-1: the per-agent utilities of the mixing; their greedy
        actions are the top-ranked ones), ``monotone_argmax`` (``(S,)`` bool),
        ``greedy`` (``(S, n)`` top joint action).
    """
    Q = _as_q(Q)
    max_rankings = check_positive_int(max_rankings, "max_rankings")
    S, acts, n = Q.shape[0], Q.shape[1:], Q.ndim - 1
    fitted = np.empty_like(Q)
    residual = np.empty(S)
    utilities = [np.empty((S, a)) for a in acts]
    margs = np.empty(S, dtype=bool)
    greedy = np.empty((S, n), dtype=np.int64)
    ranks = _rankings(acts, max_rankings)
    chunk = max(1, 2_000_000 // int(np.prod(acts)))  # rankings per vectorised block
    for s in range(S):
        err, fit, r, ok = _monotone_state(Q[s], ranks, tol, chunk)
        fitted[s] = fit
        residual[s] = float(np.max(np.abs(Q[s] - fit)))
        margs[s] = ok
        for i, P in enumerate(ranks):
            utilities[i][s, P[r]] = np.arange(acts[i], dtype=float)
            greedy[s, i] = P[r, -1]
    return Result(fitted=fitted, residual=residual, utilities=utilities, monotone_argmax=margs, greedy=greedy)


def _greedy_sets(u, tol):
    return [np.flatnonzero(row >= row.max() - tol) for row in u]


def igm_holds(Q, utilities, tol: float = 1e-9):
    """Per state: ``(igm_any, igm_first)`` for per-agent ``utilities`` (list of ``(S, A_i)``)
    against joint ``Q`` (module docstring for the two tie rules)."""
    Q = _as_q(Q)
    S, n = Q.shape[0], Q.ndim - 1
    if len(utilities) != n:
        raise ValueError(f"utilities lists {len(utilities)} agents but Q has {n}")
    for i, u in enumerate(utilities):
        if np.shape(u) != (S, Q.shape[1 + i]):
            raise ValueError(f"utilities[{i}] must have shape {(S, Q.shape[1 + i])}, got {np.shape(u)}")
    any_ok = np.empty(S, dtype=bool)
    first_ok = np.empty(S, dtype=bool)
    for s in range(S):
        J = Q[s] >= Q[s].max() - tol
        sets = [np.flatnonzero(u[s] >= np.max(u[s]) - tol) for u in utilities]
        any_ok[s] = bool(J[np.ix_(*sets)].all())
        first_ok[s] = bool(J[tuple(int(b[0]) for b in sets)])
    return any_ok, first_ok


def _model_utilities(Qk, kind):
    if kind == "max_marginal":
        return max_marginals(Qk)
    return additive_projection(Qk, "l2" if kind == "vdn_l2" else "linf")[1]


def robust_utilities(models, *, utilities: str = "max_marginal", tol: float = 1e-9) -> Result:
    """The paper's anchored robust per-agent utilities and the naive per-agent worst case,
    for a finite family of models (module docstring).

    Parameters
    ----------
    models : array_like, shape (K, S, A_1..A_n)
        Joint values ``Q^k`` of the team under each model ``k``.
    utilities : {"max_marginal", "vdn_l2", "vdn_linf"}
        How each model's per-agent utilities ``u_i^k`` are obtained from ``Q^k``.

    Returns
    -------
    Result
        ``Q_robust`` (``min_k Q^k``), ``robust_greedy`` (``(S, n)``, lowest flat index),
        ``worst_model`` (``(S,)`` k_w), ``anchored``, ``naive`` (lists of ``(S, A_i)``),
        ``igm_anchored``, ``igm_naive``, ``igm_anchored_first``, ``igm_naive_first``
        (``(S,)`` bool, against ``Q_robust``).
    """
    M = as_float_array(models, "models")
    if M.ndim < 3:
        raise ValueError(f"models must have shape (K, S, A_1, ..., A_n), got {M.shape}")
    check_choice(utilities, "utilities", ("max_marginal", "vdn_l2", "vdn_linf"))
    K, S, acts = M.shape[0], M.shape[1], M.shape[2:]
    n = len(acts)
    Qrob = M.min(axis=0)
    flat = Qrob.reshape(S, -1)
    astar = flat.argmax(axis=1)
    worst = M.reshape(K, S, -1)[:, np.arange(S), astar].argmin(axis=0)
    per_model = [_model_utilities(M[k], utilities) for k in range(K)]
    anchored = [np.stack([per_model[worst[s]][i][s] for s in range(S)]) for i in range(n)]
    naive = [np.min([per_model[k][i] for k in range(K)], axis=0) for i in range(n)]
    ia, iaf = igm_holds(Qrob, anchored, tol)
    inv, inf_ = igm_holds(Qrob, naive, tol)
    return Result(Q_robust=Qrob, robust_greedy=np.stack(np.unravel_index(astar, acts), axis=1),
                  worst_model=worst, anchored=anchored, naive=naive, igm_anchored=ia, igm_naive=inv,
                  igm_anchored_first=iaf, igm_naive_first=inf_)


def igm_report(Q, *, utilities=None, models=None, model_utilities: str = "max_marginal", tol: float = 1e-9,
               monotone: bool = True, max_rankings: int = 100_000) -> Result:
    """IGM consistency, VDN residuals and monotone-mixing representability of a joint ``Q``.

    Parameters
    ----------
    Q : array_like, shape (S, A_1, ..., A_n)
        Any joint action-value table (exact or learned), ``n >= 1``.
    utilities : list of array_like (S, A_i), optional
        Per-agent utilities to test (e.g. a learned VDN's agent tables).
    models : array_like (K, S, A_1..A_n), optional
        Joint values under a finite family of models: adds the anchored and naive robust
        utilities (:func:`robust_utilities`) with ``model_utilities``.
    tol : float
        Tie tolerance for argmax sets.
    monotone : bool
        Run the exact monotone-mixing analysis (``prod_i A_i!`` rankings per state).

    Returns
    -------
    Result
        ``joint_greedy`` (``(S, n)`` lowest flat index), ``argmax_size`` (``(S,)``);
        ``igm_<kind>`` and ``igm_first_<kind>`` (``(S,)`` bool) for ``kind`` in
        ``max_marginal``, ``vdn_l2``, ``vdn_linf``, ``monotone`` and ``given``;
        ``vdn_residual_linf`` (LP), ``vdn_residual_l2`` (sup-norm error of the
        least-squares fit), ``vdn_rmse_l2`` (its RMS error), each ``(S,)``;
        ``product_argmax``, ``monotone_argmax`` (``(S,)`` bool), ``monotone_residual``
        (``(S,)``); with ``models`` the fields of :func:`robust_utilities` prefixed
        ``robust_``; ``all_igm_<kind>`` summaries (bool).
    """
    Q = _as_q(Q)
    S, acts, n = Q.shape[0], Q.shape[1:], Q.ndim - 1
    out = {}
    flat = Q.reshape(S, -1)
    out["joint_greedy"] = np.stack(np.unravel_index(flat.argmax(axis=1), acts), axis=1)
    J = flat >= flat.max(axis=1, keepdims=True) - tol
    out["argmax_size"] = J.sum(axis=1)
    prod = np.empty(S, dtype=bool)
    for s in range(S):
        Js = J[s].reshape(acts)
        proj = [np.flatnonzero(Js.any(axis=tuple(j for j in range(n) if j != i))) for i in range(n)]
        prod[s] = bool(Js[np.ix_(*proj)].all())
    out["product_argmax"] = prod
    kinds = {"max_marginal": max_marginals(Q)}
    fit2, comps2 = additive_projection(Q, "l2")
    fitinf, compsinf = additive_projection(Q, "linf")
    kinds["vdn_l2"], kinds["vdn_linf"] = comps2, compsinf
    out["vdn_residual_linf"] = np.abs(Q - fitinf).reshape(S, -1).max(axis=1)
    out["vdn_residual_l2"] = np.abs(Q - fit2).reshape(S, -1).max(axis=1)
    out["vdn_rmse_l2"] = np.sqrt(((Q - fit2) ** 2).reshape(S, -1).mean(axis=1))
    if monotone:
        mono = monotone_projection(Q, tol=tol, max_rankings=max_rankings)
        kinds["monotone"] = mono.utilities
        out["monotone_residual"] = mono.residual
        out["monotone_argmax"] = mono.monotone_argmax
    if utilities is not None:
        kinds["given"] = [as_float_array(u, f"utilities[{i}]") for i, u in enumerate(utilities)]
    for kind, u in kinds.items():
        a, f = igm_holds(Q, u, tol)
        out[f"igm_{kind}"] = a
        out[f"igm_first_{kind}"] = f
        out[f"all_igm_{kind}"] = bool(a.all())
    if models is not None:
        M = as_float_array(models, "models")
        if M.shape[1:] != Q.shape:
            raise ValueError(f"models must have shape (K,) + {Q.shape}, got {M.shape}")
        rob = robust_utilities(M, utilities=model_utilities, tol=tol)
        for k in rob.keys():
            out["robust_" + k] = rob[k]
    return Result(**out)
