"""Public stage-game solvers: validated wrappers around the ONE compiled implementation.

Every function here checks and converts its input, calls the same nopython kernels the
planners call through :func:`._stage.solve_stage`, and returns a :class:`Result`. scipy
and nashpy are not used on this path except for nashpy's support enumeration as a
documented fallback of :func:`nash` (never triggered in the test-suite).
"""

from __future__ import annotations

import warnings

import numpy as np

from .._result import Result
from .._validation import as_float_array, check_choice
from ._checks import check_payoffs
from ._lemke_howson import NASH_TOL, bimatrix_gap_welfare, nash_two_player
from ._stage import CCE, CE, KIND_CODES, best_action, solve_stage
from ._zero_sum import zero_sum_value


def zero_sum(A) -> Result:
    """Value and minimax strategies of a two-player zero-sum matrix game.

    The row player maximises ``x^T A y``, the column player minimises it:
    ``value = max_x min_y x^T A y = min_y max_x x^T A y`` (von Neumann), computed by one
    compiled simplex solve of the LP pair in :mod:`._zero_sum`.

    Parameters
    ----------
    A : array_like (m, n)
        Row player's payoffs.

    Returns
    -------
    Result
        ``value`` (float), ``x`` (m,) maximin row strategy (``x^T A >= value``),
        ``y`` (n,) minimax column strategy (``A y <= value``).
    """
    A = as_float_array(A, "A", ndim=2)
    if A.shape[0] < 1 or A.shape[1] < 1:
        raise ValueError(f"A must have at least one row and one column, got shape {A.shape}")
    value, x, y = zero_sum_value(A)
    return Result(value=float(value), x=x, y=y)


def _point_mass(U, n_actions):
    out = np.empty(int(np.prod(n_actions)))
    best_action(U.reshape(-1, 1), out)
    return out.reshape(tuple(n_actions))


def nash(payoffs) -> Result:
    """A Nash equilibrium of a two-player general-sum stage game.

    Compiled Lemke-Howson (lexicographic pivoting) from every initial label; each end
    point is verified (Nash gap ``<= 1e-9 * max(1, max|payoffs|)``) and the one of
    maximum social welfare ``x^T (A + B) y`` is returned, ties (within the same
    tolerance) going to the smallest initial label. Exactly zero-sum games
    (``payoffs[..., 0] == -payoffs[..., 1]``) use the minimax LP instead (all their
    equilibria have welfare 0). See :mod:`._lemke_howson` (von Stengel 2002).

    Parameters
    ----------
    payoffs : array_like (A_1, A_2, 2)
        ``payoffs[a_1, a_2, i]`` is player ``i``'s payoff; both maximise. A one-player
        game ``(A_1, 1)`` gives the best action (lowest index on ties).

    Returns
    -------
    Result
        ``policy`` (A_1, A_2) joint (product) distribution, ``strategies`` ``(x, y)``,
        ``values`` (2,) expected payoffs, ``gap`` its Nash gap, ``method``
        (``"lemke_howson"``, ``"zero_sum_lp"``, ``"best_action"`` or, if no verified
        Lemke-Howson end point existed, ``"support_enumeration"``).

    Raises
    ------
    ValueError
        For more than two players: use :func:`correlated` with ``kind="ce"`` or ``"cce"``.
    """
    U, n_actions = check_payoffs(payoffs)
    n = len(n_actions)
    if n > 2:
        raise ValueError(
            f"payoffs describe a {n}-player game; Nash equilibria are computed for two players "
            f"only: use kind='ce' or kind='cce' (correlated(payoffs, kind=...)) instead"
        )
    if n == 1:
        policy = _point_mass(U, n_actions)
        return Result(policy=policy, strategies=(policy.copy(),),
                      values=np.array([float(U[..., 0].reshape(-1) @ policy)]),
                      gap=0.0, method="best_action")
    A = np.ascontiguousarray(U[..., 0])
    B = np.ascontiguousarray(U[..., 1])
    if np.array_equal(A, -B):
        _, x, y = zero_sum_value(A)
        method = "zero_sum_lp"
        gap, _ = bimatrix_gap_welfare(A, B, x, y)
    else:
        x = np.empty(A.shape[0])
        y = np.empty(A.shape[1])
        gap, _ = nash_two_player(A, B, x, y)
        method = "lemke_howson"
    tol = NASH_TOL * max(1.0, np.abs(U).max())
    if not gap <= tol:
        x, y, gap = _support_enumeration(A, B)
        method = "support_enumeration"
    policy = np.multiply.outer(x, y)
    values = np.array([x @ A @ y, x @ B @ y])
    return Result(policy=policy, strategies=(x, y), values=values, gap=float(gap), method=method)


def _support_enumeration(A, B):
    """Fallback: nashpy support enumeration, same selection rule (max welfare, first)."""
    import nashpy

    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for x, y in nashpy.Game(A, B).support_enumeration():
            x = np.asarray(x, dtype=np.float64)
            y = np.asarray(y, dtype=np.float64)
            gap, welfare = bimatrix_gap_welfare(A, B, x, y)
            if best is None or welfare > best[3] + NASH_TOL * max(1.0, np.abs(A).max(), np.abs(B).max()):
                best = (x, y, gap, welfare)
    if best is None:
        raise RuntimeError("no Nash equilibrium found by Lemke-Howson nor by support enumeration")
    return best[0], best[1], best[2]


def correlated(payoffs, kind: str = "ce") -> Result:
    """Welfare-maximising correlated (``"ce"``) or coarse correlated (``"cce"``) equilibrium.

    Solves ``max_p sum_a p(a) sum_i u_i(a)`` over the CE (or CCE) polytope of the n-player
    stage game by the compiled dense simplex of :mod:`._correlated`; ties between
    welfare-maximising equilibria are broken by its deterministic pivot rules (Dantzig
    entering column, lowest index first; lexicographic leaving row), so equal inputs give
    identical outputs.

    Parameters
    ----------
    payoffs : array_like (A_1, ..., A_n, n)
        ``payoffs[a_1, ..., a_n, i]`` is player ``i``'s payoff; all maximise.
    kind : {"ce", "cce"}

    Returns
    -------
    Result
        ``policy`` (A_1, ..., A_n) joint distribution, ``values`` (n,) expected payoffs,
        ``welfare`` (their sum), ``gap`` (CE or CCE gap of ``policy``), ``kind``.
    """
    kind = check_choice(kind, "kind", ("ce", "cce"))
    U, n_actions = check_payoffs(payoffs)
    Q = U.reshape(-1, len(n_actions))
    out = np.empty(Q.shape[0])
    gap = solve_stage(Q, n_actions, CE if kind == "ce" else CCE, out)
    values = out @ Q
    return Result(policy=out.reshape(tuple(n_actions)), values=values,
                  welfare=float(values.sum()), gap=float(gap), kind=kind)


def stage_equilibrium(payoffs, kind: str = "nash") -> np.ndarray:
    """Joint policy ``(A_1, ..., A_n)`` of the stage game for ``kind`` in
    ``{"nash", "ce", "cce"}`` (:func:`nash` or :func:`correlated`; one player: the best
    action as a point mass, lowest index on ties)."""
    kind = check_choice(kind, "kind", tuple(KIND_CODES))
    if kind == "nash":
        return nash(payoffs).policy
    return correlated(payoffs, kind=kind).policy
