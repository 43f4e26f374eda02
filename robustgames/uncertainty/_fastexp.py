"""A branch-free ``exp`` that LLVM can vectorise (no fastmath, no SVML needed).

numba lowers ``math.exp`` to a scalar libm call, which blocks vectorisation of the KL
kernel's hot loop and costs about 6x a streaming pass over the same data. :func:`exp`
below is plain arithmetic and two bit casts, so a loop of it over contiguous arrays
compiles to AVX2 code (4 doubles per instruction).

Algorithm (Cody-Waite): clamp ``x`` to ``[-746, 709.7]`` (``exp`` is 0 below ``-745.14``
in double precision and overflows above ``709.78``), ``k = round(x / ln 2)`` by the
``1.5 * 2^52`` shifter trick (the integer ``k`` is read from the shifter's low mantissa
bits, no float-to-int conversion), ``r = x - k ln2_hi - k ln2_lo`` with ``|r| <= ln 2 / 2``
(fused multiply-adds, so ``k ln2_hi`` is exact), then ``e^r = 1 + r + r^2 q(r)`` with the
Taylor polynomial of degree 13 (truncation error ``< 5e-18`` relative, below rounding;
``q`` by Estrin's scheme for short dependency chains), and ``2^k`` applied as two normal
powers of two ``2^(k >> 1) 2^(k - (k >> 1))``,
so results in the subnormal range (``x < -708.4``) are rounded once, correctly, from the
product. Accuracy: within 1 ulp of libm's ``math.exp`` over the whole range,
including the subnormal region (tested against ``math.exp`` in
``tests/test_uncertainty_speedpaths.py``). NaN maps to a finite value; callers must not
pass NaN (the KL kernel never does: its arguments are ``-beta w`` with ``beta, w >= 0``
finite or ``-inf``, and ``-inf`` gives 0 exactly).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .._jit import kernel


@intrinsic
def _f2i(typingctx, x):
    """Reinterpret the bits of a float64 as an int64 (LLVM ``bitcast``)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _i2f(typingctx, x):
    """Reinterpret the bits of an int64 as a float64 (LLVM ``bitcast``)."""
    if x != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """``a * b + c`` with one rounding (LLVM ``llvm.fma.f64``: the FMA instruction where
    the CPU has one, else libm's correctly rounded ``fma``). Not a fastmath contraction:
    the result is exactly specified."""
    if not (a == types.float64 and b == types.float64 and c == types.float64):
        return None

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(fn, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


_INV_LN2 = 1.4426950408889634
_SHIFTER = 6755399441055744.0  # 1.5 * 2^52: adding it rounds to an integer
_SHIFTER_BITS = 0x4338000000000000
# ln 2 = _LN2_HI + _LN2_LO, _LN2_HI with 32 significant bits (fdlibm's split)
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LO = -746.0
_HI = 709.7
# 1/k! for k = 2..13
_C2 = 1.0 / 2.0
_C3 = 1.0 / 6.0
_C4 = 1.0 / 24.0
_C5 = 1.0 / 120.0
_C6 = 1.0 / 720.0
_C7 = 1.0 / 5040.0
_C8 = 1.0 / 40320.0
_C9 = 1.0 / 362880.0
_C10 = 1.0 / 3628800.0
_C11 = 1.0 / 39916800.0
_C12 = 1.0 / 479001600.0
_C13 = 1.0 / 6227020800.0


@kernel
def exp(x):
    """``e^x`` within 1 ulp for every float64 ``x`` (0 below -745.14; clamped at 709.7, so
    never inf), branch-free and vectorisable. Not for NaN."""
    x = max(x, _LO)
    x = min(x, _HI)
    t = _fma(x, _INV_LN2, _SHIFTER)
    kf = t - _SHIFTER  # k = round(x / ln 2), exactly
    k = _f2i(t) - _SHIFTER_BITS
    r = _fma(-kf, _LN2_LO, _fma(-kf, _LN2_HI, x))
    # e^r = 1 + r + r^2 q(r), q of degree 11 by Estrin's scheme (short dependency chains)
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    a0 = _fma(r, _C3, _C2)
    a1 = _fma(r, _C5, _C4)
    a2 = _fma(r, _C7, _C6)
    a3 = _fma(r, _C9, _C8)
    a4 = _fma(r, _C11, _C10)
    a5 = _fma(r, _C13, _C12)
    b0 = _fma(r2, a1, a0)
    b1 = _fma(r2, a3, a2)
    b2 = _fma(r2, a5, a4)
    q = _fma(r8, b2, _fma(r4, b1, b0))
    p = 1.0 + _fma(r2, q, r)
    # 2^k as two normal powers of two: one rounding, also for subnormal results
    k1 = k >> 1
    k2 = k - k1
    return (p * _i2f((k1 + 1023) << 52)) * _i2f((k2 + 1023) << 52)
