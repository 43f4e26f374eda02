"""Stage-game solvers against independent references (scipy HiGHS LPs, nashpy support
enumeration) and their certificates, on random and degenerate games."""

from __future__ import annotations

import itertools
import warnings

import nashpy
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import linprog

import robustgames.equilibria as eq

# --------------------------------------------------------------------------- games


def _bimatrix(A, B):
    return np.stack([np.asarray(A, float), np.asarray(B, float)], axis=-1)


RPS = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
PENNIES = np.array([[1.0, -1.0], [-1.0, 1.0]])
CLASSIC = {
    "matching_pennies": _bimatrix(PENNIES, -PENNIES),
    "rps": _bimatrix(RPS, -RPS),
    "prisoners_dilemma": _bimatrix([[3, 0], [5, 1]], [[3, 5], [0, 1]]),
    "stag_hunt": _bimatrix([[4, 0], [3, 3]], [[4, 3], [0, 3]]),
    "climbing": _bimatrix(*(2 * [[[11, -30, 0], [-30, 7, 6], [0, 0, 5]]])),
    "coordination": _bimatrix(np.eye(3), np.eye(3)),
    "battle_of_sexes": _bimatrix([[2, 0], [0, 1]], [[1, 0], [0, 2]]),
    "chicken": _bimatrix([[0, -1], [1, -10]], [[0, 1], [-1, -10]]),
    "constant": np.full((3, 2, 2), 1.5),
    "all_zero": np.zeros((2, 4, 2)),
    "dominated": _bimatrix([[1, 1, 1], [0, 0, 0], [1, 1, 1]], [[0, 2, 2], [0, 2, 2], [0, 1, 2]]),
    "one_by_one": np.array([[[1.0, -2.0]]]),
    "one_row": _bimatrix([[1, 3, 3, 0]], [[2, 2, 0, 2]]),
    "one_column": _bimatrix([[1], [5], [5]], [[0], [1], [2]]),
}
CLASSIC_3P = {
    "constant_3p": np.ones((2, 3, 2, 3)),
    "identical_3p": np.repeat(np.arange(27, dtype=float).reshape(3, 3, 3)[..., None] % 4, 3, axis=-1),
    "pure_coordination_3p": np.stack(
        [np.fromfunction(lambda a, b, c: ((a == b) & (b == c)).astype(float), (2, 2, 2))] * 3, axis=-1
    ),
}


@st.composite
def games(draw, *, min_players=2, max_players=2, max_actions=5, ties=None):
    """Payoff arrays (A_1..A_n, n); with ``ties`` small integers (degenerate games)."""
    n = draw(st.integers(min_players, max_players))
    cap = max_actions if n <= 2 else 3
    shape = tuple(draw(st.integers(1, cap)) for _ in range(n)) + (n,)
    if ties is None:
        ties = draw(st.booleans())
    if ties:
        elements = st.integers(-2, 2).map(float)
    else:
        elements = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
    return draw(arrays(np.float64, shape, elements=elements))


# --------------------------------------------------------------------------- references


def linprog_zero_sum_value(A):
    """max v s.t. A^T x >= v 1, 1.x = 1, x >= 0 (scipy HiGHS)."""
    m, n = A.shape
    c = np.zeros(m + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=np.hstack([-A.T, np.ones((n, 1))]), b_ub=np.zeros(n),
                  A_eq=np.hstack([np.ones((1, m)), np.zeros((1, 1))]), b_eq=[1.0],
                  bounds=[(0, None)] * m + [(None, None)], method="highs")
    assert res.status == 0
    return -res.fun


def incentive_rows(U, kind):
    """CE/CCE constraint rows built by brute force over joint action tuples."""
    shape = U.shape[:-1]
    n = len(shape)
    joint = list(itertools.product(*map(range, shape)))
    rows = []
    for i in range(n):
        for c in range(shape[i]):
            for d in range(shape[i]):
                if kind == "ce" and c == d:
                    continue
                if kind == "cce" and c > 0:
                    continue  # one row per fixed deviation d
                row = np.zeros(len(joint))
                for k, a in enumerate(joint):
                    if kind == "ce" and a[i] != c:
                        continue
                    dev = a[:i] + (d,) + a[i + 1:]
                    row[k] = U[dev + (i,)] - U[a + (i,)]
                rows.append(row)
    return np.array(rows).reshape(-1, len(joint))


def linprog_max_welfare(U, kind):
    N = int(np.prod(U.shape[:-1]))
    G = incentive_rows(U, kind)
    res = linprog(-U.sum(axis=-1).reshape(-1), A_ub=G if len(G) else None,
                  b_ub=np.zeros(len(G)) if len(G) else None,
                  A_eq=np.ones((1, N)), b_eq=[1.0], method="highs")
    assert res.status == 0
    return -res.fun


