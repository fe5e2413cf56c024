"""Helpers the derivative rules share. Every helper is written with primitives (or the
tracer's NumPy-level helpers), so it runs NumPy on arrays and records on Tracers, and
whatever it builds can be differentiated again."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from tracer.primitive import REGISTRY as P
from tracer.tracer import Tracer
from tracer.types import ArrayType, type_of

__all__ = ["ZERO", "aval", "zeros", "typed", "unbroadcast", "to_input", "to_output", "add", "mul",
           "keepdims_shape", "expand_reduced", "axis_slice", "flip", "shift", "unshift",
           "flat_along", "take_along", "scatter_add_along", "astype", "broadcast_to",
           "reshape", "transpose", "is_float"]


class _ZeroDerivative:
    """Marks a primitive whose derivative is zero everywhere it exists (comparisons,
    rounding, integer- or boolean-valued ops): no tangent and no cotangent flows."""

    def __repr__(self):
        return "ZERO"


ZERO = _ZeroDerivative()


@lru_cache(maxsize=4096)
def _array_type(shape: tuple, dtype: np.dtype) -> ArrayType:
    return ArrayType(shape, dtype)


def aval(x) -> ArrayType:
    """The ArrayType of a Tracer, array or scalar (cached for arrays: rules ask often)."""
    if isinstance(x, Tracer):
        return x.aval
    if isinstance(x, (np.ndarray, np.generic)):
        return _array_type(x.shape, x.dtype)
    return type_of(x)


# Shape and dtype changes that skip the no-ops (the derivative code asks for many).
def reshape(x, shape: tuple):
    shape = tuple(shape)
    return x if aval(x).shape == shape else P["reshape"].bind(x, shape=shape)


def broadcast_to(x, shape: tuple):
    shape = tuple(shape)
    return x if aval(x).shape == shape else P["broadcast_to"].bind(x, shape=shape)


def transpose(x, perm: tuple):
    perm = tuple(int(p) for p in perm)
    return x if perm == tuple(range(len(perm))) else P["transpose"].bind(x, perm=perm)


def astype(x, dtype):
    t = aval(x)
    return x if t.dtype == dtype and not t.weak else P["convert"].bind(x, dtype=np.dtype(dtype))


def is_float(t: ArrayType) -> bool:
    return t.dtype.kind in "fc"


def zeros(t: ArrayType):
    """A zero of type `t`: a plain array, so in a trace it is a constant, not an op."""
    return np.zeros(t.shape, t.dtype)


def typed(value, dtype):
    """`value` as a 0-d array of `dtype`: unlike a Python scalar it keeps NumPy's eager
    results in `dtype` (np.where(c, 0.5, 1.0) would be float64)."""
    return np.asarray(value, dtype=dtype)


def unbroadcast(ct, shape: tuple):
    """Sum `ct` over the axes that broadcasting added to an operand of `shape`."""
    ct_shape = aval(ct).shape
    if ct_shape == tuple(shape):
        return ct
    lead = len(ct_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and ct_shape[lead + i] != 1)
    if axes:
        ct = P["reduce_sum"].bind(ct, axes=axes)
    return reshape(ct, shape)


def to_input(ct, t: ArrayType):
    """A cotangent fitted to an input of type `t`: its shape and its dtype."""
    return astype(unbroadcast(ct, t.shape), t.dtype)


def to_output(tangent, t: ArrayType):
    """A tangent fitted to an output of type `t`: broadcast to its shape, in its dtype."""
    return astype(broadcast_to(tangent, t.shape), t.dtype)


def _is_one(v) -> bool:
    """Is `v` a concrete array of ones stored as one broadcast value (like the seed
    cotangent of grad spread over a reduction)? O(1): only zero-stride arrays qualify."""
    if isinstance(v, np.generic):
        return v == 1
    return (isinstance(v, np.ndarray) and not any(v.strides) and v.size > 0
            and v.reshape(-1)[0] == 1)


def mul(v, factor):
    """v * factor, where v is a tangent or cotangent; multiplying by the seed's ones is
    skipped (no op in the graph, no work eagerly)."""
    if _is_one(v):
        shape = np.broadcast_shapes(v.shape, aval(factor).shape)
        dtype = np.result_type(v.dtype, factor.dtype if hasattr(factor, "dtype") else factor)
        return broadcast_to(astype(factor, dtype), shape)
    return v * factor


def add(a, b):
    """Sum of two derivative contributions; None is a symbolic zero."""
    if a is None:
        return b
    if b is None:
        return a
    return P["add"].bind(a, b)


def keepdims_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def expand_reduced(ct, shape: tuple, axes: tuple):
    """A cotangent of a reduction over `axes`, broadcast back to the input's `shape`."""
    return broadcast_to(reshape(ct, keepdims_shape(shape, axes)), shape)


def axis_slice(x, axis: int, start: int, count: int, step: int = 1):
    """x[..., start:start+count*step:step, ...] along `axis`, as one slice primitive."""
    shape = aval(x).shape
    if (start, count, step) == (0, shape[axis], 1):
        return x
    spec = tuple((start, count, step) if i == axis else (0, n, 1) for i, n in enumerate(shape))
    return P["slice"].bind(x, spec=spec)


def flip(x, axis: int):
    n = aval(x).shape[axis]
    return x if n <= 1 else axis_slice(x, axis, n - 1, n, -1)


def _pad_axis(x, axis: int, lo: int, hi: int, fill):
    widths = tuple((lo, hi) if i == axis else (0, 0) for i in range(aval(x).ndim))
    return P["pad"].bind(x, typed(fill, aval(x).dtype), widths=widths)


def shift(x, d: int, axis: int, fill):
    """x moved `d` places forward along `axis`; the first `d` places hold `fill`."""
    n = aval(x).shape[axis]
    return _pad_axis(axis_slice(x, axis, 0, n - d), axis, d, 0, fill)


def unshift(ct, d: int, axis: int):
    """The transpose of `shift` (the filled places get nothing)."""
    n = aval(ct).shape[axis]
    return _pad_axis(axis_slice(ct, axis, d, n - d), axis, 0, d, 0)


def flat_along(index, shape: tuple, axis: int):
    """Flat positions in an array of `shape` of the elements picked by `index` along `axis`
    (index has `shape`; the other coordinates are the element's own)."""
    stride = int(np.prod(shape[axis + 1:], dtype=np.int64))
    coords = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.intp).reshape(shape)
    base = coords - (coords // stride % shape[axis]) * stride
    return P["add"].bind(P["mul"].bind(index, stride), base)


def take_along(x, index, axis: int):
    """np.take_along_axis(x, index, axis) for an index of x's own shape."""
    shape = aval(x).shape
    return P["take"].bind(reshape(x, (-1,)), flat_along(index, shape, axis), axis=0)


def scatter_add_along(ct, index, axis: int):
    """The transpose of `take_along`: ct[k] added at position index[k] along `axis`."""
    t = aval(ct)
    flat = P["scatter"].bind(zeros(ArrayType((t.size,), t.dtype)), flat_along(index, t.shape, axis),
                             ct, axis=0, mode="add")
    return reshape(flat, t.shape)
