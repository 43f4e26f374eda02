"""Risk measures of discrete (categorical) distributions (docs/theory.md section 7.3-7.4).

A distribution is given by atoms ``z`` and probabilities ``p`` along the last axis (leading
axes are batch axes). Every measure is a *reward* functional: larger is better, and a
risk-averse measure is at most the mean.

* entropic risk ``rho_tau(Z) = -(1/tau) log E_p exp(-tau Z)`` (Donsker-Varadhan:
  ``= inf_Q {E_Q Z + KL(Q || p)/tau}``), computed as the shifted log-sum-exp
  ``m - (1/tau) log sum_j p_j exp(-tau (z_j - m))`` with ``m = min_{p_j > 0} z_j``, so every
  exponent is ``<= 0`` and nothing overflows; ``tau = 0`` is the mean (the limit, risk
  neutral) and ``tau = inf`` the minimum over the support (the worst case).
* lower-tail CVaR at level ``alpha in (0, 1]``: the mean of the worst ``alpha`` fraction,
  ``(1/alpha) sum_i z_(i) min(p_(i), max(0, alpha - F_{i-1}))`` over atoms sorted
  increasingly (Rockafellar-Uryasev: ``max_c { c - E[(c - Z)_+]/alpha }``).
* mean-variance ``E Z - lam Var Z``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._validation import as_float_array, check_distributions, check_real

__all__ = ["entropic_risk", "cvar", "mean_variance"]


def _distribution(z, p):
    z = as_float_array(z, "z", min_ndim=1)
    p = as_float_array(p, "p", min_ndim=1)
    if z.shape != p.shape:
        raise ValueError(f"z and p must have the same shape (atoms on the last axis), got {z.shape} and {p.shape}")
    check_distributions(p, "p")
    return z, p


def entropic_risk(z, p, tau):
    """Entropic risk ``rho_tau(Z) = -(1/tau) log E_p exp(-tau Z)`` of a categorical ``Z``.

    docs/theory.md section 7.3 (classical; the RQE-MAPPO slides state its limits backwards,
    section 9 item 5): ``rho_tau(Z) -> E Z`` as ``tau -> 0`` and ``-> min_{supp p} Z`` as
    ``tau -> inf``; ``rho_tau`` is non-increasing in ``tau`` and concave in ``Z``.

    Parameters
    ----------
    z : array_like (..., N)
        Atoms (rewards; larger is better).
    p : array_like (..., N)
        Probabilities of the atoms (rows sum to 1).
    tau : float
        Risk aversion, ``tau >= 0``; ``0`` gives the mean, ``np.inf`` the minimum over the
        support.

    Returns
    -------
    float or ndarray (...)
        Computed as ``m - log(sum_j p_j exp(-tau (z_j - m))) / tau`` with ``m`` the smallest
        atom of positive probability (shifted log-sum-exp: no overflow for any ``tau``).
    """
    z, p = _distribution(z, p)
    if isinstance(tau, bool) or not isinstance(tau, numbers.Real) or math.isnan(float(tau)):
        raise TypeError(f"tau must be a real number, got {tau!r}")
    tau = float(tau)
    if tau < 0:
        raise ValueError(f"tau must be >= 0 (risk aversion), got {tau}")
    support = p > 0
    m = np.where(support, z, np.inf).min(axis=-1)
    if tau == 0.0:
        out = (p * z).sum(axis=-1)
    elif math.isinf(tau):
        out = m
    else:
        shifted = np.where(support, -tau * (z - m[..., None]), -np.inf)
        out = m - np.log((p * np.exp(shifted)).sum(axis=-1)) / tau
    return float(out) if np.ndim(out) == 0 else out


def cvar(z, p, alpha):
    """Lower-tail conditional value at risk: the mean of the worst ``alpha`` fraction.

    docs/theory.md section 7.4: with atoms sorted increasingly ``z_(1) <= ... <= z_(N)``,
    probabilities ``p_(i)`` and cumulative ``F_i`` (``F_0 = 0``),
    ``CVaR_alpha = (1/alpha) sum_i z_(i) min(p_(i), max(0, alpha - F_{i-1}))``; it equals
    the Rockafellar-Uryasev programme ``max_c { c - E[(c - Z)_+] / alpha }``. ``alpha = 1``
    gives the mean; ``alpha -> 0`` the minimum over the support.

    Parameters
    ----------
    z, p : array_like (..., N)
        Atoms and probabilities.
    alpha : float
        Tail level in ``(0, 1]``.
    """
    z, p = _distribution(z, p)
    alpha = check_real(alpha, "alpha", low=0.0, high=1.0, low_open=True)
    order = np.argsort(z, axis=-1, kind="stable")
    zs = np.take_along_axis(z, order, axis=-1)
    ps = np.take_along_axis(p, order, axis=-1)
    before = np.cumsum(ps, axis=-1) - ps
    take = np.minimum(ps, np.maximum(0.0, alpha - before))
    out = (zs * take).sum(axis=-1) / alpha
    return float(out) if np.ndim(out) == 0 else out


def mean_variance(z, p, lam):
    """Mean-variance criterion ``E Z - lam Var Z`` (``lam >= 0``; docs/theory.md section 7)."""
    z, p = _distribution(z, p)
    lam = check_real(lam, "lam", low=0.0)
    mean = (p * z).sum(axis=-1)
    var = (p * (z - mean[..., None]) ** 2).sum(axis=-1)
    out = mean - lam * var
    return float(out) if np.ndim(out) == 0 else out
