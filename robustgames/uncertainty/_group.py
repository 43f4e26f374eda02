"""Group (finite-scenario) ambiguity set: the convex hull of given distributions.

DRMARL (arXiv 2503.09755) models the uncertainty as the convex hull ``conv{P_1..P_m}``
of ``m`` group distributions per row, and Lemma 3.1 there gives

    inf_{p in conv{P_1..P_m}} p.v = min_g P_g . v

(a linear function on a polytope is minimised at a vertex; docs/theory.md sections 1, 2, 5).
The set does NOT depend on the nominal row ``p0``: ``p0`` only fixes the batch shape (and
is validated). Cost: ``m`` streaming dot products per row.
"""

from __future__ import annotations

import numbers

import numpy as np
from numba import prange

from .._jit import kernel, parallel_kernel
from .._validation import as_float_array, check_distributions
from ._base import UncertaintySet
from ._engine import RowKernel, prepare_nothing


@kernel
def _hull_min(D, start, m, stride, S, v):
    """``(min_g D_g . v, argmin)`` over the ``m`` vertices ``D[start + g stride : ... + S]``
    of the flat array ``D`` (strict comparison: lowest ``g`` on ties)."""
    best = np.inf
    arg = 0
    for g in range(m):
        o = start + g * stride
        dot = 0.0
        for s in range(S):
            dot += D[o + s] * v[s]
        if dot < best:
            best = dot
            arg = g
    return best, arg


@parallel_kernel
def _group_argmin(D, m, Rd, S, v, out_value, out_arg):
    """``D`` is the flat ``(m, Rd, S)`` array; row ``r`` of the output uses ``D[:, r]``."""
    for r in prange(Rd):
        best, arg = _hull_min(D, r * S, m, Rd * S, S, v)
        out_value[r] = best
        out_arg[r] = arg


@kernel
def _group_row_kernel(i, P, r, v, params, iw, fw, work, warm):
    """The engine's ``row`` of a group set: ``params = [m, Rd, S, D (m, Rd, S) flat]``; row
    ``r`` uses the hull ``D[:, r]`` (``D[:, 0]`` if ``Rd = 1``). ``P`` only indexes rows."""
    m = int(params[0])
    Rd = int(params[1])
    S = int(params[2])
    rr = 0 if Rd == 1 else r
    best, arg = _hull_min(params, 3 + rr * S, m, Rd * S, S, v)
    return best, np.nan


