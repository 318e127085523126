"""A vectorisable ``exp`` and its NumPy twin, bit-identical to each other.

``np.exp`` compiled by Numba is a call to the C library per value, which LLVM cannot vectorise
and which spills registers; NumPy's own ``exp`` may differ from it in the last bit. ``vexp`` is
written in plain IEEE arithmetic that LLVM turns into packed (SIMD) instructions inside a loop
over lanes, and ``vexp_np`` performs the *same* operations in the same order on NumPy arrays, so
the compiled engines and the NumPy reference give bit-identical results. Neither may be compiled
with ``fastmath`` (no FMA contraction, no reassociation) where bit identity is required.

Method (Cody & Waite 1980; Tang 1989): ``k = round(x / ln 2)``, ``r = x - k ln 2`` in two parts
(``LN2_HI`` has 32 trailing zero bits, so ``k * LN2_HI`` is exact), ``exp(r)`` by its Taylor
polynomial of degree 13 in Horner form (truncation error < 1e-17 for ``|r| <= ln2 / 2``), then
the result scaled by ``2**k`` in two factors ``2**k1 * 2**k2`` built from their exponent bits,
so that overflow gives ``inf`` and underflow goes gradually to ``0`` as the models rely on
(``vexp(-691.0)`` is about 1e-300, ``vexp(-746.0) == 0.0``, ``vexp(710.0) == inf``). NaN gives NaN.
Accuracy: within a few units in the last place of the correctly rounded ``exp``.
"""
from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
X_MIN = -750.0  # below this exp(x) rounds to 0 (2**-1075 is half the smallest subnormal)
X_MAX = 710.0   # above this exp(x) overflows (exp(709.79) is the largest double)
# 1/n! for n = 13 .. 2 (then r + 1 by hand: c1 = c0 = 1).
C13 = 1.0 / 6227020800.0
C12 = 1.0 / 479001600.0
C11 = 1.0 / 39916800.0
C10 = 1.0 / 3628800.0
C9 = 1.0 / 362880.0
C8 = 1.0 / 40320.0
C7 = 1.0 / 5040.0
C6 = 1.0 / 720.0
C5 = 1.0 / 120.0
C4 = 1.0 / 24.0
C3 = 1.0 / 6.0
C2 = 0.5
_BIAS = 1023
_SHIFT = 52


@intrinsic
def _bits_to_double(typingctx, bits):  # type: ignore[no-untyped-def]
    """Reinterpret an int64 as the float64 with the same bits (a no-op that LLVM vectorises)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@numba.njit(error_model="numpy", cache=True)
def vexp(x: float) -> float:
    """exp(x) for one float64, in operations LLVM vectorises; equals ``vexp_np`` bit for bit."""
    xc = np.minimum(np.maximum(x, X_MIN), X_MAX)  # NaN stays NaN
    xs = xc if xc == xc else 0.0
    kf = np.floor(xs * LOG2E + 0.5)
    r = (xs - kf * LN2_HI) - kf * LN2_LO
    q = C13
    q = q * r + C12
    q = q * r + C11
    q = q * r + C10
    q = q * r + C9
    q = q * r + C8
    q = q * r + C7
    q = q * r + C6
    q = q * r + C5
    q = q * r + C4
    q = q * r + C3
    q = q * r + C2
    q = q * r + 1.0
    q = q * r + 1.0
    k1f = np.floor(kf * 0.5)
    k2f = kf - k1f
    s1 = _bits_to_double((np.int64(k1f) + _BIAS) << _SHIFT)
    s2 = _bits_to_double((np.int64(k2f) + _BIAS) << _SHIFT)
    res = (q * s1) * s2
    return res if xc == xc else xc


def vexp_np(x: np.ndarray | float) -> np.ndarray | float:
    """NumPy twin of :func:`vexp`: the same IEEE operations in the same order, elementwise."""
    xa = np.asarray(x, dtype=np.float64)
    xc = np.minimum(np.maximum(xa, X_MIN), X_MAX)
    nan = xc != xc
    xs = np.where(nan, 0.0, xc)
    kf = np.floor(xs * LOG2E + 0.5)
    r = (xs - kf * LN2_HI) - kf * LN2_LO
    q = np.full_like(r, C13)
    for c in (C12, C11, C10, C9, C8, C7, C6, C5, C4, C3, C2, 1.0, 1.0):
        q = q * r + c
    k1f = np.floor(kf * 0.5)
    k2f = kf - k1f
    s1 = ((k1f.astype(np.int64) + _BIAS) << _SHIFT).view(np.float64)
    s2 = ((k2f.astype(np.int64) + _BIAS) << _SHIFT).view(np.float64)
    res = np.where(nan, xc, (q * s1) * s2)
    return res if res.ndim else float(res)


__all__ = ["vexp", "vexp_np"]
