"""A vectorisable ``exp`` and its NumPy twin, bit-identical to each other.

``np.exp`` compiled by Numba is a call to the C library per value, which LLVM cannot vectorise
and which spills registers; NumPy's own ``exp`` may differ from it in the last bit. ``vexp`` is
written in plain IEEE arithmetic that LLVM turns into packed (SIMD) instructions inside a loop
over lanes, and ``vexp_np`` performs the *same* operations in the same order on NumPy arrays, so
the compiled engines and the NumPy reference give bit-identical results. Neither may be compiled
with ``fastmath`` (no FMA contraction, no reassociation) where bit identity is required.

Method (Cody & Waite 1980; Tang 1989): ``k = round(x / ln 2)``, ``r = x - k ln 2`` in two parts
(``LN2_HI`` has 32 trailing zero bits, so ``k * LN2_HI`` is exact), ``exp(r) = 1 + r + r^2 q(r)``
with ``q`` of degree 9 fitted by least squares on Chebyshev nodes of ``|r| <= ln2 / 2`` (relative
error within 1 unit in the last place there; fewer operations than the degree-13 Taylor polynomial
of the same accuracy), Horner form, then the result scaled by ``2**k`` in two factors
``2**k1 * 2**k2`` built from their exponent bits, so that overflow gives ``inf`` and underflow goes
gradually to ``0`` as the models rely on (``vexp(-691.0)`` is about 1e-300, ``vexp(-746.0) == 0.0``,
``vexp(710.0) == inf``). The input is clamped with plain comparisons (NaN compares false) and NaN
returned as NaN at the end. Accuracy: within 2 units in the last place of ``exp`` (tested).
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
# q(r) = C2 + C3 r + ... + C11 r^9 (see the module docstring; close to 1/n!).
C2 = 0.5000000000000018
C3 = 0.16666666666666552
C4 = 0.04166666666650449
C5 = 0.008333333333380452
C6 = 0.0013888888949974137
C7 = 0.00019841269782061458
C8 = 2.4801486679905433e-05
C9 = 2.755731416442201e-06
C10 = 2.763252725311746e-07
C11 = 2.5094752924727737e-08
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
    xs = x if x > X_MIN else X_MIN  # NaN and -inf -> X_MIN (NaN restored at the end)
    xs = xs if xs < X_MAX else X_MAX
    kf = np.floor(xs * LOG2E + 0.5)
    r = (xs - kf * LN2_HI) - kf * LN2_LO
    q = C11
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
    return res if x == x else x


def vexp_np(x: np.ndarray | float) -> np.ndarray | float:
    """NumPy twin of :func:`vexp`: the same IEEE operations in the same order, elementwise."""
    xa = np.asarray(x, dtype=np.float64)
    xs = np.where(xa > X_MIN, xa, X_MIN)
    xs = np.where(xs < X_MAX, xs, X_MAX)
    kf = np.floor(xs * LOG2E + 0.5)
    r = (xs - kf * LN2_HI) - kf * LN2_LO
    q = np.full_like(r, C11)
    for c in (C10, C9, C8, C7, C6, C5, C4, C3, C2, 1.0, 1.0):
        q = q * r + c
    k1f = np.floor(kf * 0.5)
    k2f = kf - k1f
    s1 = ((k1f.astype(np.int64) + _BIAS) << _SHIFT).view(np.float64)
    s2 = ((k2f.astype(np.int64) + _BIAS) << _SHIFT).view(np.float64)
    res = np.where(xa == xa, (q * s1) * s2, xa)
    return res if res.ndim else float(res)


@intrinsic
def _bits_to_float(typingctx, bits):  # type: ignore[no-untyped-def]
    """Reinterpret an int32 as the float32 with the same bits."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


# float32 version for the fast mode only (no NumPy twin: fast mode is not bit-identical to anything).
# Cody-Waite split of ln 2 for float32 (Cephes expf), Taylor polynomial of degree 6 (error below
# one float32 ulp on |r| <= ln2 / 2), exponent bits built as int32 in two factors.
_F_LOG2E = np.float32(LOG2E)
_F_LN2_HI = np.float32(0.693359375)
_F_LN2_LO = np.float32(-2.12194440e-4)
_F_MIN = np.float32(-104.0)
_F_MAX = np.float32(89.0)
_F_HALF = np.float32(0.5)
_F_ONE = np.float32(1.0)
_F_C = tuple(np.float32(1.0 / f) for f in (720.0, 120.0, 24.0, 6.0, 2.0))


@numba.njit(error_model="numpy", cache=True)
def vexp32(x: np.float32) -> np.float32:
    """exp(x) for one float32 in float32 arithmetic (fast mode); overflow inf, underflow 0, NaN NaN."""
    xs = x if x > _F_MIN else _F_MIN
    xs = xs if xs < _F_MAX else _F_MAX
    kf = np.floor(xs * _F_LOG2E + _F_HALF)
    r = (xs - kf * _F_LN2_HI) - kf * _F_LN2_LO
    q = _F_C[0]
    q = q * r + _F_C[1]
    q = q * r + _F_C[2]
    q = q * r + _F_C[3]
    q = q * r + _F_C[4]
    q = q * r + _F_ONE
    q = q * r + _F_ONE
    k1f = np.floor(kf * _F_HALF)
    k2f = kf - k1f
    s1 = _bits_to_float((np.int32(k1f) + np.int32(127)) << np.int32(23))
    s2 = _bits_to_float((np.int32(k2f) + np.int32(127)) << np.int32(23))
    res = (q * s1) * s2
    return res if x == x else x


__all__ = ["vexp", "vexp_np", "vexp32"]
