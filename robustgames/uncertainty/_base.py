"""Common machinery of the uncertainty sets.

Every set ``U(p0)`` around a nominal row ``p0`` exposes its support function
``sigma_U(v) = inf_{p in U(p0)} p . v`` (:meth:`UncertaintySet.worst_value`) and a minimiser
(:meth:`UncertaintySet.worst_distribution`), batched over leading axes: ``p0`` is
``(..., S)`` and ``v`` is ``(S,)``. The public methods validate; subclasses implement two
hooks that receive a C-contiguous ``(R, S)`` float64 array and a ``(S,)`` vector and write
into a preallocated output (the compiled kernels). The planning layer calls the hooks
directly after validating once per game. ``worst_value`` checks the rows of ``p0`` inside
the kernel (hook :meth:`UncertaintySet._values_checked`: each row is checked as it is read,
so a public call reads ``p0`` once); only when a row is rejected does
:func:`robustgames._validation.check_distributions` describe the first offending index.

Every set also hands the compiled backup engine a row kernel, :meth:`UncertaintySet.row_kernel`
(the interface of :mod:`robustgames.uncertainty._engine`): the learners' compiled kernels
back up through it, whatever the set family. A set defined by a row kernel alone gets
``_values`` from it, so it plugs into planning too.
"""

from __future__ import annotations

import numpy as np

from .._validation import (ROW_SUM_TOL, as_float_array, as_instance_or_list, check_distributions, check_radius,
                           first_bad_row)


