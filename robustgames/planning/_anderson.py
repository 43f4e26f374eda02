"""Safeguarded Anderson acceleration of discounted value iteration (docs/theory.md 3.6).

Anderson (1965) mixing, in the form of type-II Anderson acceleration for fixed-point
problems (Walker & Ni 2011; for value iteration: Geist & Scherrer 2018, "Anderson
acceleration for reinforcement learning"; the residual-decrease safeguard is in the spirit
of Zhang, O'Donoghue & Boyd 2020, "Globally convergent type-I Anderson acceleration for
nonsmooth fixed-point iterations", simplified).
With the last ``m + 1`` iterates ``x_j`` and their images ``g_j = T x_j``, residuals
``f_j = g_j - x_j``, the candidate is

    x_cand = g_k - sum_j theta_j (g_{j+1} - g_j),   theta = argmin ||f_k - sum_j theta_j (f_{j+1} - f_j)||_2.

**Safeguard.** The candidate is backed up once (``T x_cand``, one sweep) and accepted only
if its sup-norm residual is at most ``SAFEGUARD`` times the current one; otherwise the
plain step ``x = g_k`` is taken (one more sweep) and the history restarts. When ``T`` is a
``gamma``-contraction (robust MDPs, and any operator of docs/theory.md 3.2) the plain step
has residual ``<= gamma`` times the current one, so every accepted point reduces the
residual by at least a factor ``max(SAFEGUARD, gamma)`` for at most two sweeps: the method
converges (docs/theory.md 3.6). For stationary general-sum equilibrium iteration no
operator property holds and nothing is guaranteed (nor is it for plain value iteration);
the speed-up there is measured, not proved.

Stopping rule: value iteration's, applied to the accepted point:
``gamma/(1-gamma) ||T x - x||_inf <= tol``; the returned iterate is ``T x``.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._backup import sup_norm

#: history length
MEMORY = 5
#: an accelerated candidate must cut the residual by at least this factor
SAFEGUARD = 0.9


def anderson_fixed_point(step, V0: np.ndarray, gamma: float, tol: float, max_iter: int, what: str,
                         memory: int = MEMORY):
    """Safeguarded Anderson iteration of ``V, extra = step(V)`` (module docstring).

    Returns
    -------
    (V, extra, backups, converged)
        ``backups`` counts the calls of ``step`` (each one sweep).
    """
    factor = gamma / (1.0 - gamma) if gamma > 0 else 0.0
    shape = V0.shape
    x = V0.ravel().copy()
    gx, extra = step(V0)
    g = gx.ravel().copy()
    backups = 1
    res = sup_norm(g - x)
    X, G = [x], [g]
    while True:
        if factor * res <= tol:
            return G[-1].reshape(shape), extra, backups, True
        if backups >= max_iter:
            break
        if len(X) > 1:
            Fm = np.array([gj - xj for xj, gj in zip(X, G)]).T
            Gm = np.array(G).T
            theta = np.linalg.lstsq(np.diff(Fm, axis=1), Fm[:, -1], rcond=None)[0]
            cand = Gm[:, -1] - np.diff(Gm, axis=1) @ theta
        else:
            cand = G[-1]
        gc, extra_c = step(cand.reshape(shape))
        backups += 1
        gc = gc.ravel().copy()
        rc = sup_norm(gc - cand)
        if len(X) > 1 and rc > SAFEGUARD * res and backups < max_iter:
            # safeguard: the plain value-iteration step from the last accepted point
            cand = G[-1]
            gc, extra_c = step(cand.reshape(shape))
            backups += 1
            gc = gc.ravel().copy()
            rc = sup_norm(gc - cand)
            X, G = [], []
        X.append(cand)
        G.append(gc)
        X, G = X[-(memory + 1):], G[-(memory + 1):]
        res, extra = rc, extra_c
    warnings.warn(f"{what} did not reach tol={tol:g} within max_iter={max_iter}", RuntimeWarning, stacklevel=4)
    return G[-1].reshape(shape), extra, backups, False
