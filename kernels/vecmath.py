"""Vectorisable scalar math kernels for generated Numba code.

Numba lowers ``math.tanh`` & co. to scalar libm calls, which stop LLVM from
vectorising the loop around them.  The functions here are branch-free
polynomial/rational approximations (bit tricks for range reduction, selects
for special values), so a loop calling them compiles to packed SIMD code.
Float32 inputs are computed in float32 throughout (twice the vector width).

Usage from generated code: ``vm_exp(x)``, ``vm_log(x)``, ``vm_log1p(x)``,
``vm_expm1(x)``, ``vm_tanh(x)``, ``vm_sigmoid(x)``, ``vm_erf(x)`` with x a
float32 or float64 scalar; the result has the dtype of x (other types are a
typing error: cast integers first, as NumPy would).  They work in @njit code,
including parallel=True/prange and fastmath=True callers, and from Python on
scalars.  Per-dtype versions: ``exp_f32(float32) -> float32``,
``exp_f64(float64) -> float64``, and likewise for the other six.

Special values follow NumPy: NaN -> NaN, signed zeros kept, overflow -> inf,
gradual underflow to subnormals (e.g. exp(-740.0), exp(np.float32(-100))),
subnormal inputs handled.  Deliberate difference: sigmoid(x) for very
negative x (float64 < -709.78, float32 < -88.7) returns the true subnormal
e**x where SciPy's expit overflows exp(-x) and returns 0.

Error bounds in ulps of the result dtype (parsed by the tests), with the
maxima measured on an FMA-capable x86 CPU: float32 exhaustively over all
2**32 inputs (reference: NumPy/SciPy in float64); float64 on 2.7e8 random
inputs per function over the whole range and its interesting part (reference:
NumPy in long double; mpmath for erf, 2e6 inputs):

    function  float64  float32    measured max float64 / float32
    exp         1.0      1.0        0.92 / 0.88
    log         1.0      1.0        0.83 / 0.84
    log1p       1.0      1.0        0.85 / 0.84
    expm1       1.5      1.5        1.40 / 1.35
    tanh        1.5      1.5        1.32 / 1.17
    sigmoid     2.0      2.0        1.91 / 1.97
    erf         1.5      1.5        1.42 / 1.46

Sources: the log/log1p cores and coefficients are FreeBSD msun / musl
(k_log.h, k_logf.h, s_log1p.c); tanh below 0.625 uses Cephes' rationals
(float64) and polynomial (float32); the exp and erf polynomials, and float32
tanh's e**2h above 0.625, are minimax fits made for this module (Remez, or
linear programming on a dense grid) against mpmath at 40 digits.
"""
import math

import numpy as np
from numba import njit, types
from numba.extending import intrinsic, overload

__all__ = [
    "vm_exp", "vm_log", "vm_log1p", "vm_expm1", "vm_tanh", "vm_sigmoid", "vm_erf",
    "exp_f32", "exp_f64", "log_f32", "log_f64", "log1p_f32", "log1p_f64",
    "expm1_f32", "expm1_f64", "tanh_f32", "tanh_f64", "sigmoid_f32",
    "sigmoid_f64", "erf_f32", "erf_f64",
]

# forceinline: LLVM "alwaysinline", so a loop calling these is vectorised
# whatever their size, and the inlined code keeps these flags even inside a
# fastmath=True caller (the NaN/inf selects survive).  error_model="numpy":
# no ZeroDivisionError branch on "/", which would block vectorisation.
# "contract" allows a*b+c -> FMA; nothing here relies on separate rounding.
_kernel = njit(forceinline=True, error_model="numpy", fastmath={"contract"},
               cache=False)


def _bitcast(to):
    def codegen(context, builder, sig, args):
        v = args[0]
        if isinstance(sig.args[0], types.Integer):   # first to int of `to` width
            v = context.cast(builder, v, sig.args[0], types.int64 if to.bitwidth == 64
                             else types.int32)
        return builder.bitcast(v, context.get_value_type(to))
    return codegen


@intrinsic
def _bits(typingctx, x):
    """The bits of a float as a signed integer of the same width."""
    ity = types.int64 if x.bitwidth == 64 else types.int32
    return ity(x), _bitcast(ity)


@intrinsic
def _f64(typingctx, i):
    """The float64 whose bits are the (int64-converted) integer i."""
    return types.float64(i), _bitcast(types.float64)