class UncertaintySet:
    """Base class: an (s,a)-rectangular ambiguity set around a nominal distribution.

    Subclasses set :attr:`max_radius` (``None`` if unbounded) and implement
    :meth:`row_kernel` (the compiled row kernel of the backup engine), and, where a
    faster batched version exists, :meth:`_values` and :meth:`_distributions`.
    """

    #: largest admissible radius (None: unbounded)
    max_radius: float | None = None
    #: whether a worst case may put mass where ``p0`` is zero
    allows_support_shift: bool = False

    def __init__(self, radius):
        self.radius = check_radius(radius, "radius", upper=self.max_radius)

    # -- public API ------------------------------------------------------------------
    def worst_value(self, p0, v) -> np.ndarray:
        """Exact support function ``inf_{p in U(p0)} p . v`` for every row of ``p0``.

        Parameters
        ----------
        p0 : array_like, shape (..., S)
            Nominal distributions (rows sum to 1 within 1e-8, non-negative).
        v : array_like, shape (S,)
            Value vector.

        Returns
        -------
        ndarray, shape (...)
        """
        P, vec = self._check(p0, v, rows=False)
        out = np.empty(P.shape[:-1])
        if not self._values_checked(P.reshape(-1, P.shape[-1]), vec, out.reshape(-1), ROW_SUM_TOL):
            check_distributions(P, "p0")  # a row was rejected: raise the message naming it
            raise AssertionError("a row of p0 was rejected but check_distributions accepts p0")  # pragma: no cover
        return out

    def worst_distribution(self, p0, v) -> np.ndarray:
        """A minimiser of ``p . v`` over ``U(p0)`` for every row, shape ``(..., S)``."""
        P, vec = self._check(p0, v)
        out = np.empty(P.shape)
        self._distributions(P.reshape(-1, P.shape[-1]), vec, out.reshape(-1, P.shape[-1]))
        return out

    def at_step(self, h: int) -> "UncertaintySet":
        """The set that applies at step ``h`` of a finite-horizon game (itself, for sets
        defined by a radius around ``p0``; time-indexed sets such as :class:`Group`
        return their slice)."""
        return self

    def check_game(self, game, name: str = "U") -> None:
        """Raise if the set cannot be used with ``game`` (sets defined by a radius around
        the nominal rows fit every game; :class:`Group` checks its array's shape)."""

    def contains(self, p0, p, tol: float = 1e-9) -> np.ndarray:
        """Whether each row of ``p`` lies in ``U(p0)`` (within ``tol``), shape ``(...)``."""
        P = np.asarray(p0, dtype=np.float64)
        Q = np.asarray(p, dtype=np.float64)
        ok = (Q >= -tol).all(axis=-1) & (np.abs(Q.sum(axis=-1) - 1) <= tol)
        return ok & (self.divergence(P, Q) <= self.radius + tol)

    def divergence(self, p0, p) -> np.ndarray:
        """The divergence that defines the ball (subclasses with a ball override)."""
        raise NotImplementedError

    # -- the backup engine's interface -----------------------------------------------
    def row_kernel(self):
        """The set's compiled row kernel for the backup engine, or ``None``.

        Returns
        -------
        robustgames.uncertainty.RowKernel or None
            ``row(P, r, v, params, iw, fw, work, warm) -> (value, warm_out)`` with ``value =
            inf_{p in U(P[r])} p.v`` (docs/theory.md section 2), ``prepare(v, params, iw, fw)``
            (once per value vector) and the ``float64`` ``params``; see
            :mod:`robustgames.uncertainty._engine`. ``None`` (this default): the set has
            only the ``_values`` hook, which the learners then call from Python (slower).
            For a set written as a numba function of one row, use
            :class:`robustgames.uncertainty.RowSet`.
        """
        return None

    # -- hooks -----------------------------------------------------------------------
    def _values(self, P: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
        """``out[r] = sigma_{U(P[r])}(v)``; default: the row kernel, row by row."""
        rk = self.row_kernel()
        if rk is None:  # pragma: no cover - subclasses implement one of the two
            raise NotImplementedError(f"{type(self).__name__} implements neither row_kernel() nor _values()")
        from ._engine import values_by_rows  # noqa: PLC0415

        values_by_rows(rk, P, v, out)

    def _values_checked(self, P: np.ndarray, v: np.ndarray, out: np.ndarray, tol: float) -> bool:
        """:meth:`_values` on rows not yet known to be distributions: ``False`` (``out`` then
        undefined) if some row of ``P`` is not a distribution within ``tol`` (the checks of
        :func:`robustgames._validation.row_ok`). Default: one (threaded) scan, then
        :meth:`_values`; the set families override it with kernels that check each row as
        they read it, so a public call reads ``P`` once."""
        if first_bad_row(P, float(tol)) != P.shape[0]:
            return False
        self._values(P, v, out)
        return True

    def _distributions(self, P: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not provide worst-case distributions "
                                  "(only its support function, worst_value)")

    # -- helpers ---------------------------------------------------------------------
    def _check(self, p0, v, rows: bool = True):
        """``p0`` and ``v`` as float64 arrays with matching shapes; with ``rows=False`` the
        rows of ``p0`` are left for :meth:`_values_checked` to check (only a non-empty last
        axis is checked here)."""
        P = as_float_array(p0, "p0", min_ndim=1, finite=False)
        vec = as_float_array(v, "v", ndim=1)
        if P.shape[-1] != vec.shape[0]:
            raise ValueError(
                f"p0 rows have {P.shape[-1]} states but v has {vec.shape[0]} entries"
            )
        if rows:
            check_distributions(P, "p0")
        elif P.shape[-1] == 0:
            raise ValueError(f"p0 must have a non-empty last axis, got shape {P.shape}")
        return P, vec

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.radius!r})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.radius == other.radius

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.radius))


def as_player_sets(U, n_players: int, game=None) -> list:
    """Normalise ``U`` (one set, or a list of ``n_players`` sets) into a list, one per
    player; with ``game``, also check that every set fits it (see ``check_game``)."""
    sets = as_instance_or_list(U, "U", UncertaintySet, "an uncertainty set (rg.TV, rg.KL, ...)")
    if isinstance(sets, UncertaintySet):
        if game is not None:
            sets.check_game(game, "U")
        return [sets] * n_players
    if len(sets) != n_players:
        raise ValueError(f"U lists {len(sets)} sets but the game has {n_players} players")
    if game is not None:
        for i, s in enumerate(sets):
            s.check_game(game, f"U[{i}]")
    return sets
