"""Equilibrium certificates of a joint strategy in a stage game (numpy; independent of
the compiled solvers, which the tests check against these).

``payoffs`` has shape ``(A_1, ..., A_n, n)`` (player last, everyone maximises) and
``policy`` shape ``(A_1, ..., A_n)``, a distribution over joint actions. With
``u_i`` player ``i``'s payoffs and ``a = (a_i, a_{-i})``:

* ``cce_gap = max(0, max_i max_{a_i'} sum_a p(a) [u_i(a_i', a_{-i}) - u_i(a)])``:
  largest gain from deviating to a fixed action (coarse correlated equilibrium,
  Moulin and Vial 1978);
* ``ce_gap = max_i max_{phi_i} sum_a p(a) [u_i(phi_i(a_i), a_{-i}) - u_i(a)]
  = max_i sum_{a_i} max(0, max_{a_i'} g_i(a_i, a_i'))`` with
  ``g_i(a_i, a_i') = sum_{a_{-i}} p(a_i, a_{-i}) [u_i(a_i', a_{-i}) - u_i(a_i, a_{-i})]``:
  largest gain from a strategy modification ``phi_i : A_i -> A_i`` (correlated
  equilibrium, Aumann 1974; the best ``phi_i`` picks the best ``a_i'`` for each
  recommendation separately);
* ``nash_gap``: the CCE gap of the product of the policy's marginals, which is the
  largest unilateral deviation gain ``max_i [max_{a_i'} u_i(a_i', x_{-i}) - u_i(x)]``
  of the mixed profile ``x = (x_1, ..., x_n)`` (a Nash equilibrium is a product
  distribution; :func:`is_nash` also requires ``policy`` to equal that product).

Every gap is ``>= 0`` and ``cce_gap <= ce_gap`` (a fixed action is a constant
``phi_i``), so every CE is a CCE; for a product distribution ``nash_gap = cce_gap``.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_payoffs, check_policy


def _player_views(payoffs, policy, i):
    """Player ``i``'s payoffs and the policy as ``(A_i, prod_{j != i} A_j)`` matrices."""
    u = np.moveaxis(payoffs[..., i], i, 0)
    p = np.moveaxis(policy, i, 0)
    return u.reshape(u.shape[0], -1), p.reshape(p.shape[0], -1)


def _inputs(payoffs, policy):
    U, n_actions = check_payoffs(payoffs)
    P = check_policy(policy, tuple(n_actions))
    return U, P, len(n_actions)


def _ce_gain_matrices(U, P, n):
    # gains[i][c, d] = sum_{a_-i} p(c, a_-i) [u_i(d, a_-i) - u_i(c, a_-i)]
    out = []
    for i in range(n):
        u, p = _player_views(U, P, i)
        out.append(p @ u.T - (p * u).sum(axis=1)[:, None])
    return out


def ce_gap(payoffs, policy) -> float:
    """Largest gain of a strategy modification ``phi_i`` (CE gap, ``>= 0``)."""
    U, P, n = _inputs(payoffs, policy)
    return float(max(np.maximum(g.max(axis=1), 0.0).sum() for g in _ce_gain_matrices(U, P, n)))


def cce_gap(payoffs, policy) -> float:
    """Largest gain of a deviation to a fixed action (CCE gap, ``>= 0``)."""
    U, P, n = _inputs(payoffs, policy)
    return float(max(0.0, max(g.sum(axis=0).max() for g in _ce_gain_matrices(U, P, n))))


def _product_of_marginals(P, n):
    marginals = [P.sum(axis=tuple(j for j in range(n) if j != i)) for i in range(n)]
    prod = marginals[0]
    for x in marginals[1:]:
        prod = np.multiply.outer(prod, x)
    return prod


def nash_gap(payoffs, policy) -> float:
    """Largest unilateral deviation gain of the product of ``policy``'s marginals."""
    U, P, n = _inputs(payoffs, policy)
    return cce_gap(U, _product_of_marginals(P, n))


def _check_tol(tol):
    tol = float(tol)
    if not tol >= 0:
        raise ValueError(f"tol must be non-negative, got {tol}")
    return tol


def is_nash(payoffs, policy, tol: float = 1e-7) -> bool:
    """True if ``policy`` is a product distribution (within ``tol`` entrywise) whose
    Nash gap is at most ``tol``."""
    tol = _check_tol(tol)
    U, P, n = _inputs(payoffs, policy)
    if np.abs(P - _product_of_marginals(P, n)).max() > tol:
        return False
    return nash_gap(U, P) <= tol


def is_ce(payoffs, policy, tol: float = 1e-7) -> bool:
    """True if the CE gap of ``policy`` is at most ``tol``."""
    return ce_gap(payoffs, policy) <= _check_tol(tol)


def is_cce(payoffs, policy, tol: float = 1e-7) -> bool:
    """True if the CCE gap of ``policy`` is at most ``tol``."""
    return cce_gap(payoffs, policy) <= _check_tol(tol)
