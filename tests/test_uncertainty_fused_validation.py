"""The public ``worst_value`` validates each row of ``p0`` inside the set's kernel (issue 12,
"validation fused into the kernels"): bad rows anywhere in a batch are still rejected with
the message of :func:`robustgames._validation.check_distributions` naming the first
offending index, and accepted inputs give bitwise the values of the unvalidated hook.

Batches of both sizes are used: below and above ``PARALLEL_MIN_SIZE`` (threaded kernels).
Expected messages are written from the planted index, not read from the code.
"""

from __future__ import annotations

import re

import numba
import numpy as np
import pytest

from robustgames._jit import PARALLEL_MIN_SIZE
from robustgames._validation import ROW_SUM_TOL, dot_scan_row, first_bad_row, row_ok, scan_row
from robustgames.uncertainty import KL, TV, ChiSquare, Contamination, Group, RowSet

S = 300
A = 4
#: (rows per action block, label): a serial batch and one above the threshold of the threaded kernels
BATCHES = [(5, "small"), (PARALLEL_MIN_SIZE // (A * S) + 3, "large")]


@numba.njit
def _mean_row(p0, v, params):
    """A user set (support function of a contamination set, by hand)."""
    dot = 0.0
    for s in range(p0.shape[0]):
        dot += p0[s] * v[s]
    return (1.0 - params[0]) * dot + params[0] * v.min()


def _sets():
    rng = np.random.default_rng(3)
    D = rng.random((3, S))
    D /= D.sum(axis=1, keepdims=True)
    return {"TV": TV(0.1), "KL": KL(0.1), "ChiSquare": ChiSquare(0.1),
            "Contamination": Contamination(0.1), "Group": Group(D),
            "RowSet": RowSet(_mean_row, [0.1])}


SETS = _sets()


def _batch(n):
    rng = np.random.default_rng(n)
    P = rng.random((n, A, S))
    P /= P.sum(axis=-1, keepdims=True)
    return P, rng.random(S)


@pytest.mark.parametrize("name", list(SETS))
@pytest.mark.parametrize("n", [b[0] for b in BATCHES], ids=[b[1] for b in BATCHES])
def test_public_values_equal_the_hook_bitwise(name, n):
    U = SETS[name]
    P, v = _batch(n)
    out = np.empty(n * A)
    U._values(P.reshape(-1, S), v, out)
    got = U.worst_value(P, v)
    assert got.shape == (n, A)
    assert np.array_equal(got.reshape(-1), out)


def _plant(P, kind, idx):
    """Make row ``idx[:2]`` of ``P`` bad at column ``idx[2]``; returns the expected message."""
    i, a, j = idx
    if kind == "nan":
        P[i, a, j] = np.nan
        return r"p0 has a non-finite entry (np\.float64\()?nan\)? at index " + re.escape(str(idx))
    if kind == "inf":
        P[i, a, j] = np.inf
        return r"p0 has a non-finite entry (np\.float64\()?inf\)? at index " + re.escape(str(idx))
    if kind == "negative":  # the row still sums to 1
        P[i, a, j] -= 0.5
        P[i, a, (j + 1) % S] += 0.5
        return re.escape(f"p0 has a negative entry {P[i, a, j]!r} at index {idx}")
    P[i, a, j] += 1e-6  # sum off by 1e-6 > 1e-8
    return re.escape(f"p0 rows must sum to 1 within 1e-08; the row at index {(i, a)} sums to ")


@pytest.mark.parametrize("name", list(SETS))
@pytest.mark.parametrize("kind", ["nan", "inf", "negative", "sum"])
@pytest.mark.parametrize("n", [b[0] for b in BATCHES], ids=[b[1] for b in BATCHES])
def test_bad_row_in_the_middle_is_named(name, kind, n):
    U = SETS[name]
    P, v = _batch(n)
    first = (n // 2, 2, S // 3)
    if kind == "negative":
        P[first[0], first[1], first[2]] = 0.6  # large enough for the -0.5 below to stay negative
        P[first[0], first[1]] /= P[first[0], first[1]].sum()
    expected = _plant(P, kind, first)
    # a second bad row further on must not be the one reported
    later = (n - 1, 3, 7)
    if kind == "negative":
        P[later[0], later[1], later[2]] = 0.6
        P[later[0], later[1]] /= P[later[0], later[1]].sum()
    _plant(P, kind, later)
    with pytest.raises(ValueError, match=expected):
        U.worst_value(P, v)


@pytest.mark.parametrize("name", list(SETS))
def test_non_finite_is_reported_before_an_earlier_bad_sum(name):
    """As before fusion: a non-finite entry anywhere is named before other problems."""
    n = BATCHES[1][0]
    P, v = _batch(n)
    P[1, 0, 0] += 0.1
    P[n - 2, 1, 5] = np.nan
    with pytest.raises(ValueError, match=r"non-finite entry (np\.float64\()?nan\)? at index "
                       + re.escape(str((n - 2, 1, 5)))):
        SETS[name].worst_value(P, v)


def _edge_rows(S, rng):
    rows = []
    base = rng.random(S)
    base /= base.sum()
    rows.append(base)
    for bad in (np.nan, np.inf, -np.inf, -1e-300, -0.0, 1e308):
        r = base.copy()
        r[S // 2] = bad
        rows.append(r)
    for off in (0.5, 0.9, 0.999999, 1.0, 1.000001, 1.1, 2.0, -0.999999, -1.0, -1.000001):
        r = base.copy()
        r[0] += off * ROW_SUM_TOL
        rows.append(r)
    if S >= 2:
        r = base.copy()
        r[0], r[-1] = np.inf, -np.inf
        rows.append(r)
    rows.append(np.full(S, 1e308))
    for _ in range(300):
        r = rng.random(S)
        r /= r.sum()
        k = rng.integers(0, 5)
        if k == 1:
            r[rng.integers(S)] *= -1
        elif k == 2:
            r[rng.integers(S)] += rng.choice([1e-9, 2e-8, -2e-8, -1e-9])
        elif k == 3:
            r[rng.integers(S)] = rng.choice([np.nan, np.inf, -np.inf])
        elif k == 4:  # a sum within a few ulps of 1 +- tol
            r[0] += rng.choice([1.0, -1.0]) * ROW_SUM_TOL + rng.integers(-4, 5) * 2.0 ** -52
        rows.append(r)
    return np.ascontiguousarray(rows)


@pytest.mark.parametrize("S", [1, 3, 7, 8, 1001])
def test_row_checks_agree_with_the_plain_scan(S):
    """``row_ok`` and ``dot_scan_row`` decide every row as the element-by-element
    ``scan_row`` (the reference: one sum in index order), on rows built to sit at the
    edges: non-finite entries, -0.0, tiny negatives, sums just inside, at and just outside
    the tolerance, overflow; widths with and without a tail after the four-way loop."""
    rng = np.random.default_rng(11 + S)
    M = _edge_rows(S, rng)
    v = rng.random(S)
    codes = [scan_row(M, i, ROW_SUM_TOL)[0] for i in range(M.shape[0])]
    assert {0, 1, 2, 3} <= set(codes)
    for i, code in enumerate(codes):
        assert row_ok(M, i, ROW_SUM_TOL) == (code == 0), i
        dot, c = dot_scan_row(M, i, v, ROW_SUM_TOL)
        assert c == code, i
        if code == 0:
            acc = 0.0
            for s in range(S):
                acc += M[i, s] * v[s]
            assert dot == acc  # index order, bitwise
    bad = [i for i, c in enumerate(codes) if c != 0]
    assert first_bad_row(M, ROW_SUM_TOL) == bad[0]
    assert first_bad_row(M[:bad[0]], ROW_SUM_TOL) == bad[0]  # none: returns the row count
