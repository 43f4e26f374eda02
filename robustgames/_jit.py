"""One place that sets the numba options of every kernel.

Every compiled kernel in robustgames is declared through :func:`kernel` (serial) or
:func:`parallel_kernel` (``prange`` over rows), so the options are uniform and visible
here: ``cache=True`` (compiled code is written next to the module and reused across
processes), ``error_model="numpy"`` (division by zero gives ``inf``/``nan`` like numpy
instead of raising, which lets kernels guard such cases explicitly) and ``nogil=True``.
``fastmath`` is never set: the KL and chi-square kernels see ``inf``, ``0 * inf`` and zeros
in ``p0`` (see DESIGN.md, "Numerical rules").

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
import types

import numba

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
