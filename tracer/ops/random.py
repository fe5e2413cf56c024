"""`threefry2x32(key, count)`: the Threefry-2x32 block cipher (20 rounds, Salmon et al.,
"Parallel random numbers: as easy as 1, 2, 3", SC 2011), the counter-based generator
behind `tracer.random`. Operands are uint32 arrays whose last axis has size 2; leading
axes broadcast. The same key and counter give the same bits everywhere: eagerly, under
jit and under vmap."""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..primitive import Primitive
from ..types import ArrayType

__all__ = ["threefry2x32", "threefry_numpy"]

ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
PARITY = 0x1BD11BDA


def _rotl(x, r):
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def threefry_numpy(key0, key1, x0, x1):
    """The cipher on uint32 arrays (NumPy arithmetic wraps modulo 2**32)."""
    ks = (key0, key1, key0 ^ key1 ^ np.uint32(PARITY))
    x0, x1 = x0 + ks[0], x1 + ks[1]
    for block in range(5):
        for r in ROTATIONS[block % 2]:
            x0 = x0 + x1
            x1 = _rotl(x1, r) ^ x0
        x0 = x0 + ks[(block + 1) % 3]
        x1 = x1 + ks[(block + 2) % 3] + np.uint32(block + 1)
    return x0, x1


def _infer(key, count):
    for t in (key, count):
        if t.dtype != np.uint32 or not t.shape or t.shape[-1] != 2:
            raise ShapeError("threefry2x32", "key and count must be uint32 arrays with a last axis "
                             "of size 2", (key, count))
    try:
        lead = np.broadcast_shapes(key.shape[:-1], count.shape[:-1])
    except ValueError:
        raise ShapeError("threefry2x32", "leading axes do not broadcast", (key, count)) from None
    return ArrayType(lead + (2,), np.uint32)


def _numpy(key, count):
    key, count = np.asarray(key, np.uint32), np.asarray(count, np.uint32)
    with np.errstate(over="ignore"):
        y0, y1 = threefry_numpy(key[..., 0], key[..., 1], count[..., 0], count[..., 1])
    return np.stack([y0, y1], axis=-1)


threefry2x32 = Primitive("threefry2x32", "random", _infer, _numpy, differentiable=False)
