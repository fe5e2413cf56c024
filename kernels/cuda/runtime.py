"""Device functions the generated kernels call (`from kernels.cuda.runtime import *`).

On a GPU they are `cuda.jit(device=True)` functions, the rounding ones through libdevice
(Numba's math.floor returns an int64, and NumPy's ufuncs do not type in CUDA kernels);
under the simulator the same names are plain Python on NumPy scalars."""
from __future__ import annotations

import math

import numpy as np

from .device import cuda_module, is_simulator

__all__ = ["nf_max", "nf_min", "floor_f32", "floor_f64", "ceil_f32", "ceil_f64",
           "rint_f32", "rint_f64", "cbrt_f32", "cbrt_f64", "is_finite"]

cuda = cuda_module()


@cuda.jit(device=True, inline="always")
def nf_max(a, b):
    """np.maximum on scalars: a NaN in either operand wins."""
    return a if (a > b or a != a) else b


@cuda.jit(device=True, inline="always")
def nf_min(a, b):
    return a if (a < b or a != a) else b


@cuda.jit(device=True, inline="always")
def is_finite(a):
    return not (math.isinf(a) or math.isnan(a))


if is_simulator():
    def _sim(fn, dtype):
        return lambda x: dtype(fn(dtype(x)))

    floor_f32, floor_f64 = _sim(np.floor, np.float32), _sim(np.floor, np.float64)
    ceil_f32, ceil_f64 = _sim(np.ceil, np.float32), _sim(np.ceil, np.float64)
    rint_f32, rint_f64 = _sim(np.rint, np.float32), _sim(np.rint, np.float64)
    cbrt_f32, cbrt_f64 = _sim(np.cbrt, np.float32), _sim(np.cbrt, np.float64)
else:
    from numba.cuda import libdevice

    @cuda.jit(device=True, inline="always")
    def floor_f32(x):
        return libdevice.floorf(x)

    @cuda.jit(device=True, inline="always")
    def floor_f64(x):
        return libdevice.floor(x)

    @cuda.jit(device=True, inline="always")
    def ceil_f32(x):
        return libdevice.ceilf(x)

    @cuda.jit(device=True, inline="always")
    def ceil_f64(x):
        return libdevice.ceil(x)

    @cuda.jit(device=True, inline="always")
    def rint_f32(x):
        return libdevice.rintf(x)

    @cuda.jit(device=True, inline="always")
    def rint_f64(x):
        return libdevice.rint(x)

    @cuda.jit(device=True, inline="always")
    def cbrt_f32(x):
        return libdevice.cbrtf(x)

    @cuda.jit(device=True, inline="always")
    def cbrt_f64(x):
        return libdevice.cbrt(x)
