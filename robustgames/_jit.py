"""One place that sets the numba options of every kernel.

Every compiled kernel in robustgames is declared through :func:`kernel` (serial) or
:func:`parallel_kernel` (``prange`` over rows), so the options are uniform and visible
here: ``cache=True`` (compiled code is written next to the module and reused across
processes) and ``error_model="numpy"`` (division by zero gives ``inf``/``nan`` like numpy
instead of raising, which lets kernels guard such cases explicitly). ``fastmath`` is never
set: the KL and chi-square kernels see ``inf``, ``0 * inf`` and zeros in ``p0`` (see
DESIGN.md, "Numerical rules").
"""

from __future__ import annotations

import numba

JIT_OPTIONS = {"cache": True, "error_model": "numpy", "nogil": True}


def kernel(func=None, **extra):
    """Compile ``func`` in nopython mode with the project's options."""
    options = {**JIT_OPTIONS, **extra}
    if func is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(func)


def parallel_kernel(func=None, **extra):
    """Like :func:`kernel`, with ``parallel=True`` so ``numba.prange`` loops run on threads."""
    return kernel(func, parallel=True, **extra)
