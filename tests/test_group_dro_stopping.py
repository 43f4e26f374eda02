"""Discounted group-DRO value iteration meets its documented error guarantee at gamma = 0.99.

:func:`robustgames.planning._group_dro.group_dro_value_iteration` documents: it stops when
``||Q_{k+1} - Q_k||_inf <= tol (1 - gamma) / gamma``, which bounds the distance of the
returned ``Q_{k+1}`` to the fixed point ``Q*`` of the DR Bellman operator
``(T Q)(s,a) = min_g [r_g(s,a) + gamma P_g(.|s,a) . max_{a' feasible} Q(., a')]`` by ``tol``
(a ``gamma``-contraction: ``||Q_{k+1} - Q*|| <= gamma/(1-gamma) ||Q_{k+1} - Q_k||``).

Reference (independent numpy): the exact fixed point by Hoffman-Karp policy iteration
(outer policy iteration of the team over deterministic policies; inner policy iteration of
the group adversary, each evaluation a linear solve ``(I - gamma P) V = r``), certified
by its own Bellman residual. At gamma = 0.99 a stopping rule that forgets the factor
``(1 - gamma)/gamma`` leaves an error up to ``99 tol``, which the tests see.
"""

import numpy as np
import pytest

from robustgames.planning import _group_dro as gd

GAMMA = 0.99
TOLS = [1e-2, 1e-4, 1e-6]


def _instance(kind, seed=0, m=3, S=6, A=4):
    """rewards (m, S, A), transitions as the solver takes them, feasible mask, method."""
    rng = np.random.default_rng(seed)
    r = rng.random((m, S, A))
    if kind == "group_free":
        P = rng.dirichlet(0.3 * np.ones(S), size=(S, A))
    else:
        P = rng.dirichlet(0.3 * np.ones(S), size=(m, S, A))
    F = None
    if kind == "feasible":
        F = rng.random((S, A)) < 0.6
        F[np.arange(S), rng.integers(0, A, S)] = True
    method = "predicted" if kind == "predicted" else "rectangular"
    return r, P, F, method


def _allowed_groups(r, method):
    """(m, S, A) mask of the groups the adversary may pick at each (s, a)."""
    if method == "rectangular":
        return np.ones(r.shape, dtype=bool)
    allowed = np.zeros(r.shape, dtype=bool)
    g = np.argmin(r, axis=0)  # documented default prediction: argmin_g r_g(s, a)
    np.put_along_axis(allowed, g[None], True, axis=0)
    return allowed


def _per_group(P, m):
    return np.broadcast_to(P, (m,) + P.shape) if P.ndim == 3 else P


def _backup(r, Pg, allowed, v, gamma):
    """``min_{g allowed} r_g + gamma P_g . v``, shape (S, A)."""
    tot = r + gamma * np.einsum("gsat,t->gsa", Pg, v)
    return np.where(allowed, tot, np.inf).min(axis=0)


def _exact_fixed_point(r, P, F, method, gamma):
    """Hoffman-Karp: returns the exact ``Q*`` (S, A) and ``V*`` (S,)."""
    m, S, A = r.shape
    Pg = _per_group(P, m)
    allowed = _allowed_groups(r, method)
    feas = np.ones((S, A), dtype=bool) if F is None else F
    s_idx = np.arange(S)

    def evaluate(pol):  # adversary's policy iteration against the team policy pol
        g = np.argmax(allowed[:, s_idx, pol], axis=0)
        for _ in range(1000):
            V = np.linalg.solve(np.eye(S) - gamma * Pg[g, s_idx, pol], r[g, s_idx, pol])
            cand = np.where(allowed[:, s_idx, pol], r[:, s_idx, pol] + gamma * Pg[:, s_idx, pol] @ V, np.inf)
            best = cand.min(axis=0)
            if np.all(cand[g, s_idx] <= best + 1e-13):
                return V
            g = np.where(cand[g, s_idx] <= best + 1e-13, g, cand.argmin(axis=0))
        raise AssertionError("adversary policy iteration did not terminate")

    pol = np.argmax(feas, axis=1)
    for _ in range(1000):
        V = evaluate(pol)
        Q = _backup(r, Pg, allowed, V, gamma)
        Qf = np.where(feas, Q, -np.inf)
        best = Qf.max(axis=1)
        if np.all(Qf[s_idx, pol] >= best - 1e-13):
            # certificate: V* = max_a T(Q*) and Q* = T(Q*) to round-off
            assert np.abs(best - V).max() <= 1e-10
            return Q, best
        pol = np.where(Qf[s_idx, pol] >= best - 1e-13, pol, Qf.argmax(axis=1))
    raise AssertionError("team policy iteration did not terminate")


