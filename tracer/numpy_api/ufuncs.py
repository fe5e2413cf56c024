"""NumPy ufuncs on Tracers: the element-wise primitives, compositions of them, and the
ufunc methods (reduce, accumulate, outer) that map onto primitives."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.special

from ..ops import cumulative as C
from ..ops.elementwise import BINARY, UNARY, _dtype_key
from ..primitive import REGISTRY
from .basic import as_array_operand, astype, aval, normalize_axis, reshape
from .registry import implements_ufunc

P = REGISTRY
_LN2, _LN10 = float(np.log(2)), float(np.log(10))


def _direct(prim):
    return lambda *args: prim.bind(*args)


for _name, _ufunc in {**UNARY, **BINARY}.items():
    implements_ufunc(_ufunc)(_direct(P[_name]))


@lru_cache(maxsize=None)
def _loop(ufunc, keys):
    return ufunc.resolve_dtypes(keys + (None,) * ufunc.nout)[:ufunc.nin]


def _in_loop_dtypes(ufunc, *args):
    """The arguments cast to the input dtypes of the loop NumPy picks for them (bool and
    int8 -> float16 for float ufuncs, int16 -> float32, ...), so a composition computes
    in NumPy's dtype."""
    types = [aval(a) for a in args]
    dtypes = _loop(ufunc, tuple(_dtype_key(t) for t in types))
    out = [a if t.dtype == d else astype(a, d) for a, t, d in zip(args, types, dtypes)]
    return out[0] if len(out) == 1 else out


@implements_ufunc(np.positive)
def positive(x):
    return x


@implements_ufunc(np.square)
def square(x):
    x = _in_loop_dtypes(np.square, x)
    return P["mul"].bind(x, x)


@implements_ufunc(np.reciprocal)
def reciprocal(x):
    x = _in_loop_dtypes(np.reciprocal, x)
    if aval(x).dtype.kind in "fc":
        return P["div"].bind(1, x)
    # integer 1 / x truncates towards zero: only x = +-1 gives a nonzero result
    return P["select"].bind(P["eq"].bind(P["abs"].bind(x), 1), x, 0)


@implements_ufunc(np.exp2)
def exp2(x):
    return P["pow"].bind(2.0, _in_loop_dtypes(np.exp2, x))


@implements_ufunc(np.log2)
def log2(x):
    return P["div"].bind(P["log"].bind(x), _LN2)


@implements_ufunc(np.log10)
def log10(x):
    return P["div"].bind(P["log"].bind(x), _LN10)


@implements_ufunc(np.hypot)
def hypot(x, y):
    x, y = _in_loop_dtypes(np.hypot, x, y)
    return P["sqrt"].bind(P["add"].bind(square(x), square(y)))


def _logaddexp(x, y, log1p_exp, scale):
    m = P["max"].bind(x, y)
    tail = log1p_exp(P["neg"].bind(P["abs"].bind(P["sub"].bind(x, y))))
    # max(x, y) is already exact where it is infinite (and x - y would be nan there)
    return P["select"].bind(P["isfinite"].bind(m), P["add"].bind(m, P["mul"].bind(tail, scale)), m)


@implements_ufunc(np.logaddexp)
def logaddexp(x, y):
    x, y = _in_loop_dtypes(np.logaddexp, x, y)
    return _logaddexp(x, y, lambda d: P["log1p"].bind(P["exp"].bind(d)), 1.0)


@implements_ufunc(np.logaddexp2)
def logaddexp2(x, y):
    x, y = _in_loop_dtypes(np.logaddexp2, x, y)
    return _logaddexp(x, y, lambda d: P["log1p"].bind(P["pow"].bind(2.0, d)), 1 / _LN2)


@implements_ufunc(np.isinf)
def isinf(x):
    return P["and"].bind(P["invert"].bind(P["isfinite"].bind(x)),
                         P["invert"].bind(P["isnan"].bind(x)))


def _bool(x):
    return astype(x, np.bool_)


@implements_ufunc(np.logical_not)
def logical_not(x):
    return P["invert"].bind(_bool(x))


@implements_ufunc(np.logical_and)
def logical_and(x, y):
    return P["and"].bind(_bool(x), _bool(y))


@implements_ufunc(np.logical_or)
def logical_or(x, y):
    return P["or"].bind(_bool(x), _bool(y))


@implements_ufunc(np.logical_xor)
def logical_xor(x, y):
    return P["xor"].bind(_bool(x), _bool(y))


@implements_ufunc(np.fabs)
def fabs(x):
    return P["abs"].bind(_in_loop_dtypes(np.fabs, x))


@implements_ufunc(np.deg2rad, np.radians)
def deg2rad(x):
    return P["mul"].bind(_in_loop_dtypes(np.deg2rad, x), np.pi / 180)


@implements_ufunc(np.rad2deg, np.degrees)
def rad2deg(x):
    return P["mul"].bind(_in_loop_dtypes(np.rad2deg, x), 180 / np.pi)


@implements_ufunc(np.fmax)
def fmax(x, y):
    return P["select"].bind(P["isnan"].bind(y), x,
                            P["select"].bind(P["isnan"].bind(x), y, P["max"].bind(x, y)))


@implements_ufunc(np.fmin)
def fmin(x, y):
    return P["select"].bind(P["isnan"].bind(y), x,
                            P["select"].bind(P["isnan"].bind(x), y, P["min"].bind(x, y)))


@implements_ufunc(np.conjugate)
def conjugate(x):
    if aval(x).dtype.kind == "c":
        raise NotImplementedError("np.conjugate of complex traced arrays is not supported")
    return x


@implements_ufunc(scipy.special.expit)
def expit(x):
    """The logistic sigmoid, 1 / (1 + exp(-x)), written to stay finite for large |x|."""
    x = _in_loop_dtypes(scipy.special.expit, x)
    e = P["exp"].bind(P["neg"].bind(P["abs"].bind(x)))
    return P["select"].bind(P["ge"].bind(x, 0), P["div"].bind(1.0, P["add"].bind(1.0, e)),
                            P["div"].bind(e, P["add"].bind(1.0, e)))


# --- ufunc methods ---------------------------------------------------------------------
def _reduce_method(name):
    def reduce(x, axis=0, dtype=None, keepdims=False):
        from . import reductions
        extra = {} if dtype is None else {"dtype": dtype}   # any/all take no dtype
        return getattr(reductions, name)(x, axis=axis, keepdims=keepdims, **extra)
    return reduce


for _u, _name in ((np.add, "sum"), (np.multiply, "prod"), (np.maximum, "max"),
                  (np.minimum, "min"), (np.logical_and, "all"), (np.logical_or, "any")):
    implements_ufunc(_u, method="reduce")(_reduce_method(_name))


def _accumulate_method(prim):
    def accumulate(x, axis=0, dtype=None):
        x = x if dtype is None else astype(x, dtype)
        return prim.bind(x, axis=normalize_axis(axis, aval(x).ndim, prim.name))
    return accumulate


for _u, _p in ((np.add, C.cumsum), (np.multiply, C.cumprod), (np.maximum, C.cummax),
               (np.minimum, C.cummin)):
    implements_ufunc(_u, method="accumulate")(_accumulate_method(_p))


def _outer_method(ufunc):
    def outer(x, y):
        from .registry import call_ufunc
        x, y = as_array_operand(x), as_array_operand(y)     # np.asarray: scalars strong
        return call_ufunc(ufunc, (reshape(x, aval(x).shape + (1,) * aval(y).ndim), y), {})
    return outer


for _u in BINARY.values():
    implements_ufunc(_u, method="outer")(_outer_method(_u))
