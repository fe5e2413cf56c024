"""Gathers and scatters along one axis, and argsort. NumPy's general indexing,
take_along_axis, sort, diagonal etc. are compositions in the front end."""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..primitive import Primitive
from ..types import ArrayType

__all__ = ["take", "scatter", "argsort", "SCATTER_MODES"]


def _check_index(name, idx, types):
    if idx.dtype.kind not in "iu":
        raise ShapeError(name, f"indices must be integers, not {idx.dtype}", types)


def _take_infer(x, idx, *, axis):
    _check_index("take", idx, (x, idx))
    if not 0 <= axis < x.ndim:
        raise ShapeError("take", f"axis {axis} out of range", (x, idx))
    return ArrayType(x.shape[:axis] + idx.shape + x.shape[axis + 1:], x.dtype, x.weak)


take = Primitive("take", "indexing", _take_infer,
                 lambda x, idx, *, axis: np.take(x, idx, axis=axis))

# mode -> how an update combines with what is there (None: replace)
SCATTER_MODES = {"set": None, "add": np.add, "mul": np.multiply, "min": np.minimum,
                 "max": np.maximum}


def _scatter_infer(x, idx, updates, *, axis, mode):
    _check_index("scatter", idx, (x, idx, updates))
    if mode not in SCATTER_MODES:
        raise ShapeError("scatter", f"unknown mode {mode!r}", (x, idx, updates))
    expected = x.shape[:axis] + idx.shape + x.shape[axis + 1:]
    if updates.shape != expected:
        raise ShapeError("scatter", f"updates must have shape {expected}", (x, idx, updates))
    return ArrayType(x.shape, x.dtype, x.weak)


def _scatter_numpy(x, idx, updates, *, axis, mode):
    out = np.array(x, copy=True)
    where = (slice(None),) * axis + (np.asarray(idx),)
    ufunc = SCATTER_MODES[mode]
    if ufunc is None:
        out[where] = updates
    else:
        ufunc.at(out, where, np.asarray(updates).astype(out.dtype))
    return out


scatter = Primitive("scatter", "indexing", _scatter_infer, _scatter_numpy)


def _argsort_infer(x, *, axis):
    if not 0 <= axis < x.ndim:
        raise ShapeError("argsort", f"axis {axis} out of range", (x,))
    return ArrayType(x.shape, np.intp)


argsort = Primitive("argsort", "indexing", _argsort_infer,
                    lambda x, *, axis: np.argsort(x, axis=axis, kind="stable"),
                    differentiable=False)
