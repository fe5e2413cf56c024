"""Cumulative scans along one axis: cumsum, cumprod, cummax, cummin."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import ShapeError
from ..primitive import Primitive
from ..types import ArrayType

__all__ = ["CUMULATIVE", "cumsum", "cumprod", "cummax", "cummin"]

CUMULATIVE = {"cumsum": np.add, "cumprod": np.multiply, "cummax": np.maximum,
              "cummin": np.minimum}


@lru_cache(maxsize=None)
def _dtype(name, dtype):
    if name in ("cumsum", "cumprod"):
        return np.cumsum(np.zeros(1, dtype)).dtype
    return np.dtype(dtype)


def _cumulative(name, ufunc):
    def infer(x, *, axis):
        if not 0 <= axis < x.ndim:
            raise ShapeError(name, f"axis {axis} out of range", (x,))
        return ArrayType(x.shape, _dtype(name, x.dtype))

    def run(x, *, axis):
        x = np.asarray(x)
        return ufunc.accumulate(x, axis=axis, dtype=_dtype(name, x.dtype))
    return Primitive(name, "cumulative", infer, run)


cumsum, cumprod, cummax, cummin = (_cumulative(n, u) for n, u in CUMULATIVE.items())