@intrinsic
def _f32(typingctx, i):
    """The float32 whose bits are the low 32 bits of the integer i."""
    return types.float32(i), _bitcast(types.float32)


@_kernel
def _horner(x, coeffs):
    """Polynomial with coefficients ordered from the constant term up."""
    acc = coeffs[len(coeffs) - 1]
    for i in range(len(coeffs) - 2, -1, -1):
        acc = acc * x + coeffs[i]
    return acc


def _f32c(*values):
    return tuple(np.float32(v) for v in values)


# ---------------------------------------------------------------- constants
# float64
_INF = math.inf
_NAN = math.nan
_LN2HI = 6.93147180369123816490e-01     # 32 significant bits: k*_LN2HI exact
_LN2LO = 1.90821492927058770002e-10
_INVLN2 = 1.4426950408889634
_SHIFT = 6755399441055744.0             # 1.5*2**52: x+_SHIFT rounds x to int
_SHIFT_BITS = int(np.float64(_SHIFT).view(np.int64))
# exp(r) = 1 + r + r*r*P(r), |r| <= ln2/2: minimax, rel. error 2**-57.8
_EXP_P = (0.5000000000000011701, 0.16666666666666386306, 0.041666666666519153775,
          0.0083333333335076553937, 0.0013888888946919912426,
          0.00019841269486178039476, 0.000024801489352258814358,
          2.7557597169366517594e-6, 2.7631687362486501112e-7,
          2.4998998697438508782e-8)
_LG_ODD = (6.666666666666735130e-01, 2.857142874366239149e-01,
           1.818357216161805012e-01, 1.479819860511658591e-01)
_LG_EVEN = (3.999999999940941908e-01, 2.222219843214978396e-01,
            1.531383769920937332e-01)
_SQRT1_2_BITS = 0x3FE6A09E667F3BCD       # bits of sqrt(2)/2
_TANH_P = (-1.61468768441708447952e3, -9.92877231001918586564e1,
           -9.64399179425052238628e-1)
_TANH_Q = (4.84406305325125486048e3, 2.23548839060100448583e3,
           1.12811678491632931402e2, 1.0)
# erf(x) = x + x*S(x*x) for |x| < 0.84375 (rel. error 2**-56.5);
# erf(a) = 1 - exp(-a*a)*L(u), u = _ERF_U2A/(2+a) + _ERF_UB in [-1, 1] for
# 0.84375 <= a <= 6 (error 2**-57.4 relative to erf).
_ERF_S = (0.12837916709551256, -0.37612638903183376, 0.11283791670934191,
          -0.02686617064058085, 0.005223977574577762, -0.0008548323697516379,
          0.00012055196972240435, -1.4922063263689957e-05, 1.6400937149889671e-06,
          -1.570990439684421e-07, 1.0713824985165146e-08)
_ERF_L = (0.23596376710824213, 0.18364341171616572, 0.04739315536326354,
          0.007277265457984861, 0.00022528018754996467, -0.0001285250865850443,
          -1.0098357222217824e-05, 3.7428514442572526e-06, 2.1233488795690505e-07,
          -1.4906562345898916e-07, 5.24253432717803e-09, 5.108844786754724e-09,
          -8.345775418250592e-10)
_ERF_U2A = 8.824242424242424
_ERF_UB = -2.103030303030303

# float32 (module-level np.float32 globals are frozen as float32 constants)
_F0, _F1, _F2 = np.float32(0), np.float32(1), np.float32(2)
_FHALF = np.float32(0.5)
_FINF = np.float32(np.inf)
_FNAN = np.float32(np.nan)
_FLN2HI = np.float32(0.693359375)           # 9 significant bits
_FLN2LO = np.float32(-2.12194440e-4)
_FINVLN2 = np.float32(1.442695)
_FSHIFT = np.float32(12582912.0)            # 1.5*2**23
_FSHIFT_BITS = int(_FSHIFT.view(np.int32))
# float32 fits: exp as above (rel. error 2**-27.9); erf with the float64
# forms for a <= 4 (S: 2**-27.4, L: 2**-31.8)
_FEXP_P = _f32c(0.49999994, 0.16666515, 0.041668456, 0.008369419, 0.0013813146)
_FLOG_LN2HI = np.float32(6.9313812256e-01)  # msun logf's split of ln 2
_FLOG_LN2LO = np.float32(9.0580006145e-06)
_FLG_ODD = _f32c(0.66666662693, 0.28498786688)
_FLG_EVEN = _f32c(0.40000972152, 0.24279078841)
_FSQRT1_2_BITS = 0x3F3504F3
_FTANH_P = _f32c(-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2,
                 2.06390887954e-2, -5.70498872745e-3)
