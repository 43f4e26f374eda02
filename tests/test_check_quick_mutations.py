"""``robustgames check --quick`` catches the characteristic mistakes that the unit tests catch.

Each test plants one mutation of the library by monkeypatching (never by editing the source)
and asserts that the QUICK profile of the claim that should see it fails:

(a) the KL row solver stopped after 2 Newton passes -> ``kl_dual_primal``;
(b) discounted value iteration stopped when ``||V_{k+1} - V_k|| <= tol``, without the factor
    ``gamma/(1-gamma)`` of the error bound -> ``solve_certificates`` (delayed-reward MDP at
    gamma = 0.98 compared with a brute-force optimum);
(c) the CE gap computed with a single swap ``c -> d`` per state instead of a strategy
    modification ``phi: A_i -> A_i`` -> ``solve_certificates`` (random correlated policies
    against a brute force over every modification).
"""

from __future__ import annotations

import types

import numpy as np
import pytest

from robustgames.planning._best_response import _deviation_step as _original_deviation_step
from robustgames.proofs_checks import kl_dual_primal, solve_certificates

# ---------------------------------------------------------------- (a) KL solver stopped short


def _kl_core_with(max_iter):
    """The KL row solver ``_kl_core`` with ``MAX_ITER = max_iter``, run as Python.

    numba freezes module globals into the compiled kernels, so setting
    ``robustgames.uncertainty._kl.MAX_ITER`` has no effect on ``rg.KL``. Instead the kernels'
    Python sources (``py_func``) are re-bound to a copy of the module's globals with the new
    constant (``_kl_core`` calls the re-bound ``_kl_solve``; the helpers it calls stay compiled).
    """
    from robustgames.uncertainty import _kl

    g = dict(vars(_kl), MAX_ITER=max_iter)
    g["_kl_solve"] = types.FunctionType(_kl._kl_solve.py_func.__code__, g, "_kl_solve")
    return types.FunctionType(_kl._kl_core.py_func.__code__, g, "_kl_core")


def _kl_methods(max_iter):
    """``(_values, _distributions)`` of :class:`robustgames.KL` built on :func:`_kl_core_with`."""
    from robustgames.uncertainty import _kl

    core = _kl_core_with(max_iter)

    def solve_rows(P, v, radius, tol):
        S = P.shape[1]
        scratch = (np.empty(S), np.empty(S), np.empty(S))
        return [core(P, r, v, radius, float(v.min()), *scratch, tol, np.nan) for r in range(P.shape[0])]

    def _values(self, P, v, out):
        out[:] = [row[0] for row in solve_rows(P, v, self.radius, _kl.VALUE_TOL)]

    def _distributions(self, P, v, out):
        for r, (_, kind, beta, shift, _) in enumerate(solve_rows(P, v, self.radius, _kl.H_TOL)):
            p = P[r]
            if kind == _kl._NOMINAL:
                out[r] = p
            elif kind == _kl._ARGMIN:
                on = (p > 0) & (v == shift)
                out[r] = np.where(on, p, 0.0) / p[on].sum()
            else:
                w = np.where(p > 0, p * np.exp(-beta * (v - shift)), 0.0)
                out[r] = w / w.sum()

    return _values, _distributions


def test_kl_plant_is_faithful():
    """With the real MAX_ITER the Python copy reproduces the compiled solver exactly, so the
    planted run differs from rg.KL only by the iteration cap."""
    from robustgames.uncertainty import KL, _kl

    values, dists = _kl_methods(_kl.MAX_ITER)
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.full(5, 0.5), size=4)
    P[0, 1] = 0.0
    P[0] /= P[0].sum()
    v = rng.normal(size=5)
    for radius in (0.01, 0.3, 1.5):
        U = KL(radius)
        out, q = np.empty(4), np.empty((4, 5))
        values(U, P, v, out)
        dists(U, P, v, q)
        np.testing.assert_array_equal(out, U.worst_value(P, v))
        np.testing.assert_allclose(q, U.worst_distribution(P, v), rtol=1e-13, atol=1e-15)


def test_quick_kl_check_catches_a_kl_solver_stopped_after_two_passes(monkeypatch):
    from robustgames.uncertainty import KL

    values, dists = _kl_methods(2)
    monkeypatch.setattr(KL, "_values", values)
    monkeypatch.setattr(KL, "_distributions", dists)
    res = kl_dual_primal.check(quick=True)
    assert not res.passed, res.evidence
    assert res.numbers["measured"] > res.numbers["threshold"]


# --------------------------------------------- (b) stopping rule without gamma / (1 - gamma)