def nashpy_equilibria(A, B):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [(np.asarray(x), np.asarray(y)) for x, y in nashpy.Game(A, B).support_enumeration()]


def check_zero_sum(A, res, tol=1e-8):
    scale = max(1.0, np.abs(A).max())
    assert abs(res.value - linprog_zero_sum_value(A)) <= tol * scale
    for v in (res.x, res.y):
        assert np.all(v >= 0) and abs(v.sum() - 1) <= 1e-12
    assert (res.x @ A).min() >= res.value - tol * scale  # x guarantees the value
    assert (A @ res.y).max() <= res.value + tol * scale  # y holds the row player to it


def check_nash(U, res):
    x, y = res.strategies
    assert res.policy.shape == U.shape[:-1]
    assert np.array_equal(res.policy, np.multiply.outer(x, y))
    assert eq.is_nash(U, res.policy)
    assert eq.nash_gap(U, res.policy) <= 1e-9 * max(1.0, np.abs(U).max())
    assert np.allclose(res.values, [x @ U[..., 0] @ y, x @ U[..., 1] @ y], atol=1e-12)


def check_correlated(U, res, kind):
    scale = max(1.0, np.abs(U).max())
    assert res.policy.shape == U.shape[:-1]
    assert np.all(res.policy >= 0) and abs(res.policy.sum() - 1) <= 1e-12
    if kind == "ce":
        assert eq.is_ce(U, res.policy)
        assert eq.is_cce(U, res.policy)  # the CE set lies inside the CCE set
    assert eq.is_cce(U, res.policy)
    welfare = float((res.policy * U.sum(axis=-1)).sum())
    assert abs(welfare - linprog_max_welfare(U, kind)) <= 1e-7 * scale
    assert abs(res.welfare - welfare) <= 1e-9 * scale


# --------------------------------------------------------------------------- zero-sum


@settings(max_examples=150, deadline=None)
@given(games())
def test_zero_sum_matches_linprog_and_is_minimax(U):
    A = U[..., 0]
    check_zero_sum(A, eq.zero_sum(A))


@pytest.mark.parametrize("A", [PENNIES, RPS, np.zeros((3, 2)), np.full((1, 4), 7.0),
                               np.array([[1.0, 2.0], [1.0, 2.0]]), np.array([[3.0, 1.0], [2.0, 0.0]])])
def test_zero_sum_degenerate(A):
    check_zero_sum(A, eq.zero_sum(A))


def test_zero_sum_closed_forms():
    # matching pennies and RPS are fair games with the uniform strategy as unique solution
    for A in (PENNIES, RPS):
        res = eq.zero_sum(A)
        assert abs(res.value) <= 1e-12
        assert np.allclose(res.x, 1 / len(A)) and np.allclose(res.y, 1 / len(A))


def test_zero_sum_value_is_nopython_callable():
    @numba.njit
    def inner(A):
        v, x, y = eq.zero_sum_value(A)
        return v

    A = np.array([[2.0, -1.0], [-1.0, 1.0]])
    assert abs(inner(A) - linprog_zero_sum_value(A)) <= 1e-10


# --------------------------------------------------------------------------- Nash


@settings(max_examples=150, deadline=None)
@given(games())
def test_nash_certificate(U):
    res = eq.nash(U)
    check_nash(U, res)
    assert res.method in ("lemke_howson", "zero_sum_lp")


