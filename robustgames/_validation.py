"""Input checks shared by every public entry point.

Public functions convert and check (this module), private kernels only loop. Every error
names the argument and says what is wrong, with the first offending index where there
is one.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numba import prange

from ._jit import kernel, parallel_kernel

ROW_SUM_TOL = 1e-8


@kernel
def scan_row(A, r, tol):
    """Check row ``r`` of ``A`` (R, S) in one pass: ``(code, column)`` of the first problem,
    code 0 none, 1 non-finite, 2 negative (at ``column``), 3 row sum off 1 by more than
    ``tol`` (column -1). The sum is accumulated in index order."""
    S = A.shape[1]
    total = 0.0
    for j in range(S):
        x = A[r, j]
        if not math.isfinite(x):
            return 1, j
        if x < 0.0:
            return 2, j
        total += x
    if abs(total - 1.0) > tol:
        return 3, -1
    return 0, -1


#: unit roundoff bound used by :func:`row_ok` (``2 u``, ``u = 2^-53``)
_EPS = 2.220446049250313e-16


@kernel
def row_ok(A, r, tol):
    """Whether :func:`scan_row` accepts row ``r`` of ``A`` (code 0), in a loop without
    branches whose sums pipeline (four partial sums).

    A non-finite entry makes the sum non-finite and a negative one the minimum negative,
    so both are rejected here as there. With finite non-negative entries, any two
    summation orders differ by at most ``2 gamma_{S-1} sum`` (``gamma_k = k u / (1 - k u)``,
    Higham, *Accuracy and Stability of Numerical Algorithms*, section 4.2), which the
    margin ``2 S eps total`` bounds with room to spare: outside ``tol +- margin`` the
    four-way sum decides as :func:`scan_row`'s sum in index order would, and inside that
    band the row is summed again in index order.
    """
    S = A.shape[1]
    t0 = t1 = t2 = t3 = 0.0
    l0 = l1 = l2 = l3 = 0.0
    m = S - S % 4
    for j in range(0, m, 4):
        x0 = A[r, j]
        x1 = A[r, j + 1]
        x2 = A[r, j + 2]
        x3 = A[r, j + 3]
        t0 += x0
        t1 += x1
        t2 += x2
        t3 += x3
        l0 = min(l0, x0)
        l1 = min(l1, x1)
        l2 = min(l2, x2)
        l3 = min(l3, x3)
    for j in range(m, S):
        x = A[r, j]
        t0 += x
        l0 = min(l0, x)
    total = (t0 + t1) + (t2 + t3)
    if not (math.isfinite(total) and min(min(l0, l1), min(l2, l3)) >= 0.0):
        return False
    err = abs(total - 1.0)
    margin = 2.0 * S * _EPS * total
    if err <= tol - margin:
        return True
    if err > tol + margin:
        return False
    seq = 0.0  # the band: decide on scan_row's own sum
    for j in range(S):
        seq += A[r, j]
    return abs(seq - 1.0) <= tol


@kernel
def dot_scan_row(A, r, v, tol):
    """``(A[r] . v, code)`` in ONE pass over row ``r``: the dot product accumulated in index
    order (as the kernels' streaming passes) and the code of :func:`scan_row` (decided as in
    :func:`row_ok`; the row is rescanned by :func:`scan_row` only if it is rejected; the dot
    is NaN unless the code is 0). The public path of the closed-form sets validates each
    row in the pass that computes its dot product."""
    total = 0.0
    dot = 0.0
    lo = 0.0
    for j in range(A.shape[1]):
        x = A[r, j]
        total += x
        dot += x * v[j]
        lo = min(lo, x)
    if math.isfinite(total) and lo >= 0.0 and abs(total - 1.0) <= tol:
        return dot, 0
    code, _ = scan_row(A, r, tol)
    return np.nan, code


@kernel
def _scan_distributions(A, tol):
    """One pass over the rows of ``A`` (R, S): the first problem found as
    ``(code, row, column)``; code 0 none, 1 non-finite, 2 negative, 3 bad row sum."""
    for r in range(A.shape[0]):
        code, j = scan_row(A, r, tol)
        if code != 0:
            return code, r, j
    return 0, -1, -1


@parallel_kernel
def first_bad_row(A, tol):
    """The first row of ``A`` (R, S) that :func:`scan_row` rejects, ``R`` if none (rows
    scanned on threads for large ``A``)."""
    R = A.shape[0]
    first = R
    for r in prange(R):
        if not row_ok(A, r, tol):
            first = min(first, r)
    return first


def as_float_array(x, name: str, *, ndim: int | None = None, min_ndim: int | None = None,
                   finite: bool = True) -> np.ndarray:
    """``x`` as a C-contiguous float64 array, with checked dimensions and (unless
    ``finite=False``, for callers that check distributions next) finite entries."""
    try:
        arr = np.ascontiguousarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers ({exc})") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {arr.shape}")
    if finite:
        check_finite(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise if ``arr`` holds NaN or infinite entries, naming the first one."""
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} has a non-finite entry {arr[idx]!r} at index {idx}")


