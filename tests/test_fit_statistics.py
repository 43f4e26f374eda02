"""The slope fits and confidence bands behind the regret figures, against independent references.

``paper_figures/regret.py`` documents: for every seed (row), least squares of
``log Regret(k)`` on ``log k`` over the checkpoints with ``k >= start * K`` (``K`` the
last checkpoint, default ``start = 1/2``); rows with a non-positive value in that window
are left out; the reported slope is the mean over rows with the Student-t interval
``mean +- t_{(1+level)/2, n-1} s / sqrt(n)`` (``s`` the sample standard deviation,
``ddof = 1``), collapsing to the mean for one row. ``mean_band`` is the same t-interval of
the mean, pointwise over rows.

References here: the closed-form OLS slope ``cov(x, y) / var(x)`` (and numpy.polyfit),
``scipy.stats.t.ppf`` and, for two degrees of freedom, the closed form of the t quantile
(the t_2 CDF is ``1/2 + t / (2 sqrt(t^2 + 2))``, so ``t_{0.975, 2} = 0.95 sqrt(2 / (1 - 0.95^2))
= 4.3027``).
With n = 3 seeds the t quantile is 4.30, more than twice the normal 1.96, so a band built
with the normal quantile fails these tests.
"""

import math

import numpy as np
import pytest
from scipy import stats

from robustgames.paper_figures.regret import fit_slope, mean_band

T_975_DF2 = 0.95 * math.sqrt(2.0 / (1.0 - 0.95**2))  # Student t_2 97.5% quantile, closed form


def _ols_slope(x, y):
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc * xc).sum())


def _t_interval(values, level=0.95):
    v = np.asarray(values, float)
    n = len(v)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / math.sqrt(n)
    return v.mean(), v.mean() - half, v.mean() + half


def _regret_rows(k, n_rows, seed):
    """Noisy power laws c k^alpha with row-specific exponents (all positive)."""
    rng = np.random.default_rng(seed)
    alphas = 0.5 + 0.1 * rng.standard_normal(n_rows)
    noise = np.exp(0.05 * rng.standard_normal((n_rows, len(k))))
    return alphas, (2.0 + rng.random((n_rows, 1))) * k[None, :] ** alphas[:, None] * noise


def test_table_quantile():
    assert stats.t.ppf(0.975, 2) == pytest.approx(T_975_DF2, rel=1e-12)


def test_exact_power_laws_give_their_exponents():
    k = np.array([10, 20, 50, 100, 200, 500, 1000], dtype=float)
    alphas = np.array([0.5, 0.7, 1.0])
    Y = np.array([3.0, 0.2, 7.0])[:, None] * k[None, :] ** alphas[:, None]
    f = fit_slope(k, Y)
    m, lo, hi = _t_interval(alphas)
    assert f["n"] == 3
    assert f["slope"] == pytest.approx(m, abs=1e-12)
    assert f["low"] == pytest.approx(lo, abs=1e-10)
    assert f["high"] == pytest.approx(hi, abs=1e-10)


@pytest.mark.parametrize("n_rows", [2, 3, 5, 12])
def test_slope_and_t_interval_against_independent_reference(n_rows):
    k = np.unique(np.geomspace(1, 4000, 30).round())
    _, Y = _regret_rows(k, n_rows, seed=n_rows)
    window = k >= 0.5 * k[-1]
    slopes = [_ols_slope(np.log(k[window]), np.log(y[window])) for y in Y]
    for y, s in zip(Y, slopes):  # numpy.polyfit on the same log-log data agrees
        assert np.polyfit(np.log(k[window]), np.log(y[window]), 1)[0] == pytest.approx(s, abs=1e-10)
    m = float(np.mean(slopes))
    half = stats.t.ppf(0.975, n_rows - 1) * np.std(slopes, ddof=1) / math.sqrt(n_rows)
    f = fit_slope(k, Y)
    assert f["n"] == n_rows
    assert f["slope"] == pytest.approx(m, abs=1e-12)
    assert f["low"] == pytest.approx(m - half, abs=1e-12)
    assert f["high"] == pytest.approx(m + half, abs=1e-12)


