"""Certificates (nash_gap, ce_gap, cce_gap, is_*) against brute force, the compiled gap
kernels against the numpy certificates, and planted bugs the certificates must catch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import robustgames.equilibria as eq
from robustgames.equilibria._gaps import flat_ce_gap, flat_cce_gap


def _random_case(seed, n_players, max_actions=3, integer=False):
    rng = np.random.default_rng(seed)
    shape = tuple(int(a) for a in rng.integers(1, max_actions + 1, size=n_players))
    U = rng.integers(-2, 3, size=shape + (n_players,)).astype(float) if integer else rng.normal(size=shape + (n_players,))
    P = rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)
    if rng.random() < 0.3:  # sparse supports too
        P = np.where(rng.random(shape) < 0.5, 0.0, P)
        P = P / P.sum() if P.sum() > 0 else np.full(shape, 1 / P.size)
    return U, P


def brute_gaps(U, P):
    """Max over every player and EVERY map phi_i: A_i -> A_i (CE), constant maps (CCE)."""
    shape = U.shape[:-1]
    n = len(shape)
    joint = list(itertools.product(*map(range, shape)))
    ce = cce = 0.0
    for i in range(n):
        for phi in itertools.product(range(shape[i]), repeat=shape[i]):
            gain = sum(P[a] * (U[a[:i] + (phi[a[i]],) + a[i + 1:] + (i,)] - U[a + (i,)]) for a in joint)
            ce = max(ce, gain)
            if len(set(phi)) == 1:
                cce = max(cce, gain)
    return ce, cce


def brute_nash_gap(U, P):
    n = U.ndim - 1
    marg = [P.sum(axis=tuple(j for j in range(n) if j != i)) for i in range(n)]
    gap = 0.0
    for i in range(n):
        def expected(dev):
            total = 0.0
            for a in itertools.product(*map(range, U.shape[:-1])):
                prob = np.prod([marg[j][a[j]] for j in range(n) if j != i])
                ai = a[i] if dev is None else dev
                if dev is not None and a[i] != 0:
                    continue  # sum over a_{-i} only once
                if dev is None:
                    prob *= marg[i][a[i]]
                total += prob * U[a[:i] + (ai,) + a[i + 1:] + (i,)]
            return total
        base = expected(None)
        for d in range(U.shape[i]):
            gap = max(gap, expected(d) - base)
    return gap


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.booleans())
def test_gaps_match_brute_force_and_compiled_kernels(seed, n_players, integer):
    U, P = _random_case(seed, n_players, integer=integer)
    ce, cce = brute_gaps(U, P)
    assert eq.ce_gap(U, P) == pytest.approx(ce, abs=1e-12)
    assert eq.cce_gap(U, P) == pytest.approx(cce, abs=1e-12)
    assert eq.nash_gap(U, P) == pytest.approx(brute_nash_gap(U, P), abs=1e-12)
    assert eq.cce_gap(U, P) <= eq.ce_gap(U, P) + 1e-15
    n_actions = np.array(U.shape[:-1], dtype=np.int64)
    Q = U.reshape(-1, n_players)
    p = P.reshape(-1)
    assert flat_ce_gap(Q, n_actions, p) == pytest.approx(ce, abs=1e-12)
    assert flat_cce_gap(Q, n_actions, p) == pytest.approx(cce, abs=1e-12)


def test_is_functions_use_the_tolerance():
    U = np.stack([[[3.0, 0.0], [5.0, 1.0]], [[3.0, 5.0], [0.0, 1.0]]], axis=-1)  # PD
    eps = 1e-3
    P = np.array([[0.0, 0.0], [eps, 1 - eps]])  # player 2 gains 1 * eps by defecting
    assert eq.cce_gap(U, P) == pytest.approx(eps)
    assert not eq.is_cce(U, P) and eq.is_cce(U, P, tol=2 * eps)
    assert not eq.is_ce(U, P) and eq.is_ce(U, P, tol=2 * eps)
    D = np.array([[0.0, 0.0], [0.0, 1.0]])
    assert eq.is_nash(U, D) and eq.is_ce(U, D) and eq.is_cce(U, D)


def test_is_nash_rejects_correlated_distributions():
    # chicken's correlated equilibrium (1/3 each off the (dare, dare) cell) is a CE but
    # not a product distribution
    U = np.stack([[[6.0, 2.0], [7.0, 0.0]], [[6.0, 7.0], [2.0, 0.0]]], axis=-1)
    P = np.array([[1 / 3, 1 / 3], [1 / 3, 0.0]])
    assert eq.is_ce(U, P)
    assert not eq.is_nash(U, P)


# ----------------------------------------------------------------- planted bugs


def _uniform_solver(U):
    return np.full(U.shape[:-1], 1.0 / np.prod(U.shape[:-1]))


def _welfare_greedy_solver(U):
    W = U.sum(axis=-1)
    P = np.zeros(W.shape)
    P[np.unravel_index(np.argmax(W), W.shape)] = 1.0
    return P


@pytest.mark.parametrize("wrong_solver", [_uniform_solver, _welfare_greedy_solver])
def test_planted_bug_fails_the_certificates(wrong_solver):
    """A deliberately wrong solver is caught: the certificates the tests call on every
    result would fail on its output, while the real solvers pass on the same games."""
    pd = np.stack([[[3.0, 0.0], [5.0, 1.0]], [[3.0, 5.0], [0.0, 1.0]]], axis=-1)
    # 3-player public goods: contributing costs 1 and returns 1.6/3 to everyone, so
    # free riding is dominant while full contribution maximises welfare
    c = np.array(list(np.ndindex(2, 2, 2)), dtype=float).reshape(2, 2, 2, 3)
    public_goods = 1.6 / 3 * c.sum(axis=-1, keepdims=True) - c
    for U in (pd, public_goods):
        bad = wrong_solver(U)
        assert not eq.is_cce(U, bad)
        assert not eq.is_ce(U, bad)
        if U.ndim == 3:
            assert not eq.is_nash(U, bad)
            assert eq.is_nash(U, eq.nash(U).policy)
        assert eq.is_ce(U, eq.correlated(U, "ce").policy)
        assert eq.is_cce(U, eq.correlated(U, "cce").policy)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 3))
def test_planted_bug_verdicts_agree_with_brute_force(seed, n_players):
    rng = np.random.default_rng(seed)
    U = rng.normal(size=(2,) * n_players + (n_players,))
    for wrong_solver in (_uniform_solver, _welfare_greedy_solver):
        P = wrong_solver(U)
        ce, cce = brute_gaps(U, P)
        assert eq.is_ce(U, P) == (ce <= 1e-7)
        assert eq.is_cce(U, P) == (cce <= 1e-7)


def test_planted_bug_in_a_solved_policy_is_caught():
    # move mass from the solved CE to the cell that hurts incentives most
    rng = np.random.default_rng(9)
    U = rng.normal(size=(3, 3, 2))
    P = eq.correlated(U, "ce").policy
    assert eq.is_ce(U, P)
    worst = None
    for k in range(P.size):
        Q = 0.5 * P + 0.5 * np.eye(P.size)[k].reshape(P.shape)
        if not eq.is_ce(U, Q):
            worst = Q
            break
    assert worst is not None


# ----------------------------------------------------------------- validation


def test_certificate_inputs_are_checked():
    U = np.zeros((2, 3, 2))
    with pytest.raises(ValueError, match="policy must have shape"):
        eq.ce_gap(U, np.full((3, 2), 1 / 6))
    with pytest.raises(ValueError, match="policy has a negative entry"):
        eq.cce_gap(U, np.array([[1.5, -0.5, 0.0], [0.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="policy rows must sum to 1"):
        eq.nash_gap(U, np.full((2, 3), 0.1))
    with pytest.raises(ValueError, match="payoffs must have shape"):
        eq.is_ce(np.zeros((2, 3, 3)), np.full((2, 3), 1 / 6))
    with pytest.raises(ValueError, match="tol must be non-negative"):
        eq.is_cce(U, np.full((2, 3), 1 / 6), tol=-1.0)
