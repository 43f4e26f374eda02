"""The RQE's ``tau -> 0`` limit against pygambit's logit QRE (docs/theory.md sections 7.1, 7.5).

With the entropy regulariser and ``tau = 0`` the first-order conditions of the RQE are
``x_i = softmax(R_i x_{-i} / eps_i)``: the logit QRE at ``lambda = 1/eps`` (for ``tau > 0`` the
adversary's tilt moves the profile by ``O(tau)``). The reference is pygambit 17
(``pygambit.qre.logit_solve_lambda``, Gambit's path follower on the principal branch), an
optional dependency (``pip install -e ".[gambit]"``; tested with 17.0.0b2).

Tolerances: ``1e-9`` (max-norm over all strategy entries) at ``tau = 0``; ``1e-7`` at
``tau = 1e-8``. The comparison is made at the ``lambda`` pygambit reports (its follower lands
within about 1e-9 of the one asked for). Measured worst errors (seeded games below):
1.2e-14 at ``tau = 0`` and 4.7e-8 at ``tau = 1e-8`` (the climbing game, payoffs up to 30:
the ``O(tau)`` shift scales with the payoffs).

Which QRE: the logit QRE is not unique for large ``lambda``. pygambit returns the point on
the principal branch (the one continuing the centroid at ``lambda = 0``); ``rg.rqe`` runs
Newton from the uniform profile and may land on another QRE of the same ``lambda`` (stag
hunt at ``lambda = 5``, climbing game, penalty game: checked below as fixed points only).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pygambit")

from robustgames.equilibria._rqe import rqe  # noqa: E402
from robustgames.games import _matrix  # noqa: E402
from robustgames.proofs_checks.rqe_limits import pygambit_logit_qre  # noqa: E402

TOL_TAU0 = 1e-9
TOL_TAU_SMALL = 1e-7
TAU_SMALL = 1e-8
CLASSIC = ("matching_pennies", "prisoners_dilemma", "stag_hunt", "rock_paper_scissors", "climbing_game")


def _dist(a, b):
    return max(float(np.abs(u - v).max()) for u, v in zip(a, b))


def _classic(name):
    return np.asarray(getattr(_matrix, name)(scale=False).rewards[0, 0], dtype=np.float64)


def _random_games():
    rng = np.random.default_rng(20261201)
    for shape in [(2, 2)] * 4 + [(3, 3)] * 4 + [(2, 3)] * 3 + [(3, 2)] * 2:
        yield rng.uniform(-1, 1, size=shape + (2,)), float(rng.uniform(0.2, 1.0))


@pytest.mark.parametrize("name", CLASSIC + ("penalty_game",))
@pytest.mark.parametrize("lam", [0.1, 0.5, 2.0, 5.0])
def test_pygambit_qre_is_the_rqe_at_tau_zero(name, lam):
    """pygambit's principal-branch QRE is a fixed point of the RQE conditions at tau = 0:
    Newton started there moves it by less than 1e-9 (pygambit's own error), with our
    certificate (first-order residual, exploitability) below 1e-12; and at tau = 1e-8 the RQE
    stays within 1e-7."""
    U = _classic(name)
    xs, lam_used, _ = pygambit_logit_qre(U, lam)
    assert lam_used == pytest.approx(lam, rel=1e-7)
    r = rqe(U, 0.0, 1.0 / lam_used, x0=xs)
    assert r.converged and r.method == "newton"
    assert r.residual <= 1e-12 and r.exploitability.max() <= 1e-12
    assert _dist(r.strategies, xs) <= TOL_TAU0
    r_small = rqe(U, TAU_SMALL, 1.0 / lam_used, x0=xs)
    assert _dist(r_small.strategies, xs) <= TOL_TAU_SMALL


def test_default_start_finds_pygambits_qre_on_random_games():
    """Random 2x2, 3x3, 2x3, 3x2 games (payoffs in [-1, 1], lambda = 1/eps in [1, 5]): the RQE
    from the uniform start (no information from pygambit) at tau = 0 and tau = 1e-8 equals
    pygambit's logit QRE; every traced branch was increasing in lambda without bifurcation."""
    worst0 = worst_small = 0.0
    for U, eps in _random_games():
        xs, lam_used, clean = pygambit_logit_qre(U, 1.0 / eps)
        assert clean
        r = rqe(U, 0.0, 1.0 / lam_used)
        assert r.converged and r.residual <= 1e-12
        worst0 = max(worst0, _dist(r.strategies, xs))
        worst_small = max(worst_small, _dist(rqe(U, TAU_SMALL, 1.0 / lam_used).strategies, xs))
    assert worst0 <= TOL_TAU0, worst0
    assert worst_small <= TOL_TAU_SMALL, worst_small


@pytest.mark.parametrize("name,lam", [("matching_pennies", 5.0), ("prisoners_dilemma", 5.0), ("stag_hunt", 2.0),
                                      ("rock_paper_scissors", 5.0), ("climbing_game", 0.1)])
def test_default_start_finds_the_principal_branch_on_classic_games(name, lam):
    """Classic games where Newton from the uniform profile lands on the principal branch
    (the other cases are in the module docstring)."""
    U = _classic(name)
    xs, lam_used, clean = pygambit_logit_qre(U, lam)
    assert clean
    assert _dist(rqe(U, 0.0, 1.0 / lam_used).strategies, xs) <= TOL_TAU0


def test_wrong_lambda_is_detected():
    """The characteristic mistake (lambda = eps instead of 1/eps) is far outside the tolerance."""
    U = _classic("stag_hunt")
    eps = 0.5
    xs, lam_used, _ = pygambit_logit_qre(U, eps)
    assert _dist(rqe(U, 0.0, eps).strategies, xs) > 1e-2