def support_enumeration(A, B, tol=1e-9):
    """Every Nash equilibrium of a NONDEGENERATE bimatrix game by enumerating pairs of
    equal-size supports and solving the indifference conditions (independent of nashpy,
    whose own enumeration misses equilibria on some nondegenerate games: seed 3, 4x3)."""
    m, n = A.shape
    out = []
    for k in range(1, min(m, n) + 1):
        for I in itertools.combinations(range(m), k):
            for J in itertools.combinations(range(n), k):
                # column player's y on J makes the row player indifferent on I, and vice versa
                M = np.zeros((k + 1, k + 1))
                M[:k, :k], M[:k, k], M[k, :k] = A[np.ix_(I, J)], -1.0, 1.0
                N = np.zeros((k + 1, k + 1))
                N[:k, :k], N[:k, k], N[k, :k] = B[np.ix_(I, J)].T, -1.0, 1.0
                rhs = np.r_[np.zeros(k), 1.0]
                try:
                    yJ, xI = np.linalg.solve(M, rhs), np.linalg.solve(N, rhs)
                except np.linalg.LinAlgError:
                    continue
                x, y = np.zeros(m), np.zeros(n)
                x[list(I)], y[list(J)] = xI[:k], yJ[:k]
                if x.min() < -tol or y.min() < -tol:
                    continue
                if (A @ y).max() <= yJ[k] + tol and (x @ B).max() <= xI[k] + tol:
                    out.append((x, y))
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_nash_is_a_support_enumeration_equilibrium(m, n, seed):
    # Gaussian payoffs are nondegenerate with probability one, so support enumeration
    # lists every equilibrium (hypothesis-shrunk floats would be degenerate: draw a seed)
    U = np.random.default_rng(seed).normal(size=(m, n, 2))
    res = eq.nash(U)
    check_nash(U, res)
    x, y = res.strategies
    found = support_enumeration(U[..., 0], U[..., 1])
    assert len(found) % 2 == 1  # nondegenerate games have an odd number of equilibria
    assert any(np.allclose(x, a, atol=1e-7) and np.allclose(y, b, atol=1e-7) for a, b in found)
    from_nashpy = nashpy_equilibria(U[..., 0], U[..., 1])
    for a, b in from_nashpy:  # whatever nashpy finds, our enumeration finds too
        assert any(np.allclose(a, c, atol=1e-7) and np.allclose(b, d, atol=1e-7) for c, d in found)


@pytest.mark.parametrize("name", sorted(CLASSIC))
def test_nash_classic_games(name):
    U = CLASSIC[name]
    check_nash(U, eq.nash(U))


def test_nash_selects_max_welfare_in_coordination_games():
    # stag hunt: (stag, stag) is the payoff-dominant equilibrium
    # (Lemke-Howson reaches (hare, hare) from some labels, so the rule is exercised);
    # reversing the action order must not change the selected profile
    res = eq.nash(CLASSIC["stag_hunt"])
    assert np.array_equal(res.policy, [[1.0, 0.0], [0.0, 0.0]])
    res = eq.nash(CLASSIC["stag_hunt"][::-1, ::-1])
    assert np.array_equal(res.policy, [[0.0, 0.0], [0.0, 1.0]])
    # identical payoffs eye(3): every diagonal pure profile has welfare 2; the first
    # label (row action 0) path ends at (0, 0)
    res = eq.nash(CLASSIC["coordination"])
    assert res.values.sum() == pytest.approx(2.0)
    # prisoner's dilemma: unique equilibrium (defect, defect)
    res = eq.nash(CLASSIC["prisoners_dilemma"])
    assert np.array_equal(res.policy, [[0.0, 0.0], [0.0, 1.0]])


def test_nash_three_players_points_to_correlated():
    with pytest.raises(ValueError, match="ce.*cce"):
        eq.nash(np.zeros((2, 2, 2, 3)))
    with pytest.raises(ValueError, match="CE or CCE"):
        eq.solve_stage(np.zeros((8, 3)), np.array([2, 2, 2]), eq.NASH, np.empty(8))


# --------------------------------------------------------------------------- CE / CCE


@settings(max_examples=80, deadline=None)
@given(games(min_players=2, max_players=3, max_actions=4), st.sampled_from(["ce", "cce"]))
def test_correlated_certificate_and_welfare(U, kind):
    check_correlated(U, eq.correlated(U, kind=kind), kind)


@pytest.mark.parametrize("name", sorted(CLASSIC) + sorted(CLASSIC_3P))
@pytest.mark.parametrize("kind", ["ce", "cce"])
def test_correlated_classic_games(name, kind):
    U = {**CLASSIC, **CLASSIC_3P}[name]
    check_correlated(U, eq.correlated(U, kind=kind), kind)


def test_cce_of_3x3x3_random_games():
    rng = np.random.default_rng(7)
    for _ in range(5):
        U = rng.uniform(0, 1, size=(3, 3, 3, 3))
        for kind in ("ce", "cce"):
            check_correlated(U, eq.correlated(U, kind=kind), kind)


def test_chicken_ce_beats_nash_welfare():
    # the classic Aumann example: a CE can give more welfare than every Nash equilibrium
    U = _bimatrix([[6, 2], [7, 0]], [[6, 7], [2, 0]])
    ce = eq.correlated(U, kind="ce")
    best_nash = max(a @ U.sum(-1) @ b for a, b in nashpy_equilibria(U[..., 0], U[..., 1]))
    assert ce.welfare > best_nash + 0.1
    check_correlated(U, ce, "ce")


# --------------------------------------------------------------------------- dispatch


