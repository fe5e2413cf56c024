"""Shape arithmetic both backends share: element counts and C-order strides."""
from __future__ import annotations

import numpy as np

__all__ = ["prod", "c_strides"]


def prod(shape) -> int:
    """The number of elements of `shape` (1 for ())."""
    return int(np.prod(shape, dtype=np.int64))


def c_strides(shape) -> tuple:
    """Strides, in elements, of a C-contiguous array of `shape`."""
    out, step = [], 1
    for n in reversed(shape):
        out.append(step)
        step *= n
    return tuple(reversed(out))
