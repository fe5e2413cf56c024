"""Small helpers every NumPy-level function uses: axis normalisation, casts, reshapes.
They take Tracers, arrays and scalars alike (without a Tracer a primitive runs NumPy)."""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ops import elementwise as E
from ..ops import shape as S
from ..tracer import Tracer
from ..types import type_of

__all__ = ["aval", "normalize_axis", "normalize_axes", "astype", "reshape", "broadcast_to",
           "transpose", "moveaxis", "expand_dims", "as_operand", "is_traced"]


def aval(x):
    return type_of(x)


def is_traced(x) -> bool:
    return isinstance(x, Tracer)


def as_operand(x):
    """Tracers, arrays and scalars pass; lists and tuples become arrays."""
    if isinstance(x, (Tracer, np.ndarray, np.generic, bool, int, float, complex)):
        return x
    if isinstance(x, (list, tuple)) and any(isinstance(e, Tracer) for e in _leaves(x)):
        from .shape import stack
        return stack([as_operand(e) for e in x])
    return np.asarray(x)


def as_array_operand(x):
    """as_operand, but a Python scalar becomes a (strong) NumPy array, as NumPy's functions
    that call np.asarray on their inputs (dot, inner, tensordot, einsum, ufunc.outer) do:
    np.dot(float32_array, 2.0) is float64."""
    x = as_operand(x)
    return np.asarray(x) if isinstance(x, (bool, int, float, complex)) else x


def _leaves(x):
    for e in x:
        if isinstance(e, (list, tuple)):
            yield from _leaves(e)
        else:
            yield e


def normalize_axis(axis, ndim, op="op") -> int:
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ShapeError(op, f"axis {axis} is out of bounds for an array of dimension {ndim}")
    return axis % ndim


def normalize_axes(axis, ndim, op="op") -> tuple:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(a, ndim, op) for a in axis)
        if len(set(axes)) != len(axes):
            raise ShapeError(op, f"repeated axis in {axis}")
        return axes
    return (normalize_axis(axis, ndim, op),)


def astype(x, dtype):
    dtype = np.dtype(dtype)
    t = aval(x)
    if t.dtype == dtype and not t.weak:
        return x
    return E.convert.bind(x, dtype=dtype)


def reshape(x, shape):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)
    size = aval(x).size
    if shape.count(-1) == 1:
        known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
        if known == 0 or size % known:
            raise ShapeError("reshape", f"cannot reshape {size} elements into shape {shape}", (aval(x),))
        shape = tuple(size // known if d == -1 else d for d in shape)
    if shape == aval(x).shape:
        return x
    return S.reshape.bind(x, shape=shape)


def broadcast_to(x, shape):
    shape = tuple(int(d) for d in shape)
    return x if aval(x).shape == shape else S.broadcast_to.bind(x, shape=shape)


def transpose(x, perm):
    perm = tuple(int(p) for p in perm)
    return x if perm == tuple(range(len(perm))) else S.transpose.bind(x, perm=perm)


def moveaxis(x, source, destination):
    ndim = aval(x).ndim
    src = normalize_axes(source, ndim, "moveaxis")
    dst = normalize_axes(destination, ndim, "moveaxis")
    if len(src) != len(dst):
        raise ShapeError("moveaxis", "source and destination need the same number of axes")
    order = [a for a in range(ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


def expand_dims(x, axis):
    shape = list(aval(x).shape)
    axes = normalize_axes(axis, len(shape) + (len(axis) if isinstance(axis, (tuple, list)) else 1),
                          "expand_dims")
    for a in sorted(axes):
        shape.insert(a, 1)
    return reshape(x, shape)