@settings(max_examples=40, deadline=None)
@given(games(min_players=1, max_players=3, max_actions=4))
def test_solve_stage_equals_public_functions_and_reports_the_gap(U):
    n_actions = np.array(U.shape[:-1], dtype=np.int64)
    Q = U.reshape(-1, len(n_actions))
    kinds = ["ce", "cce"] + (["nash"] if len(n_actions) <= 2 else [])
    for kind in kinds:
        out = np.empty(Q.shape[0])
        gap = eq.solve_stage(Q, n_actions, eq.KIND_CODES[kind], out)
        pol = eq.stage_equilibrium(U, kind)
        assert np.array_equal(out.reshape(U.shape[:-1]), pol)
        reference = {"nash": eq.nash_gap, "ce": eq.ce_gap, "cce": eq.cce_gap}[kind](U, pol)
        assert abs(gap - reference) <= 1e-12 * max(1.0, np.abs(U).max())
        assert gap <= 1e-9 * max(1.0, np.abs(U).max())


@pytest.mark.parametrize("kind", ["nash", "ce", "cce"])
def test_single_agent_gives_best_action_lowest_index(kind):
    U = np.array([[1.0], [4.0], [2.0], [4.0]])
    pol = eq.stage_equilibrium(U, kind)
    assert np.array_equal(pol, [0.0, 1.0, 0.0, 0.0])


def test_solve_stage_callable_from_nopython_code():
    @numba.njit
    def sweep(Qs, n_actions, kind, out):
        total = 0.0
        for s in range(Qs.shape[0]):
            total += eq.solve_stage(Qs[s], n_actions, kind, out[s])
        return total

    rng = np.random.default_rng(3)
    n_actions = np.array([3, 2], dtype=np.int64)
    Qs = rng.normal(size=(4, 6, 2))
    for kind in (eq.NASH, eq.CE, eq.CCE):
        out = np.empty((4, 6))
        assert sweep(Qs, n_actions, kind, out) <= 1e-9
        for s in range(4):
            expected = np.empty(6)
            eq.solve_stage(Qs[s], n_actions, kind, expected)
            assert np.array_equal(out[s], expected)


@pytest.mark.parametrize("kind", ["nash", "ce", "cce"])
def test_determinism(kind):
    rng = np.random.default_rng(11)
    for shape in [(4, 5, 2), (3, 3, 2), (2, 3, 2, 3)]:
        if kind == "nash" and len(shape) > 3:
            continue
        U = rng.integers(0, 3, size=shape).astype(float)  # many ties
        first = eq.stage_equilibrium(U, kind)
        second = eq.stage_equilibrium(U.copy(), kind)
        assert np.array_equal(first, second)
    A = rng.integers(0, 2, size=(4, 4)).astype(float)
    r1, r2 = eq.zero_sum(A), eq.zero_sum(A.copy())
    assert r1.value == r2.value and np.array_equal(r1.x, r2.x) and np.array_equal(r1.y, r2.y)


# --------------------------------------------------------------------------- errors


def test_invalid_inputs_name_the_argument():
    with pytest.raises(ValueError, match="A must have 2 dimensions"):
        eq.zero_sum(np.zeros(3))
    with pytest.raises(ValueError, match="A has a non-finite"):
        eq.zero_sum([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="A must have at least one row"):
        eq.zero_sum(np.zeros((0, 2)))
    with pytest.raises(TypeError, match="A must be an array"):
        eq.zero_sum("abc")
    with pytest.raises(ValueError, match="payoffs must have shape"):
        eq.nash(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="payoffs must have at least 2"):
        eq.correlated(np.zeros(3))
    with pytest.raises(ValueError, match="payoffs has a non-finite"):
        eq.correlated(np.full((2, 2, 2), np.inf))
    with pytest.raises(ValueError, match="payoffs must give every player"):
        eq.correlated(np.zeros((0, 2, 2)))
    with pytest.raises(ValueError, match="unknown kind"):
        eq.correlated(np.zeros((2, 2, 2)), kind="nash")
    with pytest.raises(ValueError, match="unknown kind"):
        eq.stage_equilibrium(np.zeros((2, 2, 2)), kind="qre")
    with pytest.raises(ValueError, match="prod"):
        eq.solve_stage(np.zeros((5, 2)), np.array([2, 2]), eq.CE, np.empty(5))
    with pytest.raises(ValueError, match="out"):
        eq.solve_stage(np.zeros((4, 2)), np.array([2, 2]), eq.CE, np.empty(3))
    with pytest.raises(ValueError, match="kind_code"):
        eq.solve_stage(np.zeros((4, 2)), np.array([2, 2]), 7, np.empty(4))
