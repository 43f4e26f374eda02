"""The fast paths of the KL and chi-square kernels: the branch-free ``exp``, the KL row
solver's paths (rows with and without zeros, values-only stopping with the second-order
correction, Halley steps, warm starts, rescaled rows) and the chi-square early-exit walk,
each against a slower exact counterpart."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

import robustgames as rg
from robustgames.uncertainty import reference as ref
from robustgames.uncertainty._chi_square import (
    _chi2_row,
    _chi2_row_all_pieces,
    _flush_level,
    _unit,
    ascending_order,
)
from robustgames.uncertainty._fastexp import exp as fast_exp
from robustgames.uncertainty._kl import _kl_row, _kl_row_from


@numba.njit
def _fast_exp_array(x, out):
    for i in range(x.size):
        out[i] = fast_exp(x[i])


def _ulps(x):
    got = np.empty_like(x)
    _fast_exp_array(x, got)
    want = np.array([math.exp(t) for t in x])
    ulp = np.spacing(np.abs(want))
    ulp[want == 0.0] = 5e-324
    return got, want, np.abs(got - want) / ulp


def test_fast_exp_within_one_ulp():
    rng = np.random.default_rng(0)
    x = np.concatenate([
        -rng.random(200_000) * 746.0,          # the KL kernel's range
        -rng.random(50_000) * 1e-3,            # near 0
        -745.2 + rng.random(50_000) * 40.0,    # subnormal results and the underflow edge
        rng.random(20_000) * 709.0,            # positive arguments
        np.array([0.0, -0.0, -1e-300, -5e-324, 1e-17, -0.5 * math.log(2), 0.5 * math.log(2),
                  -708.3964185322641, -708.4, -745.1332191019411, -745.1332191019412,
                  -745.14, -746.0, -1000.0, -1e300, -math.inf, 709.0, 709.7]),
    ])
    got, want, ulps = _ulps(x)
    assert ulps.max() <= 1.0, x[np.argmax(ulps)]
    assert np.all(got >= 0.0)


def test_fast_exp_exact_points():
    x = np.array([0.0, -math.inf, -800.0, -1e308])
    got, _, _ = _ulps(x)
    assert got[0] == 1.0 and np.all(got[1:] == 0.0)


# ---------------------------------------------------------------------------------------
# KL
# ---------------------------------------------------------------------------------------
def _rows(rng, R, S, support=None):
    if support is None:
        P = rng.standard_exponential((R, S))
    else:
        P = np.zeros((R, S))
        idx = np.argsort(rng.random((R, S)), axis=1)[:, :support]
        np.put_along_axis(P, idx, rng.standard_exponential((R, support)), axis=1)
    return P / P.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("radius", [1e-6, 1e-3, 0.1, 1.0, 3.0])
@pytest.mark.parametrize("support", [None, 5])
def test_kl_values_match_strict_tilt(radius, support):
    """``worst_value`` stops at |KL/radius - 1| <= 1e-5 and adds the dual's remaining gain;
    ``worst_distribution`` solves to 1e-12: both must agree to rounding."""
    rng = np.random.default_rng(1)
    P = _rows(rng, 300, 60, support)
    v = rng.random(60) * 10.0 - 3.0
    U = rg.KL(radius)
    values = U.worst_value(P, v)
    q = U.worst_distribution(P, v)
    assert np.max(np.abs(q @ v - values)) <= 1e-12 * 10.0
    assert np.all(U.divergence(P, q) <= radius * (1 + 1e-9) + 1e-15)


def test_kl_rows_with_and_without_zeros_agree():
    """A row without zeros takes the in-place path, the same row with zero columns the
    compacted path."""
    rng = np.random.default_rng(2)
    P = _rows(rng, 100, 40)
    v = rng.random(40)
    Pz = np.zeros((100, 50))
    Pz[:, :40] = P
    vz = np.concatenate([v, rng.random(10) - 5.0])  # off-support values below the minimum
    for radius in (0.01, 0.5, 2.0):
        a = rg.KL(radius).worst_value(P, v)
        b = rg.KL(radius).worst_value(Pz, vz)
        assert np.max(np.abs(a - b)) <= 1e-14


def test_kl_dense_rows_need_few_passes():
    rng = np.random.default_rng(3)
    P = _rows(rng, 200, 1000)
    v = rng.random(1000)
    for radius, most in ((0.01, 2), (0.1, 2), (1.0, 3)):
        it = rg.KL(radius).iterations(P, v)
        assert it.max() <= most + 1, (radius, np.bincount(it))
        assert np.median(it) <= most, (radius, np.bincount(it))


def test_kl_two_scale_row_halley_does_not_crawl():
    """A Newton step far outside the bracket must bisect, not be shrunk by Halley's factor
    into a crawl (found by hypothesis: 200 passes and a wrong value)."""
    p0 = np.array([0.0, 0.5, 0.0, 1e-9, 0.5])
    p0 /= p0.sum()
    v = np.array([0.0, 1.0, 0.0, 0.0, 1.0])
    U = rg.KL(5.0)
    value = float(U.worst_value(p0, v))
    assert abs(value - ref.kl_dual(p0, v, 5.0)) <= 1e-8
    assert abs(float(U.worst_value(p0, 3.0 * v)) - 3.0 * value) <= 1e-12
    assert U.iterations(p0, v) <= 20


@pytest.mark.parametrize("scale", [1e-300, 1e-291, 1e-150, 1e150, 1e300])
def test_kl_rows_at_extreme_scales(scale):
    """Values spread over 1e-291 (squares underflow) or 1e300 (they overflow) are solved in
    units of the row's spread."""
    p0 = np.array([1 / 3, 1 / 3, 1 / 3])
    v = np.array([0.0, 0.0, 0.981503547]) * scale
    for radius in (1e-8, 0.1, 1.0):
        U = rg.KL(radius)
        value = float(U.worst_value(p0, v))
        expected = scale * ref.kl_dual(p0, v / scale, radius)
        assert abs(value - expected) <= 1e-8 * scale
        q = U.worst_distribution(p0, v)
        assert np.all(np.isfinite(q)) and abs(q.sum() - 1.0) <= 1e-12


