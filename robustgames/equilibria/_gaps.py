"""Compiled incentive gaps of a joint distribution over a flat stage game.

``Q`` is ``(N, n)`` (flat joint action in C order, player last), ``p`` is ``(N,)``. These
kernels let :func:`._stage.solve_stage` return a certificate with every solve; the public
certificates in :mod:`._certificates` are an independent numpy implementation and the
tests cross-check the two.

* CCE gap: ``max_i max_{a_i'} sum_a p(a) [u_i(a_i', a_{-i}) - u_i(a)]`` (at least 0);
* CE gap: ``max_i sum_{a_i} max(0, max_{a_i'} sum_{a_{-i}} p(a_i, a_{-i}) [u_i(a_i', a_{-i}) - u_i(a)])``,
  the largest gain of a strategy modification ``phi_i : A_i -> A_i``;
* for a product ``p`` the CCE gap is the Nash gap (largest unilateral deviation gain).
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel
from ._correlated import strides_of


@kernel
def _modification_gains(Q, n_actions, strides, p, i):
    """``G[c, d] = sum_{a: a_i = c} p(a) [u_i(d, a_{-i}) - u_i(a)]``: player ``i``'s gain from
    playing ``d`` whenever ``c`` is recommended (both gaps below are read off ``G``)."""
    N = Q.shape[0]
    Ai = n_actions[i]
    st = strides[i]
    gains = np.zeros((Ai, Ai))
    for a in range(N):
        pa = p[a]
        if pa == 0.0:
            continue
        ai = (a // st) % Ai
        base = Q[a, i]
        for d in range(Ai):
            gains[ai, d] += pa * (Q[a + (d - ai) * st, i] - base)
    return gains


@kernel
def flat_cce_gap(Q, n_actions, p):
    """Largest gain of a deviation to a fixed action (CCE gap) of ``p``:
    ``max_i max_d sum_c G_i[c, d]``."""
    strides = strides_of(n_actions)
    gap = 0.0
    for i in range(Q.shape[1]):
        gains = _modification_gains(Q, n_actions, strides, p, i)
        for d in range(n_actions[i]):
            total = 0.0
            for c in range(n_actions[i]):
                total += gains[c, d]
            if total > gap:
                gap = total
    return gap


@kernel
def flat_ce_gap(Q, n_actions, p):
    """Largest gain of a strategy modification ``phi_i`` (CE gap) of ``p``:
    ``max_i sum_c max(0, max_d G_i[c, d])``."""
    strides = strides_of(n_actions)
    gap = 0.0
    for i in range(Q.shape[1]):
        gains = _modification_gains(Q, n_actions, strides, p, i)
        total = 0.0
        for c in range(n_actions[i]):
            best = 0.0
            for d in range(n_actions[i]):
                if gains[c, d] > best:
                    best = gains[c, d]
            total += best
        if total > gap:
            gap = total
    return gap