# tanh_f32 above 0.625: 2a = k*ln2 + 2h, e**2h = 1 + h*E(h) for |h| <= ln2/4
# (rel. error 2**-28); ln2 as a single float32 constant (see tanh_f32)
_FTANH_2_INVLN2 = np.float32(2 / math.log(2))
_FTANH_NEG_LN2_2 = np.float32(-math.log(2) / 2)
_FTANH_SHIFT = np.float32(12582912.0 + 127)  # 1.5*2**23 + 127: t's low bits = k + 127
_FTANH_E = _f32c(2.0, 1.999999761581421, 1.3333216905593872, 0.6666942238807678,
                 0.26779985427856445, 0.0884130597114563)
_FERF_S = _f32c(0.12837916612625122, -0.3761257529258728, 0.11282775551080704,
                -0.026805104687809944, 0.005055622197687626,
                -0.0006342919077724218)
_FERF_L = _f32c(0.27137166261672974, 0.16471071541309357, 0.0342678427696228,
                0.004023610148578882, 4.3312247726134956e-05,
                -4.906380127067678e-05)
_FERF_U2A = np.float32(10.811881065368652)
_FERF_UB = np.float32(-2.8019802570343018)


# --------------------------------------------------------------------- exp
@_kernel
def _exp_reduce(x):
    """x = k*ln2 + r with |r| <= ln2/2 (valid for |x| < 2**10).

    Returns (r, q, k) with expm1(x - k*ln2) = r + q to ~2**-57 relative; the
    small q (which includes the rounding error of r) is kept apart so that
    callers add it last."""
    t = x * _INVLN2 + _SHIFT
    kf = t - _SHIFT
    hi = x - kf * _LN2HI                 # exact (Cody-Waite)
    r = hi - kf * _LN2LO
    c = (hi - r) - kf * _LN2LO           # rounding error of r
    return r, r * r * _horner(r, _EXP_P) + c, _bits(t) - _SHIFT_BITS


@_kernel
def _fexp_reduce(x):
    t = x * _FINVLN2 + _FSHIFT
    kf = t - _FSHIFT
    hi = x - kf * _FLN2HI
    r = hi - kf * _FLN2LO
    c = (hi - r) - kf * _FLN2LO
    return r, r * r * _horner(r, _FEXP_P) + c, _bits(t) - _FSHIFT_BITS


@_kernel
def _scale(y, k):
    """y * 2**k for -2044 <= k <= 2046: two factors keep each 2**k normal,
    so overflow and gradual underflow come out of a single rounding."""
    k1 = k >> 1
    return y * _f64((k1 + 1023) << 52) * _f64((k - k1 + 1023) << 52)


@_kernel
def _fscale(y, k):
    k1 = k >> 1
    return y * _f32((k1 + 127) << 23) * _f32((k - k1 + 127) << 23)


@_kernel
def exp_f64(x):
    # clamping keeps k in _scale's range; beyond it the result is 0 or inf anyway
    xc = min(max(x, -746.0), 710.0)
    r, q, k = _exp_reduce(xc)
    y = _scale(1.0 + (r + q), k)
    return y if x == x else x


@_kernel
def exp_f32(x):
    xc = min(max(x, np.float32(-104.0)), np.float32(89.0))
    r, q, k = _fexp_reduce(xc)
    y = _fscale(_F1 + (r + q), k)
    return y if x == x else x


@_kernel
def expm1_f64(x):
    xc = min(max(x, -40.0), 710.0)     # expm1(-40) rounds to -1
    r, q, k = _exp_reduce(xc)
    # 2**k*(1 + r + q) - 1, summed so that the big terms (2**k - 1, exact for
    # k <= 53, and 2**k*r, exact) go first and the small q term last
    two_k = _f64((k + 1023) << 52)
    y = ((two_k - 1.0) + two_k * r) + two_k * q
    y = _scale(1.0 + (r + q), k) if k > 56 else y  # -1 negligible; k may be 1024
    y = x if x == 0.0 else y                        # keeps -0.0
    return y if x == x else x


@_kernel
def expm1_f32(x):
    xc = min(max(x, np.float32(-18.0)), np.float32(89.0))
    r, q, k = _fexp_reduce(xc)
    two_k = _f32((k + 127) << 23)
    y = ((two_k - _F1) + two_k * r) + two_k * q
    y = _fscale(_F1 + (r + q), k) if k > 25 else y
    y = x if x == _F0 else y
    return y if x == x else x


