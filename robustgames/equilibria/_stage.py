"""The compiled stage-game solver called once per (h, s) by planners and learners.

Stable signature (callable from Python AND from other numba nopython code)::

    gap = solve_stage(Q, n_actions, kind_code, out)

Q : float64 array (N, n), C-contiguous
    ``Q[a, i]`` is player ``i``'s payoff at flat joint action ``a`` (C order over
    ``(A_1, ..., A_n)``, the last player fastest, as ``MarkovGame.flat_rewards``);
    every player maximises. ``N = prod(n_actions)``.
n_actions : int64 array (n,)
    Actions per player.
kind_code : int
    :data:`NASH` (0), :data:`CE` (1) or :data:`CCE` (2).
out : float64 array (N,)
    Receives the joint distribution (a product distribution for NASH).
gap : float (returned)
    Certificate of ``out`` in payoff units: the Nash gap (largest unilateral deviation
    gain) for NASH, the CE gap (largest gain of a strategy modification) for CE, the CCE
    gap (largest gain of a fixed-action deviation) for CCE. It is 0 up to round-off
    (about ``1e-12 * max|Q|``) whenever the solve succeeded; callers may assert on it.

Rules (each documented in its module):

* one player (``n = 1``): every kind returns a point mass on the best action, the
  lowest index among ties; gap 0.
* NASH, two players: if the game is exactly zero-sum (``Q[:, 0] == -Q[:, 1]``
  elementwise) the minimax LP of :mod:`._zero_sum` (every Nash equilibrium of a zero-sum
  game is a pair of minimax strategies with welfare 0); otherwise compiled Lemke-Howson
  from every initial label, verified end points only, maximum social welfare, then the
  smallest initial label (:mod:`._lemke_howson`).
* NASH with ``n > 2`` raises ``ValueError`` (use CE or CCE).
* CE / CCE: welfare-maximising equilibrium by the one-phase dense simplex with
  deterministic pivot rules (:mod:`._correlated`, :mod:`._simplex`).
* wrong sizes or an unknown ``kind_code`` raise ``ValueError``.

Cost on this machine class (benchmarks/equilibria.py): a few microseconds for 5x5
zero-sum, tens of microseconds for 5x5 Nash and 3x3x3 CE/CCE; scipy ``linprog`` costs
about a millisecond per call.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel
from ._correlated import correlated_lp
from ._gaps import flat_ce_gap, flat_cce_gap
from ._lemke_howson import nash_two_player
from ._zero_sum import zero_sum_value

NASH = 0
CE = 1
CCE = 2
KIND_CODES = {"nash": NASH, "ce": CE, "cce": CCE}


@kernel
def best_action(Q, out):
    """Point mass on the best action of a one-player game (lowest index on ties)."""
    N = Q.shape[0]
    best = 0
    for a in range(1, N):
        if Q[a, 0] > Q[best, 0]:
            best = a
    out[:] = 0.0
    out[best] = 1.0


@kernel
def solve_stage(Q, n_actions, kind_code, out):
    """Equilibrium of the stage game ``Q`` written into ``out``; returns its gap.

    See the module docstring for the signature, the shapes and the selection rules.
    """
    N = Q.shape[0]
    n = n_actions.shape[0]
    if Q.shape[1] != n:
        raise ValueError("solve_stage: Q must have one column per player (len(n_actions))")
    total = 1
    for i in range(n):
        if n_actions[i] < 1:
            raise ValueError("solve_stage: every entry of n_actions must be at least 1")
        total *= n_actions[i]
    if total != N:
        raise ValueError("solve_stage: Q must have prod(n_actions) rows")
    if out.shape[0] != N:
        raise ValueError("solve_stage: out must have prod(n_actions) entries")
    if kind_code != NASH and kind_code != CE and kind_code != CCE:
        raise ValueError("solve_stage: kind_code must be NASH (0), CE (1) or CCE (2)")
    if n == 1:
        best_action(Q, out)
        return 0.0
    if kind_code == NASH:
        if n != 2:
            raise ValueError(
                "solve_stage: Nash equilibria are computed for two players only; "
                "use kind CE or CCE for n > 2 players"
            )
        m = n_actions[0]
        k = n_actions[1]
        zero_sum = True
        for a in range(N):
            if Q[a, 0] + Q[a, 1] != 0.0:
                zero_sum = False
                break
        A = np.empty((m, k))
        for i in range(m):
            for j in range(k):
                A[i, j] = Q[i * k + j, 0]
        if zero_sum:
            _, x, y = zero_sum_value(A)
        else:
            B = np.empty((m, k))
            for i in range(m):
                for j in range(k):
                    B[i, j] = Q[i * k + j, 1]
            x = np.empty(m)
            y = np.empty(k)
            nash_two_player(A, B, x, y)
        for i in range(m):
            for j in range(k):
                out[i * k + j] = x[i] * y[j]
        # for a product distribution the CCE gap is the Nash gap
        return flat_cce_gap(Q, n_actions, out)
    if kind_code == CE:
        correlated_lp(Q, n_actions, False, out)
        return flat_ce_gap(Q, n_actions, out)
    correlated_lp(Q, n_actions, True, out)
    return flat_cce_gap(Q, n_actions, out)