def test_three_seeds_use_the_t_quantile_not_the_normal_one():
    k = np.array([100, 200, 300, 400], dtype=float)
    alphas = np.array([0.4, 0.5, 0.75])
    Y = k[None, :] ** alphas[:, None]
    f = fit_slope(k, Y)
    s = np.std(alphas, ddof=1)
    half = (f["high"] - f["low"]) / 2
    assert half == pytest.approx(T_975_DF2 * s / math.sqrt(3), rel=1e-9)
    assert abs(half - 1.959963984540054 * s / math.sqrt(3)) > 0.1  # the normal-quantile mistake
    m, lo, hi = mean_band(Y)
    sd = Y.std(axis=0, ddof=1)
    np.testing.assert_allclose(m, Y.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(hi - m, T_975_DF2 * sd / math.sqrt(3), rtol=1e-9)
    np.testing.assert_allclose(m - lo, T_975_DF2 * sd / math.sqrt(3), rtol=1e-9)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_level_sets_the_quantile(level):
    k = np.arange(1, 41, dtype=float)
    alphas, Y = _regret_rows(k, 6, seed=1)
    window = k >= 0.5 * k[-1]
    slopes = [_ols_slope(np.log(k[window]), np.log(y[window])) for y in Y]
    _, lo, hi = _t_interval(slopes, level)
    f = fit_slope(k, Y, level=level)
    assert (f["low"], f["high"]) == pytest.approx((lo, hi), abs=1e-12)
    m, blo, bhi = mean_band(Y, level=level)
    q = stats.t.ppf((1 + level) / 2, 5)
    np.testing.assert_allclose(bhi - m, q * Y.std(axis=0, ddof=1) / math.sqrt(6), rtol=1e-9)
    np.testing.assert_allclose(m - blo, q * Y.std(axis=0, ddof=1) / math.sqrt(6), rtol=1e-9)


def test_fit_window_is_k_at_least_start_times_last_k():
    """A broken power law: slope 1 below k = 500, slope 0.5 from k = 500 on. The default
    window k >= K/2 = 500 (boundary included) sees only the second part; start=0 fits all."""
    k = np.array([10, 50, 100, 250, 499, 500, 600, 800, 1000], dtype=float)
    y = np.where(k < 500, k, np.sqrt(500.0 * k))
    f = fit_slope(k, y[None, :])
    assert f["n"] == 1 and f["slope"] == pytest.approx(0.5, abs=1e-12)
    assert f["low"] == f["high"] == f["slope"]  # one row: no interval
    whole = fit_slope(k, y[None, :], start=0.0)
    assert whole["slope"] == pytest.approx(_ols_slope(np.log(k), np.log(y)), abs=1e-12)
    # window exactly {500, ..., 1000} at the boundary: 500 belongs to it
    ref = _ols_slope(np.log(k[k >= 500]), np.log(y[k >= 500]))
    y2 = y.copy()
    y2[5] *= 3.0  # move the boundary point k = 500: the fit must change
    assert fit_slope(k, y2[None, :])["slope"] != pytest.approx(ref, abs=1e-6)
    assert fit_slope(k, y[None, :], start=0.8)["slope"] == pytest.approx(0.5, abs=1e-12)


def test_rows_with_nonpositive_values_in_the_window_are_left_out():
    k = np.array([1, 2, 4, 8, 16, 32], dtype=float)
    good = np.vstack([k ** 0.5, 2 * k ** 0.6, k ** 0.8])
    zero_in_window = k ** 0.9
    zero_in_window[-1] = 0.0
    zero_before_window = 3 * k ** 0.7
    zero_before_window[0] = 0.0  # outside k >= 16: kept
    Y = np.vstack([good, zero_in_window, zero_before_window])
    f = fit_slope(k, Y)
    m, lo, hi = _t_interval([0.5, 0.6, 0.8, 0.7])
    assert f["n"] == 4
    assert (f["slope"], f["low"], f["high"]) == pytest.approx((m, lo, hi), abs=1e-12)
    empty = fit_slope(k, np.zeros((3, len(k))))
    assert empty["n"] == 0 and all(math.isnan(empty[key]) for key in ("slope", "low", "high"))


def test_mean_band_single_row_collapses_and_matches_reference():
    rng = np.random.default_rng(3)
    Y = rng.random((1, 7))
    m, lo, hi = mean_band(Y)
    np.testing.assert_array_equal(m, Y[0])
    np.testing.assert_array_equal(lo, Y[0])
    np.testing.assert_array_equal(hi, Y[0])
    Y = rng.random((10, 7))
    m, lo, hi = mean_band(Y)
    for j in range(7):
        ref = stats.t.interval(0.95, 9, loc=Y[:, j].mean(), scale=stats.sem(Y[:, j]))
        assert (lo[j], hi[j]) == pytest.approx(ref, abs=1e-12)