def check_distributions(arr: np.ndarray, name: str, *, tol: float = ROW_SUM_TOL) -> None:
    """Raise unless every row along the last axis is a probability distribution.

    Entries must be finite and non-negative and each row must sum to 1 within ``tol``;
    the message names the first offending index. float64 arrays are scanned in one
    compiled pass, on threads for large arrays (the error, if any, is then described by
    the numpy path below, which names the first offending index).
    """
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(f"{name} must have a non-empty last axis, got shape {arr.shape}")
    if arr.dtype == np.float64 and arr.flags.c_contiguous:
        flat = arr.reshape(-1, arr.shape[-1])
        if first_bad_row(flat, float(tol)) == flat.shape[0]:
            return
    check_finite(arr, name)
    neg = arr < 0
    if neg.any():
        idx = tuple(int(i) for i in np.argwhere(neg)[0])
        raise ValueError(f"{name} has a negative entry {arr[idx]!r} at index {idx}")
    sums = arr.sum(axis=-1)
    off = np.abs(sums - 1.0) > tol
    if off.any():
        idx = tuple(int(i) for i in np.argwhere(off)[0])
        raise ValueError(
            f"{name} rows must sum to 1 within {tol:g}; the row at index {idx} sums to {sums[idx]!r}"
        )


def check_radius(radius, name: str = "radius", *, upper: float | None = None) -> float:
    """A real, finite, non-negative radius (at most ``upper`` when given)."""
    if isinstance(radius, bool) or not isinstance(radius, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(radius).__name__}")
    r = float(radius)
    if not np.isfinite(r):
        raise ValueError(f"{name} must be finite, got {r}")
    if r < 0:
        raise ValueError(f"{name} must be non-negative, got {r}")
    if upper is not None and r > upper:
        raise ValueError(f"{name} must be at most {upper}, got {r}")
    return r


def check_positive_int(value, name: str, *, minimum: int = 1) -> int:
    """An integer at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_tolerance(value, name: str = "tol") -> float:
    """A real, finite, strictly positive tolerance."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    t = float(value)
    if not (np.isfinite(t) and t > 0):
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return t


def check_choice(value, name: str, choices) -> str:
    """``value`` must be one of ``choices`` (strings)."""
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(map(repr, choices))}")
    return value


def check_real(value, name: str, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False) -> float:
    """A finite real number (not a bool) in the interval given by ``low``/``high``
    (closed ends unless ``low_open``/``high_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise TypeError(f"{name} must be a finite real number, got {value!r}")
    x = float(value)
    if low is not None and (x < low or (low_open and x == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {x}")
    if high is not None and (x > high or (high_open and x == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {x}")
    return x


def check_in_range(arr, name: str, low: float, high: float, *, why: str = "") -> None:
    """Raise unless every entry of ``arr`` lies in ``[low, high]``; the message gives the
    range found, the first offending index and ``why`` (the reason the range is needed)."""
    a = np.asarray(arr)
    bad = (a < low) | (a > high)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        reason = f" ({why})" if why else ""
        raise ValueError(
            f"{name} must lie in [{low:g}, {high:g}]{reason}; found values in "
            f"[{float(a.min()):.6g}, {float(a.max()):.6g}], first outside at index {idx}: {float(a[idx]):.6g}"
        )


def as_instance_or_list(value, name: str, cls, what: str):
    """``value`` if it is a ``cls``, else a non-empty list of ``cls`` (each checked; the
    message names the first wrong index). ``what`` describes one item in messages, e.g.
    ``"an uncertainty set (rg.TV, rg.KL, ...)"``."""
    if isinstance(value, cls):
        return value
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"{name} must be {what} or a list of them, got {type(value).__name__}") from None
    if not items:
        raise ValueError(f"{name} must be {what} or a non-empty list of them, got an empty list")
    for i, item in enumerate(items):
        if not isinstance(item, cls):
            raise TypeError(f"{name}[{i}] must be {what}, got {type(item).__name__}")
    return items
