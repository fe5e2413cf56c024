"""Reductions over a tuple of axes (normalised, non-negative). keepdims is a reshape in
the NumPy front end, so the primitives never keep dimensions."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import ShapeError
from ..primitive import Primitive
from ..types import ArrayType

__all__ = ["REDUCTIONS", "reduce_sum", "reduce_prod", "reduce_max", "reduce_min",
           "reduce_any", "reduce_all", "argmax", "argmin"]

REDUCTIONS = {"reduce_sum": np.sum, "reduce_prod": np.prod, "reduce_max": np.max,
              "reduce_min": np.min, "reduce_any": np.any, "reduce_all": np.all}
_NEEDS_ELEMENTS = {"reduce_max", "reduce_min"}


@lru_cache(maxsize=None)
def _reduced_dtype(fn, dtype):
    return fn(np.zeros(1, dtype)).dtype


def _check_axes(name, x, axes):
    if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
        raise ShapeError(name, f"axes {axes} out of range or repeated", (x,))


def _reduction(name, fn):
    def infer(x, *, axes):
        _check_axes(name, x, axes)
        if name in _NEEDS_ELEMENTS and any(x.shape[a] == 0 for a in axes):
            raise ShapeError(name, "zero-size array to reduction with no identity", (x,))
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return ArrayType(shape, _reduced_dtype(fn, x.dtype))

    def run(x, *, axes):
        return fn(x, axis=axes)
    return Primitive(name, "reduction", infer, run,
                     differentiable=name not in ("reduce_any", "reduce_all"))


reduce_sum, reduce_prod, reduce_max, reduce_min, reduce_any, reduce_all = (
    _reduction(n, f) for n, f in REDUCTIONS.items())


def _arg_reduction(name, fn):
    def infer(x, *, axis):
        _check_axes(name, x, (axis,))
        if x.shape[axis] == 0:
            raise ShapeError(name, "attempt to get arg of an empty sequence", (x,))
        return ArrayType(x.shape[:axis] + x.shape[axis + 1:], np.intp)

    def run(x, *, axis):
        return fn(x, axis=axis)
    return Primitive(name, "reduction", infer, run, differentiable=False)


argmax = _arg_reduction("argmax", np.argmax)
argmin = _arg_reduction("argmin", np.argmin)