def _loose_fixed_point(step, V0, gamma, tol, max_iter, what):
    """Mutation of ``planning._backup.fixed_point``: stops at ``||V_{k+1} - V_k|| <= tol``."""
    V = V0
    for it in range(1, max_iter + 1):
        V_new, extra = step(V)
        done = float(np.max(np.abs(V_new - V))) <= tol
        V = V_new
        if done:
            return V, extra, it, True
    return V, extra, max_iter, False


@pytest.mark.parametrize("where", ["value_iteration", "every_fixed_point"])
def test_quick_solve_check_catches_a_stopping_rule_without_the_discount_factor(monkeypatch, where):
    """Only the value iteration of rg.solve mutated, or the shared helper (value iteration,
    robust evaluation and best responses) mutated."""
    from robustgames.planning import _backup, _best_response, _evaluate, _solve

    modules = [_solve] if where == "value_iteration" else [_solve, _backup, _evaluate, _best_response]
    for mod in modules:
        monkeypatch.setattr(mod, "fixed_point", _loose_fixed_point)
    res = solve_certificates.check(quick=True)
    assert not res.passed, res.evidence
    assert res.numbers["discounted_opt_err"] > solve_certificates.TOL_VI


# ------------------------------------------------------------- (c) CE gap with one swap


def _one_swap_deviation_step(pi_s, Qi, n_actions, player, kind):
    """Mutation of ``planning._best_response._deviation_step``: for CE, the deviator may change
    only ONE recommendation per state (``c -> d``), not apply a whole modification phi."""
    if kind != "ce":
        return _original_deviation_step(pi_s, Qi, n_actions, player, kind)
    S = pi_s.shape[0]
    full = (S,) + tuple(n_actions)
    p = np.moveaxis(pi_s.reshape(full), 1 + player, 1).reshape(S, n_actions[player], -1)
    q = np.moveaxis(Qi.reshape(full), 1 + player, 1).reshape(S, n_actions[player], -1)
    N = np.einsum("sar,sbr->sab", p, q)  # N[s, c, d]: weight of c, played as d
    follow = np.einsum("scc->s", N)
    gain = N - np.einsum("scc->sc", N)[:, :, None]
    flat = gain.reshape(S, -1)
    k = flat.argmax(axis=1)
    phi = np.tile(np.arange(n_actions[player]), (S, 1))
    better = flat[np.arange(S), k] > 0
    phi[better, k[better] // n_actions[player]] = (k % n_actions[player])[better]
    return follow + np.maximum(flat.max(axis=1), 0.0), phi


def _one_swap_ce_gap(payoffs, policy):
    """Mutation of ``rg.equilibria.ce_gap``: the best single swap ``c -> d`` of one player."""
    payoffs, policy = np.asarray(payoffs, float), np.asarray(policy, float)
    n = payoffs.shape[-1]
    best = 0.0
    for i in range(n):
        u = np.moveaxis(payoffs[..., i], i, 0).reshape(policy.shape[i], -1)
        w = np.moveaxis(policy, i, 0).reshape(policy.shape[i], -1)
        G = w @ u.T - (w * u).sum(axis=1)[:, None]
        best = max(best, float(G.max()))
    return best


def test_one_swap_mutation_really_underestimates():
    """Sanity of the plant: on a stage where both recommendations gain from switching, the
    one-swap gap is strictly below the CE gap."""
    from robustgames.equilibria import ce_gap

    payoffs = np.zeros((2, 2, 2))
    payoffs[1, 0, 0] = payoffs[0, 1, 0] = 1.0  # player 0 prefers the other action in both columns
    policy = np.array([[0.5, 0.0], [0.0, 0.5]])  # recommend (0, 0) or (1, 1)
    assert ce_gap(payoffs, policy) == pytest.approx(1.0)
    assert _one_swap_ce_gap(payoffs, policy) == pytest.approx(0.5)


def test_quick_solve_check_catches_a_one_swap_ce_gap_in_rg_gap(monkeypatch):
    from robustgames.planning import _best_response

    monkeypatch.setattr(_best_response, "_deviation_step", _one_swap_deviation_step)
    res = solve_certificates.check(quick=True)
    assert not res.passed, res.evidence
    assert res.numbers["certificate_err"] > solve_certificates.TOL_CERT
    assert res.numbers["multi_swap_states"] > 0


def test_quick_solve_check_catches_a_one_swap_stage_ce_gap(monkeypatch):
    import robustgames.equilibria as eq

    monkeypatch.setattr(eq, "ce_gap", _one_swap_ce_gap)
    res = solve_certificates.check(quick=True)
    assert not res.passed, res.evidence
    assert res.numbers["stage_certificate_err"] > solve_certificates.TOL_CERT