def _first_stop(r, P, F, method, gamma, tol):
    """Independent replay of the documented rule: the first k with
    ||Q_k - Q_{k-1}|| <= tol (1-gamma)/gamma (Q_0 = 0), and the margin to the threshold."""
    m, S, A = r.shape
    Pg = _per_group(P, m)
    allowed = _allowed_groups(r, method)
    feas = np.ones((S, A), dtype=bool) if F is None else F
    stop = tol * (1 - gamma) / gamma
    q = np.zeros((S, A))
    for k in range(1, 200_000):
        q_new = _backup(r, Pg, allowed, np.where(feas, q, -np.inf).max(axis=1), gamma)
        diff = np.abs(q_new - q).max()
        q = q_new
        if diff <= stop:
            return k, abs(diff - stop) / stop
    raise AssertionError("no stop")


KINDS = ["per_group", "group_free", "predicted", "feasible"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("tol", TOLS)
def test_error_within_tol_at_gamma_099(kind, tol):
    r, P, F, method = _instance(kind)
    Qs, Vs = _exact_fixed_point(r, P, F, method, GAMMA)
    res = gd.group_dro_value_iteration(r, P, GAMMA, feasible=F, method=method, tol=tol)
    assert res.converged
    err_q = np.abs(res.q - Qs).max()
    err_v = np.abs(res.values - Vs).max()
    assert err_q <= tol, f"sup-norm error {err_q:.3g} of q exceeds tol={tol:g}"
    assert err_v <= tol, f"sup-norm error {err_v:.3g} of values exceeds tol={tol:g}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("tol", TOLS)
def test_stops_at_the_documented_iteration(kind, tol):
    """The rule is exactly ``||Q_{k+1} - Q_k|| <= tol (1-gamma)/gamma``: not later (wasted
    work) and not earlier (error guarantee lost)."""
    r, P, F, method = _instance(kind)
    k_ref, margin = _first_stop(r, P, F, method, GAMMA, tol)
    res = gd.group_dro_value_iteration(r, P, GAMMA, feasible=F, method=method, tol=tol)
    if margin < 1e-9:  # round-off could put the two replays on different sides
        pytest.skip("difference at the stopping threshold to round-off")
    assert res.iterations == k_ref


def test_instance_is_not_trivial_for_the_guarantee():
    """Guard: on this instance stopping at ``||Q_{k+1} - Q_k|| <= tol`` (no (1-gamma)/gamma)
    would violate the guarantee, so the tolerance test above can fail."""
    r, P, F, method = _instance("per_group")
    Qs, _ = _exact_fixed_point(r, P, F, method, GAMMA)
    tol = 1e-4
    Pg = _per_group(P, r.shape[0])
    allowed = _allowed_groups(r, method)
    q = np.zeros(r.shape[1:])
    while True:
        q_new = _backup(r, Pg, allowed, q.max(axis=1), GAMMA)
        done = np.abs(q_new - q).max() <= tol
        q = q_new
        if done:
            break
    assert np.abs(q - Qs).max() > 10 * tol


def test_reference_is_the_fixed_point_of_the_package_operator():
    """Consistency of the two implementations of ``T`` at the exact fixed point."""
    for kind in KINDS:
        r, P, F, method = _instance(kind)
        Qs, _ = _exact_fixed_point(r, P, F, method, GAMMA)
        TQ = gd.group_dro_operator(Qs, r, P, GAMMA, feasible=F, method=method)
        assert np.abs(TQ - Qs).max() <= 1e-10
