"""`dot_general`: one contraction primitive behind dot, matmul, tensordot, einsum, inner
and outer. Output axes: batch axes, then x's free axes, then y's free axes."""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..primitive import Primitive
from ..types import ArrayType, result_dtype

__all__ = ["dot_general", "free_axes"]


def free_axes(ndim, contract, batch):
    return tuple(i for i in range(ndim) if i not in contract and i not in batch)


def _infer(x, y, *, contract, batch):
    (xc, yc), (xb, yb) = contract, batch
    ok = len(xc) == len(yc) and len(xb) == len(yb)
    ok = ok and all(0 <= a < x.ndim for a in xc + xb) and all(0 <= a < y.ndim for a in yc + yb)
    ok = ok and len(set(xc + xb)) == len(xc + xb) and len(set(yc + yb)) == len(yc + yb)
    if not ok:
        raise ShapeError("dot_general", f"bad axes contract={contract} batch={batch}", (x, y))
    for a, b in zip(xc + xb, yc + yb):
        if x.shape[a] != y.shape[b]:
            raise ShapeError("dot_general", f"size {x.shape[a]} of axis {a} does not match size "
                             f"{y.shape[b]} of axis {b}", (x, y))
    shape = (tuple(x.shape[a] for a in xb) + tuple(x.shape[a] for a in free_axes(x.ndim, xc, xb))
             + tuple(y.shape[a] for a in free_axes(y.ndim, yc, yb)))
    return ArrayType(shape, result_dtype(x, y), x.weak and y.weak)


def _numpy(x, y, *, contract, batch):
    """As a batched matmul: x -> (B, M, K), y -> (B, K, N)."""
    x, y = np.asarray(x), np.asarray(y)
    dtype = np.result_type(x, y)
    (xc, yc), (xb, yb) = contract, batch
    xf, yf = free_axes(x.ndim, xc, xb), free_axes(y.ndim, yc, yb)
    sizes = lambda a, axes: [a.shape[i] for i in axes]  # noqa: E731
    bshape, mshape, nshape = sizes(x, xb), sizes(x, xf), sizes(y, yf)
    k = int(np.prod(sizes(x, xc), dtype=np.int64))
    xm = np.transpose(x, xb + xf + xc).reshape(-1, int(np.prod(mshape, dtype=np.int64)), k)
    ym = np.transpose(y, yb + yc + yf).reshape(-1, k, int(np.prod(nshape, dtype=np.int64)))
    if not bshape:      # as 2-D: NumPy's 3-D matmul skips BLAS on a transposed operand's strides
        xm, ym = xm[0], ym[0]
    out = np.matmul(xm.astype(dtype, copy=False), ym.astype(dtype, copy=False))
    return out.reshape(bshape + mshape + nshape)


dot_general = Primitive("dot_general", "linalg", _infer, _numpy)
