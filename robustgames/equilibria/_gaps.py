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
def flat_cce_gap(Q, n_actions, p):
    """Largest gain of a deviation to a fixed action (CCE gap) of ``p``."""
    N, n = Q.shape
    strides = strides_of(n_actions)
    gap = 0.0
    for i in range(n):
        Ai = n_actions[i]
        st = strides[i]
        gains = np.zeros(Ai)
        for a in range(N):
            pa = p[a]
            if pa == 0.0:
                continue
            ai = (a // st) % Ai
            base = Q[a, i]
            for d in range(Ai):
                gains[d] += pa * (Q[a + (d - ai) * st, i] - base)
        for d in range(Ai):
            if gains[d] > gap:
                gap = gains[d]
    return gap


@kernel
def flat_ce_gap(Q, n_actions, p):
    """Largest gain of a strategy modification ``phi_i`` (CE gap) of ``p``."""
    N, n = Q.shape
    strides = strides_of(n_actions)
    gap = 0.0
    for i in range(n):
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
        total = 0.0
        for c in range(Ai):
            best = 0.0
            for d in range(Ai):
                if gains[c, d] > best:
                    best = gains[c, d]
            total += best
        if total > gap:
            gap = total
    return gap