# --------------------------------------------------------------------- log
@_kernel
def _log_core(f, dk, c):
    """log(1+f) + c + dk*ln2 for sqrt(2)/2 <= 1+f < sqrt(2) (msun k_log.h)."""
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * _horner(w, _LG_ODD) + w * _horner(w, _LG_EVEN)
    return s * (hfsq + r) + (dk * _LN2LO + c) - hfsq + f + dk * _LN2HI


@_kernel
def _flog_core(f, dk, c):
    hfsq = _FHALF * f * f
    s = f / (_F2 + f)
    z = s * s
    w = z * z
    r = z * _horner(w, _FLG_ODD) + w * _horner(w, _FLG_EVEN)
    return s * (hfsq + r) + (dk * _FLOG_LN2LO + c) - hfsq + f + dk * _FLOG_LN2HI


@_kernel
def log_f64(x):
    sub = x < 2.2250738585072014e-308           # subnormal: scale up by 2**54
    xs = x * 18014398509481984.0 if sub else x
    # adding 1 - sqrt(2)/2 to the mantissa bits carries into the exponent
    # exactly when the mantissa >= sqrt(2): the split m in [sqrt(2)/2, sqrt(2))
    ix = _bits(xs) + (0x3FF0000000000000 - _SQRT1_2_BITS)
    k = (ix >> 52) - (1023 + 54 if sub else 1023)
    m = _f64((ix & 0x000FFFFFFFFFFFFF) + _SQRT1_2_BITS)
    y = _log_core(m - 1.0, np.float64(np.int32(k)), 0.0)
    y = -_INF if x == 0.0 else y
    y = _NAN if x < 0.0 else y
    return y if x < _INF else x                  # +inf, nan


@_kernel
def log_f32(x):
    sub = x < np.float32(1.17549435e-38)
    xs = x * np.float32(33554432.0) if sub else x   # 2**25
    ix = _bits(xs) + (0x3F800000 - _FSQRT1_2_BITS)
    k = (ix >> 23) - (127 + 25 if sub else 127)
    m = _f32((ix & 0x007FFFFF) + _FSQRT1_2_BITS)
    y = _flog_core(m - _F1, np.float32(np.int32(k)), _F0)
    y = -_FINF if x == _F0 else y
    y = _FNAN if x < _F0 else y
    return y if x < _FINF else x


@_kernel
def log1p_f64(x):
    u = 1.0 + x
    iu = _bits(u) + (0x3FF0000000000000 - _SQRT1_2_BITS)
    k = (iu >> 52) - 1023
    # c/u corrects for the rounding of 1+x (exact differences, msun s_log1p.c)
    c = (1.0 - (u - x) if k >= 2 else x - (u - 1.0)) / u
    m = _f64((iu & 0x000FFFFFFFFFFFFF) + _SQRT1_2_BITS)
    y = _log_core(m - 1.0, np.float64(np.int32(k)), c)
    y = x if x == 0.0 else y                    # keeps -0.0
    y = -_INF if x == -1.0 else y
    y = _NAN if x < -1.0 else y
    return y if x < _INF else x


@_kernel
def log1p_f32(x):
    u = _F1 + x
    iu = _bits(u) + (0x3F800000 - _FSQRT1_2_BITS)
    k = (iu >> 23) - 127
    c = (_F1 - (u - x) if k >= 2 else x - (u - _F1)) / u
    m = _f32((iu & 0x007FFFFF) + _FSQRT1_2_BITS)
    y = _flog_core(m - _F1, np.float32(np.int32(k)), c)
    y = x if x == _F0 else y
    y = -_FINF if x == -_F1 else y
    y = _FNAN if x < -_F1 else y
    return y if x < _FINF else x


# ---------------------------------------------------- tanh, sigmoid, erf
@_kernel
def tanh_f64(x):
    a = min(abs(x), 20.0)                 # tanh(20) rounds to 1
    z = x * x
    small = a < 0.625
    r, q, k = _exp_reduce(a + a)
    e = (1.0 + (r + q)) * _f64((k + 1023) << 52)
    # one division for both branches: Cephes' a + a*z*P/Q, or 1 - 2/(e**2a + 1)
    d = (z * _horner(z, _TANH_P) if small else 2.0) / (
        _horner(z, _TANH_Q) if small else e + 1.0)
    y = math.copysign(a + a * d if small else 1.0 - d, x)
    return y if x == x else x


