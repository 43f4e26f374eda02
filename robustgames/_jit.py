"""One place that sets the numba options of every kernel.

Every compiled kernel in robustgames is declared through :func:`kernel` (serial) or
:func:`parallel_kernel` (``prange`` over rows), so the options are uniform and visible
here: ``cache=True`` (compiled code is written next to the module and reused across
processes), ``error_model="numpy"`` (division by zero gives ``inf``/``nan`` like numpy
instead of raising, which lets kernels guard such cases explicitly) and ``nogil=True``.
``fastmath`` is never set: the KL and chi-square kernels see ``inf``, ``0 * inf`` and zeros
in ``p0`` (see DESIGN.md, "Numerical rules").

Cache invalidation: numba's on-disk cache only notices changes to the file that defines
a kernel, not to kernels it calls from other modules, so after editing (say) the KL row
solver, a cached learning kernel that inlined it silently keeps the old code (this
happened here: stale caches produced NaN certificates). :func:`_cache_dir` therefore
points numba's cache at a directory keyed by a hash of every source file of the
package: any edit starts a fresh cache. A user-set ``NUMBA_CACHE_DIR`` is respected as
the parent directory.

Small inputs: entering a ``parallel=True`` region costs tens of microseconds on an idle
machine and several milliseconds when the cores are busy (measured here: a TV backup over
a 2 MB kernel took 0.28 ms serially and 5.5 ms in parallel with other processes running,
the OS time slice dominating), more than a serial pass over a small array. :func:`parallel_kernel` therefore compiles the function twice, serially and in
parallel, and calls the parallel version only when the first argument has at least
:data:`PARALLEL_MIN_SIZE` elements. Inside other compiled code call ``.serial`` or
``.parallel`` explicitly (the size dispatcher itself is a Python object).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pathlib
import types

import numba

_MAPPED = ("experiments", "proofs_checks", "paper_figures", "benchmarks")


def _source_files():
    """Every ``.py`` file compiled code may come from: the package, and in a source
    checkout (editable install) the top-level folders installed inside its namespace."""
    pkg = pathlib.Path(__file__).resolve().parent
    roots = [pkg]
    if (pkg.parent / "pyproject.toml").exists():
        roots += [pkg.parent / name for name in _MAPPED if (pkg.parent / name / "__init__.py").exists()]
    return sorted(p for root in roots for p in root.rglob("*.py"))


def _cache_dir() -> str:
    """``<parent>/robustgames-<hash of the sources>``; parent: ``$NUMBA_CACHE_DIR``, else
    ``$XDG_CACHE_HOME`` or ``~/.cache``, else the package's ``__pycache__``."""
    digest = hashlib.sha256()
    for path in _source_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    parent = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "numba")
    try:
        os.makedirs(parent, exist_ok=True)
        if not os.access(parent, os.W_OK):
            raise OSError
    except OSError:
        parent = str(pathlib.Path(__file__).resolve().parent / "__pycache__")
    return os.path.join(parent, "robustgames-" + digest.hexdigest()[:16])


numba.config.CACHE_DIR = _cache_dir()

JIT_OPTIONS = {"cache": True, "error_model": "numpy", "nogil": True}

#: arrays with fewer elements than this run on one thread
PARALLEL_MIN_SIZE = 1 << 20


def kernel(func=None, **extra):
    """Compile ``func`` in nopython mode with the project's options."""
    options = {**JIT_OPTIONS, **extra}
    if func is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(func)


def _renamed(func, suffix: str):
    """A copy of ``func`` with another qualified name, so the serial and the parallel
    compilations of one source function get separate on-disk cache entries."""
    clone = types.FunctionType(func.__code__, func.__globals__, func.__name__ + suffix,
                               func.__defaults__, func.__closure__)
    clone.__qualname__ = func.__qualname__ + suffix
    clone.__doc__ = func.__doc__
    clone.__module__ = func.__module__
    return clone


class SizeDispatcher:
    """Calls ``serial`` or ``parallel`` depending on the size of the first argument."""

    def __init__(self, func, extra):
        self.py_func = func
        self.serial = kernel(_renamed(func, "_serial"), **extra)
        self.parallel = kernel(func, parallel=True, **extra)
        functools.update_wrapper(self, func)

    def __call__(self, *args):
        first = args[0]
        if getattr(first, "size", PARALLEL_MIN_SIZE) >= PARALLEL_MIN_SIZE:
            return self.parallel(*args)
        return self.serial(*args)


def parallel_kernel(func=None, **extra):
    """Like :func:`kernel`, with ``parallel=True`` so ``numba.prange`` loops run on threads
    (used only when the first argument is large; see the module docstring)."""
    if func is None:
        return lambda f: SizeDispatcher(f, extra)
    return SizeDispatcher(func, extra)


class FunctionArgKernel:
    """A serial kernel some of whose arguments are compiled functions, declared as numba
    first-class function types (``positions``: argument index -> ``numba.types.FunctionType``).

    Each call goes straight to the compiled code; the first call with new argument types
    compiles (or loads from the on-disk cache) an overload whose function arguments are
    typed by ``positions``, so ONE machine-code copy serves every function passed there
    (numba would otherwise specialise the kernel per function object and could not cache
    it). Numba's "first-class function type is experimental" warning is silenced here.
    """

    def __init__(self, func, positions):
        self.py_func = func
        self.positions = dict(positions)
        self.dispatcher = numba.njit(**JIT_OPTIONS)(func)
        self.dispatcher._can_compile = False  # only explicit signatures (see __call__)
        functools.update_wrapper(self, func)

    def __call__(self, *args):
        try:
            return self.dispatcher(*args)
        except TypeError as exc:
            if "No matching definition" not in str(exc):
                raise
        sig = tuple(self.positions[k] if k in self.positions else numba.typeof(a) for k, a in enumerate(args))
        import warnings  # noqa: PLC0415

        from numba.core.errors import NumbaExperimentalFeatureWarning  # noqa: PLC0415

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NumbaExperimentalFeatureWarning)
            self.dispatcher._can_compile = True
            try:
                self.dispatcher.compile(sig)
            finally:
                self.dispatcher._can_compile = False
            return self.dispatcher(*args)


def function_arg_kernel(**positions):
    """Decorator: :class:`FunctionArgKernel` with ``positions`` given as ``name=type`` for
    the function-typed parameters (matched to the signature of the decorated function)."""
    import inspect  # noqa: PLC0415

    def wrap(func):
        names = list(inspect.signature(func).parameters)
        return FunctionArgKernel(func, {names.index(k): t for k, t in positions.items()})

    return wrap
