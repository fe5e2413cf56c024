"""Moving whole pytrees between the host and the device, for callers that keep their
arrays on the GPU across many program calls (nn's fit keeps a model's parameters there).

    d = to_device({"w": w, "b": b})     # numba device arrays, same shapes and dtypes
    out = jit(step, backend="cuda")(d, x)   # used zero-copy by the program
    h = to_host(out)                    # NumPy arrays again

The backend object exposes both as `device_put(tree)` and `device_get(tree)` (JAX's
names), so code that holds only a backend never imports numba.cuda. Python scalars stay
on the host: they are weakly typed inputs of jit, and a device copy would change the
compiled signature."""
from __future__ import annotations

from typing import Any

import numpy as np

from tracer.pytree import tree_map

from .device import require_cuda
from .program import is_device_array

__all__ = ["to_device", "to_host"]


def to_device(tree: Any) -> Any:
    """`tree` with every NumPy array or NumPy scalar leaf copied to the device (one
    host->device copy each, shape and dtype kept). Device arrays are left as they are."""
    cuda = require_cuda()

    def move(x):
        if isinstance(x, (np.ndarray, np.generic)):
            return cuda.to_device(np.asarray(x, order="C"))   # 0-d stays 0-d
        return x
    return tree_map(move, tree)


def to_host(tree: Any) -> Any:
    """`tree` with every device-array leaf copied to a fresh NumPy array (one device->host
    copy each, which waits for the kernels that write it). Other leaves are left as they are."""
    def fetch(x):
        if not is_device_array(x):
            return x
        if not hasattr(x, "copy_to_host"):       # CuPy, PyTorch: through numba's view of it
            x = require_cuda().as_cuda_array(x)
        return x.copy_to_host()
    return tree_map(fetch, tree)
