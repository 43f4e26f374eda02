"""One compiled backup engine: the row-kernel interface every uncertainty set implements.

Every set hands the engine two numba-compiled functions and a ``float64`` parameter
array (:class:`RowKernel`, returned by :meth:`UncertaintySet.row_kernel`):

``prepare(i, v, params, iw, fw) -> None``
    Called once per value vector ``v (S,)``: stores what every row needs (TV and
    contamination: ``v``'s decreasing order in ``iw``; chi-square: the increasing order in
    ``iw``, the sorted values and their units in ``fw``).
``row(i, P, r, v, params, iw, fw, work, warm) -> (value, warm_out)``
    The support function ``sigma_{U(P[r])}(v) = inf_{p in U(P[r])} p.v`` of row ``r`` of
    the 2-D kernel ``P`` (docs/theory.md section 2), reading what ``prepare`` stored;
    ``work`` is scratch of :func:`work_size` entries; ``warm`` is a warm start of this
    row kept by the caller between solves (NaN: none; the KL solver starts Newton from
    it and returns its new root as ``warm_out``; other sets return NaN).

``i`` is the index of the player whose set it is (built-in sets ignore it); ``P`` (2-D),
``v`` and ``params`` arrive read-only and C-contiguous, ``iw`` (``int64``, ``S`` entries),
``fw`` and ``work`` (``float64``, :func:`work_size` entries) are writable.

The learners' kernels (:mod:`robustgames.learning._kernels`) receive, per player set
family, one *block* function built from these two (:func:`block_kernel`: ``prepare`` once,
then ``row`` on a list of rows, direct calls), as a numba first-class function value
(``numba.types.FunctionType``, see numba's "first-class function objects"). One compiled
copy of each learner kernel therefore serves every set, built-in or user-defined, with
no dispatch on class names, and it is cached on disk (a first-class function argument is
an address known at run time, so the caller's machine code does not depend on it; a
plain dispatcher argument would make numba recompile the caller for every function, in
every process, uncached). The indirect call happens once per step and player, not once
per row (measured here: an indirect call per row cost about 40 ns, twice a TV row of 10
states). When the players' sets differ in family, their block functions are combined
into one that branches on ``i`` (:func:`player_switch`, a small closure compiled once per
combination and process; a *tuple* of functions would go through numba's slow
conversion search on every call, about 0.7 ms). The block function is handed over as a
``CompileResultWAP`` object (a stored address and type; see :func:`_first_class`).

Planning (:func:`robustgames.planning._backup.robust_q`) stays on each set's ``_values``
hook: the built-in sets' hooks are parallel kernels tuned per family (a batched KL
solver with per-thread scratch, one sort per call), faster than a generic row loop. Sets
that implement only :meth:`~UncertaintySet.row_kernel` (user-defined sets,
:class:`RowSet`) get ``_values`` from it (:func:`values_by_rows`), so they plug into
planning and learning alike.

User-defined sets: write ``row(p0, v, params) -> float`` in numba (``@numba.njit``), with
``p0`` one nominal row and ``params`` a ``float64`` array, and wrap it in :class:`RowSet`.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types
from numba.core.dispatcher import Dispatcher
from numba.core.types.function_type import CompileResultWAP

from .._jit import JIT_OPTIONS, function_arg_kernel, kernel

_RO2 = types.Array(types.float64, 2, "C", readonly=True)
_RO1 = types.Array(types.float64, 1, "C", readonly=True)
_F1 = types.Array(types.float64, 1, "C")
_I1 = types.Array(types.int64, 1, "C")
_PAIR = types.UniTuple(types.float64, 2)

#: argument types of a set's ``row`` function (``i, P, r, v, params, iw, fw, work, warm``)
ROW_ARGS = (types.int64, _RO2, types.int64, _RO1, _RO1, _I1, _F1, _F1, types.float64)
#: argument types of a set's ``prepare`` function (``i, v, params, iw, fw``)
PREPARE_ARGS = (types.int64, _RO1, _RO1, _I1, _F1)
#: argument types of a user row function for :class:`RowSet` (``p0, v, params``)
USER_ROW_ARGS = (_RO1, _RO1, _RO1)
#: argument types of the engine's block function (see :func:`block_kernel`):
#: ``i, P, v, params, iw, fw, work, rows, n_rows, T (H, R, n), h, out (R,)``
BLOCK_ARGS = (types.int64, _RO2, _RO1, _RO1, _I1, _F1, _F1, _I1, types.int64,
              types.Array(types.float64, 3, "C"), types.int64, _F1)
#: first-class function type of a block function (what the learner kernels receive)
BLOCK_TYPE = types.FunctionType(types.void(*BLOCK_ARGS))


@kernel
def work_size(S):
    """Entries of ``fw`` and of ``work`` the engine hands a set on ``S`` states (``3 S +
    8``: the KL row solver's three scratch vectors; chi-square's sorted values and units)."""
    return 3 * S + 8


class RowKernel:
    """What a set hands the engine: compiled ``row`` and ``prepare`` plus ``params``.

    Parameters
    ----------
    row : numba dispatcher
        ``row(i, P, r, v, params, iw, fw, work, warm) -> (value, warm_out)`` (see the module
        docstring); ``value`` is ``inf_{p in U(P[r])} p.v``.
    prepare : numba dispatcher
        ``prepare(i, v, params, iw, fw) -> None``, once per value vector.
    params : array_like of float
        The set's parameters (e.g. ``[radius]``), 1-D ``float64``.
    """

    __slots__ = ("row", "prepare", "params")

    def __init__(self, row, prepare, params):
        self.row = _check_signature(row, ROW_ARGS, _PAIR, "row", "a (value, warm) pair of floats")
        self.prepare = _check_signature(prepare, PREPARE_ARGS, types.none, "prepare", "nothing")
        p = np.ascontiguousarray(params, dtype=np.float64)
        if p.ndim != 1:
            raise ValueError(f"params must be a 1-D float array, got shape {p.shape}")
        self.params = p


def _check_dispatcher(fn, name):
    if not isinstance(fn, Dispatcher):
        raise TypeError(f"{name} must be a numba-compiled function (decorate it with @numba.njit), "
                        f"got {type(fn).__name__}")
    return fn


_CHECKED: set = set()


def _check_signature(fn, argtypes, want, name, what):
    """``fn`` itself if it is a numba dispatcher that compiles for ``argtypes`` and returns
    ``want``; else ``TypeError`` naming ``name`` (checked once per function and process)."""
    _check_dispatcher(fn, name)
    key = (fn, argtypes)
    if key in _CHECKED:
        return fn
    try:
        fn.compile(argtypes)
    except Exception as exc:  # numba typing errors
        raise TypeError(f"{name} does not compile for arguments {argtypes}: {exc}") from exc
    ret = fn.overloads[tuple(argtypes)].signature.return_type
    if ret != want:
        raise TypeError(f"{name} must return {what} for the engine's arguments {argtypes}; it returns {ret}")
    _CHECKED.add(key)
    return fn


# -- built-in pieces shared by several sets ----------------------------------------------


@kernel
def prepare_nothing(i, v, params, iw, fw):
    """A ``prepare`` for sets whose rows need nothing per value vector."""


# -- combining the players' kernels ---------------------------------------------------------


_SWITCHES: dict = {}


def _block_template(i, P, v, params, iw, fw, work, rows, n_rows, T, h, out):
    """Backs up the rows ``rows[:n_rows]`` of ``P`` for player ``i``: ``prepare`` once, then
    ``out[r], T[h, r, i] = row(..., T[h, r, i])``. ``_row`` and ``_prepare`` are bound per
    set by :func:`block_kernel` (direct calls, inlined)."""
    _prepare(i, v, params, iw, fw)  # noqa: F821
    for k in range(n_rows):
        r = rows[k]
        value, w = _row(i, P, r, v, params, iw, fw, work, T[h, r, i])  # noqa: F821
        T[h, r, i] = w
        out[r] = value


_BLOCKS: dict = {}
_HASHED: set = set()


def _in_hashed_sources(fn) -> bool:
    """Whether the compiled function ``fn`` is a module-level function (not a closure, such
    as the adapter of a user row, which binds the user's function) defined in a file the
    numba cache directory is keyed on (:func:`robustgames._jit._source_files`)."""
    import inspect  # noqa: PLC0415
    import pathlib  # noqa: PLC0415

    from .._jit import _source_files  # noqa: PLC0415

    if fn.py_func.__closure__ is not None:
        return False
    if not _HASHED:
        _HASHED.update(str(p) for p in _source_files())
    try:
        return str(pathlib.Path(inspect.getfile(fn.py_func)).resolve()) in _HASHED
    except (TypeError, OSError):
        return False


def block_kernel(row, prepare):
    """The engine's block function of one set family: :func:`_block_template` with the
    set's ``row`` and ``prepare`` bound as globals, compiled once per ``(row, prepare)``.

    It is cached on disk when ``row`` and ``prepare`` are defined in robustgames' own
    sources (the built-in sets; the cache directory is keyed by a hash of those files, see
    :mod:`robustgames._jit`, so an edit there starts a fresh cache), else compiled once per
    process (user rows: an on-disk copy would not notice edits to the user's file).
    One indirect call per block of rows instead of one per row (a call through a
    first-class function cannot be inlined; measured ~40 ns per call here, more than a TV
    row of 10 states)."""
    key = (row, prepare)
    fn = _BLOCKS.get(key)
    if fn is None:
        import types as pytypes  # noqa: PLC0415

        glob = dict(_block_template.__globals__)
        glob["_row"], glob["_prepare"] = row, prepare
        t = _block_template
        clone = pytypes.FunctionType(t.__code__, glob, t.__name__, t.__defaults__, t.__closure__)
        clone.__qualname__ = (f"_block__{row.py_func.__module__}.{row.py_func.__qualname__}__"
                              f"{prepare.py_func.__module__}.{prepare.py_func.__qualname__}").replace("<", "_").replace(">", "_")
        clone.__module__ = t.__module__
        cached = _in_hashed_sources(row) and _in_hashed_sources(prepare)
        fn = _BLOCKS[key] = numba.njit(**{**JIT_OPTIONS, "cache": cached})(clone)
    return fn


def _switch_blocks(fns):
    f0 = fns[0]
    if len(fns) == 1:
        return f0
    rest = _switch_blocks(fns[1:])

    @numba.njit
    def switch(i, P, v, params, iw, fw, work, rows, n_rows, T, h, out):
        if i == 0:
            f0(i, P, v, params, iw, fw, work, rows, n_rows, T, h, out)
        else:
            rest(i - 1, P, v, params, iw, fw, work, rows, n_rows, T, h, out)

    return switch


def player_switch(kernels):
    """The block function for the players' kernels, as a first-class function value: the
    family's own block function when every player's ``row`` and ``prepare`` are the same
    (the usual case: one family, radii in ``params``), else one that branches on the player
    index ``i`` (a closure compiled once per combination and process; the member functions
    see a shifted ``i``)."""
    blocks = tuple(block_kernel(k.row, k.prepare) for k in kernels)
    sw = _SWITCHES.get(blocks)
    if sw is None:
        fn = blocks[0] if all(b is blocks[0] for b in blocks) else _switch_blocks(blocks)
        sw = _SWITCHES[blocks] = _first_class(fn, BLOCK_ARGS)
    return sw


class _FirstClass(CompileResultWAP):
    """``CompileResultWAP`` that also stores its numba type (``_numba_type_``), so passing it
    to a kernel does not rebuild the ``FunctionType`` on every call."""

    def __init__(self, cres):
        super().__init__(cres)
        self._numba_type_ = types.FunctionType(cres.signature)


def _first_class(fn, argtypes):
    """``fn`` compiled for ``argtypes``, wrapped as a numba first-class function value
    (``CompileResultWAP``: the address of its C wrapper). Passing a plain dispatcher where a
    ``FunctionType`` is declared makes numba look the compiled code up again on every call
    (measured here: about 55 microseconds per function argument per call), and a plain
    ``CompileResultWAP`` rebuilds its ``FunctionType`` (about 20); this object hands over a
    stored address and a stored type."""
    fn.compile(argtypes)
    return _FirstClass(fn.overloads[tuple(argtypes)])


class CompiledSets:
    """The engine's view of one set per player, for every step of a game.

    ``block``: the players' block function (:func:`player_switch`); ``pdata`` (flat
    ``float64``) and ``poff``: parameters of the block ``k`` are ``pdata[poff[k]:poff[k+1]]``;
    ``pidx (H, n)``: block of player ``i`` at step ``h`` (``H = 1`` for discounted games or
    step-invariant sets).
    """

    def __init__(self, sets, horizon: int | None = None):
        steps = 1 if horizon is None else int(horizon)
        blocks = []
        ids = {}
        per_player = []
        pidx = np.empty((steps, len(sets)), dtype=np.int64)
        for i, U in enumerate(sets):
            first = None
            for h in range(steps):
                Uh = U if horizon is None else U.at_step(h)
                key = id(Uh)
                if key not in ids:
                    rk = Uh.row_kernel()
                    if rk is None:
                        raise TypeError(f"{type(Uh).__name__} has no row_kernel()")
                    ids[key] = (len(blocks), rk, Uh)
                    blocks.append(rk.params)
                k, rk, _ = ids[key]
                if first is None:
                    first = rk
                elif rk.row is not first.row or rk.prepare is not first.prepare:
                    raise TypeError(f"U[{i}]: its row kernel must not change with the step")
                pidx[h, i] = k
            per_player.append(first)
        self.kernels = per_player
        self.block = player_switch(per_player)
        sizes = [b.shape[0] for b in blocks]
        self.poff = np.zeros(len(blocks) + 1, dtype=np.int64)
        self.poff[1:] = np.cumsum(sizes)
        self.pdata = np.concatenate(blocks) if blocks else np.zeros(0)
        self.pidx = pidx


def compile_sets(sets, horizon: int | None = None):
    """:class:`CompiledSets` of ``sets`` (one per player), or ``None`` if some set has no
    row kernel (a subclass of :class:`UncertaintySet` written before this interface that
    implements only ``_values``; callers then use that hook)."""
    if any((U.at_step(0) if horizon else U).row_kernel() is None for U in sets):
        return None
    return CompiledSets(sets, horizon)


# -- the generic row loop (planning hook of sets that only have a row kernel) ----------------


@function_arg_kernel(block=BLOCK_TYPE)
def _rows_values(block, P, v, params, out):
    S = P.shape[1]
    R = P.shape[0]
    iw = np.empty(S, dtype=np.int64)
    fw = np.empty(work_size(S))
    work = np.empty(work_size(S))
    rows = np.arange(R)
    T = np.full((1, R, 1), np.nan)
    block(0, P, v, params, iw, fw, work, rows, R, T, 0, out)


def values_by_rows(rk: RowKernel, P, v, out) -> None:
    """``out[r] = sigma_{U(P[r])}(v)`` for every row of the 2-D ``P`` through the row kernel
    ``rk`` (serial; the ``_values`` hook of sets defined by a row kernel only)."""
    _rows_values(player_switch([rk]), P, v, rk.params, out)


# -- user-defined sets --------------------------------------------------------------------


def _user_kernels(fn):
    @numba.njit
    def row(i, P, r, v, params, iw, fw, work, warm):
        return fn(P[r], v, params), np.nan

    return row


#: the engine's adapter of each user row function (compiled once per process)
_USER_ROWS: dict = {}


def user_row_kernel(row, params, name: str = "row") -> RowKernel:
    """:class:`RowKernel` of a user function ``row(p0, v, params) -> float`` (numba-jitted).

    Raises ``TypeError`` naming ``name`` if ``row`` is not a numba dispatcher or does not
    return a float for ``(p0, v, params)`` float64 arrays.
    """
    _check_signature(row, USER_ROW_ARGS, types.float64, name, "a float (numba float64)")
    adapter = _USER_ROWS.get(row)
    if adapter is None:
        adapter = _USER_ROWS[row] = _user_kernels(row)
    return RowKernel(adapter, prepare_nothing, params)


from ._base import UncertaintySet  # noqa: E402  (the base class imports this module lazily)


class RowSet(UncertaintySet):
    """An (s,a)-rectangular set given by its support function on one row, in numba.

    ``row(p0, v, params) -> float`` must return ``inf_{p in U(p0)} p.v`` for one nominal
    row ``p0 (S,)``, a value vector ``v (S,)`` and the set's parameters ``params``
    (a ``float64`` array); it must be compiled with ``@numba.njit`` (arguments arrive as
    read-only ``float64`` arrays). The set then plugs into planning (its ``_values`` hook
    runs the row function row by row, compiled) and into every learner's compiled kernels
    (through :meth:`row_kernel`), like the built-in sets. Worst-case distributions are not
    available (:meth:`worst_distribution` raises ``NotImplementedError``).

    Parameters
    ----------
    row : numba-jitted function
        ``row(p0, v, params) -> float``. A plain Python function, or one that does not
        return a float, raises ``TypeError`` naming ``row``.
    params : array_like of float, optional
        Passed to ``row`` unchanged (1-D).
    name : str, optional
        Shown by ``repr``.

    Notes
    -----
    The engine asks nothing else of the set: no class name, no registration. The learners'
    certificates (MORNAVI's caps and bonus scale, docs/theory.md section 8) use facts
    about TV and contamination balls only; a user set is run with the horizon cap and
    ``H - h - 1`` span bounds, and certifies nothing.

    Examples
    --------
    A contamination set ``{(1 - rho) p0 + rho q}`` written by hand (docs/theory.md section 2:
    its support function is ``(1 - rho) p0.v + rho min v``):

    >>> import numba, numpy as np
    >>> from robustgames.uncertainty import RowSet
    >>> @numba.njit
    ... def contamination(p0, v, params):
    ...     return (1.0 - params[0]) * (p0 @ v) + params[0] * v.min()
    >>> U = RowSet(contamination, [0.5], name="my_contamination")
    >>> float(U.worst_value([0.0, 1.0], [0.0, 1.0]))
    0.5
    """

    def __init__(self, row, params=(), name: str | None = None):
        self._kernel = user_row_kernel(row, np.atleast_1d(np.asarray(params, dtype=np.float64)), "row")
        self.row = row
        self.params = self._kernel.params
        self.params.setflags(write=False)
        self.name = name or getattr(row, "__name__", "row")
        self.radius = None

    def row_kernel(self):
        return self._kernel

    def __repr__(self) -> str:
        return f"RowSet({self.name}, params={self.params.tolist()})"

    def __eq__(self, other) -> bool:
        return (type(other) is RowSet and other.row is self.row
                and np.array_equal(other.params, self.params))

    def __hash__(self) -> int:
        return hash(("RowSet", id(self.row), self.params.tobytes()))