@_kernel
def tanh_f32(x):
    a = abs(x)
    a = np.float32(10.0) if a > np.float32(10.0) else a   # tanh(10) rounds to 1; NaN passes
    # a >= 0.625: 1 - 2/(e**2a + 1), 2a = k*ln2 + 2h.  No Cody-Waite split or correction
    # term: float32 ln2 errs by k*1.9e-9 in 2a, and an error in e**2a reaches tanh
    # scaled by 2e/(e + 1)**2 <= 0.35 (~2**(1-k)): under 0.03 ulp.
    # e**2a + 1 = 2**k*h*E(h) + (2**k + 1) in one rounding (fma).
    t = a * _FTANH_2_INVLN2 + _FTANH_SHIFT
    h = (t - _FTANH_SHIFT) * _FTANH_NEG_LN2_2 + a
    two_k = _f32(_bits(t) << 23)
    e1 = (two_k * h) * _horner(h, _FTANH_E) + (two_k + _F1)
    z = a * a
    small = a + a * z * _horner(z, _FTANH_P)         # Cephes tanhf, |x| < 0.625
    # this way round the select and 1 - d compile to one masked subtraction; NaN -> small
    y = _F1 - _F2 / e1 if a >= np.float32(0.625) else small
    return math.copysign(y, x)


@_kernel
def sigmoid_f64(x):
    e = exp_f64(-abs(x))               # in (0, 1]: no overflow, exact denormals
    s = 1.0 + e
    ds = (1.0 - s) + e                 # exact rounding error of s (Fast2Sum)
    y = (1.0 if x >= 0.0 else e) / s
    # y*(1 - ds/s), with 1/s = y (x >= 0) or 1 - y (x < 0)
    y = y - y * ds * (y if x >= 0.0 else 1.0 - y)
    return y if x == x else x


@_kernel
def sigmoid_f32(x):
    e = exp_f32(-abs(x))
    s = _F1 + e
    ds = (_F1 - s) + e
    y = (_F1 if x >= _F0 else e) / s
    y = y - y * ds * (y if x >= _F0 else _F1 - y)
    return y if x == x else x


@_kernel
def erf_f64(x):
    a = min(abs(x), 6.0)                  # erf(6) rounds to 1
    z = x * x
    small = x + x * _horner(z, _ERF_S)
    # 1 - erfc(a), erfc(a) = exp(-a*a) * L(u) with u an affine map of 2/(2+a)
    r, q, k = _exp_reduce(-(a * a))
    u = _ERF_U2A / (2.0 + a) + _ERF_UB
    large = 1.0 - (1.0 + (r + q)) * _f64((k + 1023) << 52) * _horner(u, _ERF_L)
    y = small if a < 0.84375 else math.copysign(large, x)
    return y if x == x else x


@_kernel
def erf_f32(x):
    a = min(abs(x), np.float32(4.0))
    z = x * x
    small = x + x * _horner(z, _FERF_S)
    r, q, k = _fexp_reduce(-(a * a))
    u = _FERF_U2A / (_F2 + a) + _FERF_UB
    large = _F1 - (_F1 + (r + q)) * _f32((k + 127) << 23) * _horner(u, _FERF_L)
    y = small if a < np.float32(0.84375) else math.copysign(large, x)
    return y if x == x else x


# ------------------------------------------------------- generic entry points
def _generic(name, f32, f64):
    def func(x):
        return (f32 if isinstance(x, np.float32) else f64)(x)
    func.__name__ = func.__qualname__ = name
    func.__doc__ = f"{name}(x): same dtype as x (float32 or float64)."

    @overload(func, jit_options={"forceinline": True})
    def _typed(x):
        if x == types.float32:
            return lambda x: f32(x)
        if x == types.float64:
            return lambda x: f64(x)
    return func


vm_exp = _generic("vm_exp", exp_f32, exp_f64)
vm_log = _generic("vm_log", log_f32, log_f64)
vm_log1p = _generic("vm_log1p", log1p_f32, log1p_f64)
vm_expm1 = _generic("vm_expm1", expm1_f32, expm1_f64)
vm_tanh = _generic("vm_tanh", tanh_f32, tanh_f64)
vm_sigmoid = _generic("vm_sigmoid", sigmoid_f32, sigmoid_f64)
vm_erf = _generic("vm_erf", erf_f32, erf_f64)