def test_kl_row_signature_and_warm_start():
    rng = np.random.default_rng(4)
    P = _rows(rng, 20, 30, 12)
    v = rng.random(30)
    for r in range(P.shape[0]):
        value, kind, beta, shift, it = _kl_row(P, r, v, 0.3)
        assert abs(value - float(rg.KL(0.3).worst_value(P[r], v))) <= 1e-13
        assert kind == 2 and beta > 0.0 and it >= 1
        # warm start from the solution: converges at once to the same value
        v2, k2, b2, s2, it2 = _kl_row_from(P, r, v, 0.3, math.log(beta))
        assert abs(v2 - value) <= 1e-13 and it2 <= 2
        # from bad starts: the safeguards still find it
        for t0 in (-50.0, 50.0, math.nan):
            v3, _, _, _, _ = _kl_row_from(P, r, v, 0.3, t0)
            assert abs(v3 - value) <= 1e-12


def test_kl_parallel_batch_matches_rows():
    """A batch big enough for the parallel kernels (>= 2^20 entries) equals row-by-row."""
    rng = np.random.default_rng(5)
    P = _rows(rng, 1100, 1000)
    P[::7, ::3] = 0.0
    P /= P.sum(axis=1, keepdims=True)
    v = rng.random(1000)
    U = rg.KL(0.2)
    batch = U.worst_value(P, v)
    rows = np.array([float(U.worst_value(P[r], v)) for r in range(0, 1100, 97)])
    np.testing.assert_array_equal(batch[::97], rows)


# ---------------------------------------------------------------------------------------
# chi-square
# ---------------------------------------------------------------------------------------
def _chi2_both(P, v, radius):
    order = ascending_order(v)
    vs = v[order]
    scale = _unit(vs)
    flush = _flush_level(vs, scale)
    fast = np.array([_chi2_row(P, r, vs, order, radius, scale, flush) for r in range(P.shape[0])])
    full = np.array([_chi2_row_all_pieces(P, r, vs, order, radius, scale, flush)
                     for r in range(P.shape[0])])
    return fast, full


@pytest.mark.parametrize("radius", [1e-9, 1e-3, 0.1, 0.5, 1.0, 4.0, 100.0])
@pytest.mark.parametrize("support", [None, 3, 8])
def test_chi2_early_exit_equals_full_walk(radius, support):
    """The walk that stops where the (unimodal) dual turns down equals the walk that
    evaluates every piece, including ties in v and rows with zeros."""
    rng = np.random.default_rng(6)
    P = _rows(rng, 300, 25, support)
    v = np.round(rng.random(25) * 8.0) / 8.0  # many ties
    fast, full = _chi2_both(P, v, radius)
    assert np.max(np.abs(fast[:, 0] - full[:, 0])) <= 1e-14
    v = rng.standard_normal(25) * 1e3 + 1e6
    fast, full = _chi2_both(P, v, radius)
    # a few ulps of |v| ~ 1e6 (the value is u_1 + f in both)
    assert np.max(np.abs(fast[:, 0] - full[:, 0])) <= 4 * np.spacing(1e6) + 1e-13 * np.ptp(v)


@pytest.mark.parametrize("v", [
    [0.0, 0.0, 0.0, 0.0, 1e-292],
    [0.0, 0.0, 0.0, 1e-12, 1e-292],
    [0.0, 1.0, 5e-324],
    [0.0, 1e300, -1e300],
])
@pytest.mark.parametrize("radius", [1e-8, 0.3, 1.0, 3.0])
def test_chi2_rows_at_extreme_scales(v, radius):
    """Squares of the values under- or overflow: the walk runs in units of the spread of v
    and differences below 1e-140 of it count as ties; the worst case stays feasible and
    attains the value (found by hypothesis: an infeasible worst case)."""
    v = np.array(v)
    p0 = np.where(np.arange(v.size) % 3 == 1, 0.0, 1.0)
    p0 = p0 / p0.sum()
    U = rg.ChiSquare(radius)
    value = float(U.worst_value(p0, v))
    q = U.worst_distribution(p0, v)
    spread = float(v.max() - v.min())
    assert (q >= 0.0).all() and abs(q.sum() - 1.0) <= 1e-12
    assert U.contains(p0, q, tol=1e-9)
    assert abs(float(q @ v) - value) <= 1e-9 * spread
    assert v[p0 > 0].min() - 1e-12 * spread <= value <= float(p0 @ v) + 1e-12 * spread