class Group(UncertaintySet):
    """Convex hull of ``m`` given distributions, per row (DRMARL, arXiv 2503.09755, Lemma 3.1).

    Parameters
    ----------
    distributions : array_like, shape (m, S) or (m, *row_shape, S)
        The vertices. ``(m, S)``: the same hull for every row. ``(m, *row_shape, S)``: row
        ``idx`` of ``p0`` (``p0`` of shape ``(*row_shape, S)``) uses
        ``distributions[:, idx]``. For a finite-horizon game give
        ``(m, H, S, A_1..A_n, S)``; :meth:`at_step` then returns the step-``h`` slice. (A
        time-invariant hull for a finite-horizon game must therefore be given as ``(m, S)``
        or repeated along ``H``.) Each vertex must be a distribution; ``m >= 1``.

    Notes
    -----
    ``worst_value(p0, v) = min_g distributions[g, row] . v``; ``worst_distribution`` is the
    minimising vertex (lowest ``g`` on ties). ``p0`` fixes the batch shape only: the set
    does not depend on it. ``radius`` is ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from robustgames.uncertainty import Group
    >>> U = Group([[1.0, 0.0], [0.25, 0.75]])
    >>> float(U.worst_value([0.5, 0.5], [1.0, 0.0]))
    0.25
    """

    allows_support_shift = True

    def __init__(self, distributions):
        D = as_float_array(distributions, "distributions", min_ndim=2)
        if D.shape[0] < 1:
            raise ValueError(f"distributions must hold at least one distribution (m >= 1), got shape {D.shape}")
        check_distributions(D, "distributions")
        D.setflags(write=False)
        self.distributions = D
        self.radius = None

    @property
    def n_groups(self) -> int:
        """Number of vertices ``m``."""
        return self.distributions.shape[0]

    @property
    def row_shape(self) -> tuple:
        """``()`` for a hull shared by every row, else the row shape ``distributions[0].shape[:-1]``."""
        return self.distributions.shape[1:-1]

    def at_step(self, h: int) -> "Group":
        """``Group(distributions[:, h])`` if time-indexed (``distributions.ndim >= 3``), else itself."""
        if self.distributions.ndim == 2:
            return self
        if isinstance(h, bool) or not isinstance(h, numbers.Integral):
            raise TypeError(f"h must be an integer, got {type(h).__name__}")
        H = self.distributions.shape[1]
        if not 0 <= h < H:
            raise ValueError(f"h={h} is out of range for distributions with {H} steps on axis 1")
        return Group(self.distributions[:, h])

    def check_game(self, game, name: str = "U") -> None:
        """The hull must be shared by every row, ``(m, S)``, or given per row of the game's
        kernel: ``(m, H, S, A_1..A_n, S)`` (finite horizon) or ``(m, S, A_1..A_n, S)``."""
        shape = self.distributions.shape
        per_row = (shape[0],) + game.transitions.shape
        if shape == (shape[0], game.n_states) or shape == per_row:
            return
        raise ValueError(
            f"{name}.distributions has shape {shape}; for this game it must be "
            f"(m, {game.n_states}) (one hull for every row) or {('m',) + game.transitions.shape} "
            "(one hull per row of the kernel)"
        )

    # -- validation / hooks -------------------------------------------------------------
    def _check(self, p0, v, rows: bool = True):
        P, vec = super()._check(p0, v, rows)
        S = self.distributions.shape[-1]
        if P.shape[-1] != S:
            raise ValueError(f"p0 rows have {P.shape[-1]} states but distributions have {S}")
        if self.row_shape and P.shape[:-1] != self.row_shape:
            raise ValueError(
                f"p0 has row shape {P.shape[:-1]} but distributions {self.distributions.shape} "
                f"define rows of shape {self.row_shape}"
            )
        return P, vec

    def _argmin(self, R, v):
        D = self.distributions
        S = D.shape[-1]
        if v.shape[0] != S:
            raise ValueError(f"v has {v.shape[0]} entries but distributions have {S} states")
        D3 = D.reshape(D.shape[0], -1, S)
        if D3.shape[1] not in (1, R):
            raise ValueError(
                f"distributions {D.shape} define {D3.shape[1]} rows but {R} rows were given"
            )
        vals = np.empty(D3.shape[1])
        args = np.empty(D3.shape[1], dtype=np.int64)
        _group_argmin(np.ascontiguousarray(D3).reshape(-1), D3.shape[0], D3.shape[1], S,
                      np.ascontiguousarray(v, dtype=np.float64), vals, args)
        return D3, vals, args

    def row_kernel(self):
        """Row kernel (:class:`~robustgames.uncertainty.RowKernel`): ``min_g D_g . v`` of
        the row's hull, ``params = [m, Rd, S, distributions flat]`` (``Rd = 1``: one hull for
        every row). A time-indexed set hands its step's kernel through :meth:`at_step`."""
        D = self.distributions
        S = D.shape[-1]
        D3 = D.reshape(D.shape[0], -1, S)
        return RowKernel(_group_row_kernel, prepare_nothing,
                         np.concatenate([[D3.shape[0], D3.shape[1], S], D3.reshape(-1)]))

    def _values(self, P, v, out):
        D3, vals, args = self._argmin(P.shape[0], v)
        out[:] = vals  # broadcasts a shared hull over the rows

    def _distributions(self, P, v, out):
        D3, vals, args = self._argmin(P.shape[0], v)
        if D3.shape[1] == 1:
            out[:] = D3[args[0], 0]
        else:
            out[:] = D3[args, np.arange(D3.shape[1])]

    # -- membership ---------------------------------------------------------------------
    def contains(self, p0, p, tol: float = 1e-9) -> np.ndarray:
        """Whether each row of ``p`` lies in the hull (LP feasibility, within ``tol`` in L1)."""
        from scipy.optimize import linprog

        P = np.asarray(p0, dtype=np.float64)
        Q = np.asarray(p, dtype=np.float64)
        Q = np.broadcast_to(Q, np.broadcast_shapes(Q.shape, P.shape))
        S = Q.shape[-1]
        rows = Q.reshape(-1, S)
        D = self.distributions
        D3 = D.reshape(D.shape[0], -1, S)
        m = D3.shape[0]
        ok = np.empty(rows.shape[0], dtype=bool)
        for r in range(rows.shape[0]):
            V = D3[:, 0 if D3.shape[1] == 1 else r, :].T  # (S, m)
            if (np.abs(V - rows[r][:, None]).sum(axis=0) <= tol).any():
                ok[r] = True  # a vertex itself (the usual worst case)
                continue
            # min sum t  s.t.  |V w - q| <= t, w in simplex
            I = np.eye(S)
            A_ub = np.block([[V, -I], [-V, -I]])
            b_ub = np.concatenate([rows[r], -rows[r]])
            A_eq = np.concatenate([np.ones(m), np.zeros(S)])[None, :]
            res = linprog(np.concatenate([np.zeros(m), np.ones(S)]), A_ub=A_ub, b_ub=b_ub,
                          A_eq=A_eq, b_eq=[1.0], bounds=[(0, None)] * (m + S), method="highs",
                          options={"primal_feasibility_tolerance": 1e-10,
                                   "dual_feasibility_tolerance": 1e-10})
            ok[r] = res.status == 0 and res.fun <= tol
        return ok.reshape(Q.shape[:-1])

    def divergence(self, p0, p):
        raise NotImplementedError("a Group set is not a ball: use contains(p0, p)")

    def __repr__(self) -> str:
        return f"Group(m={self.n_groups}, shape={self.distributions.shape})"

    def __eq__(self, other) -> bool:
        return type(other) is Group and np.array_equal(self.distributions, other.distributions)

    def __hash__(self) -> int:
        return hash(("Group", self.distributions.shape, self.distributions.tobytes()))
