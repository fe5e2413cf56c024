"""`dot_general`: one contraction primitive behind dot, matmul, tensordot, einsum, inner
and outer. Output axes: batch axes, then x's free axes, then y's free axes."""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..primitive import Primitive
from ..types import ArrayType, result_dtype, type_of

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
    dtype = result_dtype(type_of(x), type_of(y))    # Python scalars weak, as in _infer
    x, y = np.asarray(x), np.asarray(y)
    (xc, yc), (xb, yb) = contract, batch
    xf, yf = free_axes(x.ndim, xc, xb), free_axes(y.ndim, yc, yb)
    sizes = lambda a, axes: [a.shape[i] for i in axes]  # noqa: E731
    size = lambda shape: int(np.prod(shape, dtype=np.int64))  # noqa: E731
    bshape, mshape, nshape = sizes(x, xb), sizes(x, xf), sizes(y, yf)
    # every size explicit: a -1 cannot be inferred beside a zero-size axis
    b, m, k, n = size(bshape), size(mshape), size(sizes(x, xc)), size(nshape)
    xm = np.transpose(x, xb + xf + xc).reshape(b, m, k)
    ym = np.transpose(y, yb + yc + yf).reshape(b, k, n)
    if not bshape:      # as 2-D: NumPy's 3-D matmul skips BLAS on a transposed operand's strides
        xm, ym = xm[0], ym[0]
    out = np.matmul(xm.astype(dtype, copy=False), ym.astype(dtype, copy=False))
    return out.reshape(bshape + mshape + nshape)


dot_general = Primitive("dot_general", "linalg", _infer, _numpy)
