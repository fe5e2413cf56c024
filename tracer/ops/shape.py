"""Shape primitives: reshape, broadcast_to, transpose, slice, concatenate, pad.
Everything else (squeeze, expand_dims, stack, flip, roll, tile, ...) is a composition
written in the NumPy front end."""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..primitive import Primitive
from ..types import ArrayType, result_dtype

__all__ = ["reshape", "broadcast_to", "transpose", "slice_p", "concatenate", "pad"]


def _reshape_infer(x, *, shape):
    if int(np.prod(shape, dtype=np.int64)) != x.size:
        raise ShapeError("reshape", f"cannot reshape {x.size} elements into shape {shape}", (x,))
    return ArrayType(shape, x.dtype, x.weak)


reshape = Primitive("reshape", "shape", _reshape_infer,
                    lambda x, *, shape: np.reshape(x, shape))


def _broadcast_infer(x, *, shape):
    try:
        out = np.broadcast_shapes(x.shape, shape)
    except ValueError:
        out = None
    if out != tuple(shape):
        raise ShapeError("broadcast_to", f"cannot broadcast to shape {shape}", (x,))
    return ArrayType(shape, x.dtype, x.weak)


broadcast_to = Primitive("broadcast_to", "shape", _broadcast_infer,
                         lambda x, *, shape: np.broadcast_to(x, shape))


def _transpose_infer(x, *, perm):
    if sorted(perm) != list(range(x.ndim)):
        raise ShapeError("transpose", f"axes {perm} are not a permutation of {x.ndim} axes", (x,))
    return ArrayType(tuple(x.shape[p] for p in perm), x.dtype, x.weak)


transpose = Primitive("transpose", "shape", _transpose_infer,
                      lambda x, *, perm: np.transpose(x, perm))


def slice_bounds(start, count, step):
    """The Python slice taking `count` elements from `start` by `step`."""
    stop = start + step * count
    return slice(start, stop if stop >= 0 else None, step)


def _slice_infer(x, *, spec):
    """`spec`: per axis (start, count, step), normalised so every index is in range."""
    if len(spec) != x.ndim:
        raise ShapeError("slice", f"{len(spec)} slices for {x.ndim} axes", (x,))
    for (start, count, step), n in zip(spec, x.shape):
        if step == 0 or count < 0 or (count and not (0 <= start < n and 0 <= start + step * (count - 1) < n)):
            raise ShapeError("slice", f"slice {(start, count, step)} out of range for size {n}", (x,))
    return ArrayType(tuple(c for _, c, _ in spec), x.dtype, x.weak)


slice_p = Primitive("slice", "shape", _slice_infer,
                    lambda x, *, spec: np.asarray(x)[tuple(slice_bounds(*s) for s in spec)])


def _concatenate_infer(*xs, axis):
    first = xs[0]
    if not 0 <= axis < first.ndim:
        raise ShapeError("concatenate", f"axis {axis} out of range", xs)
    for x in xs:
        if x.ndim != first.ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, first.shape))
                                       if i != axis):
            raise ShapeError("concatenate", "all input dimensions except the concatenation axis "
                             "must match", xs)
    shape = list(first.shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    return ArrayType(shape, result_dtype(*xs), all(x.weak for x in xs))


concatenate = Primitive("concatenate", "shape", _concatenate_infer,
                        lambda *xs, axis: np.concatenate(xs, axis=axis))


def _pad_infer(x, value, *, widths):
    if len(widths) != x.ndim or any(lo < 0 or hi < 0 for lo, hi in widths):
        raise ShapeError("pad", f"pad widths {widths} do not fit {x.ndim} axes", (x, value))
    if value.ndim != 0:
        raise ShapeError("pad", "the pad value must be a scalar", (x, value))
    return ArrayType(tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, widths)), x.dtype, x.weak)


def _pad_numpy(x, value, *, widths):
    return np.pad(np.asarray(x), widths, constant_values=np.asarray(value).astype(np.asarray(x).dtype))


pad = Primitive("pad", "shape", _pad_infer, _pad_numpy)

for _p in (reshape, broadcast_to, transpose, slice_p):
    _p.view = True   # NumPy returns views for these: in-place updates of them are refused
