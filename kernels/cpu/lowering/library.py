"""dot_general through BLAS: runtime.matmul_* call `np.dot` inside Numba (scipy's BLAS) on
2-D views of the flat buffers, one call per batch element. An operand whose axes are
already in (batch, rows, cols) order in memory is used in place, C-ordered, or F-ordered
when it is a transposed matrix; any other layout is copied contiguous first. BLAS types
float32 and float64 only, so mixed float operands are cast to the result dtype, and
integer or boolean contractions run runtime.int_matmul in the result dtype (which wraps
like NumPy's)."""
from __future__ import annotations

import numpy as np

from tracer.ops.linalg import free_axes

from tracer.types import ArrayType

from ..emitter import ArrayRef

__all__ = ["lower_dot_general"]


def _prod(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _operand(em, v, batch, rows, cols, dtype, allow_transposed: bool):
    """(buffer, offset expression, transposed?) of v as a stack of (rows, cols) matrices."""
    ref = em.ref(v)
    order = tuple(batch) + tuple(rows) + tuple(cols)
    if ref.aval.dtype == dtype:
        if ref.contiguous and order == tuple(range(v.aval.ndim)):
            return ref.buf, em.offset(ref) or "0", 0
        # a transposed matrix: (cols, rows) contiguous in memory, so F-ordered as (rows, cols)
        flipped = tuple(batch) + tuple(cols) + tuple(rows)
        if allow_transposed and not batch and ref.contiguous \
                and flipped == tuple(range(v.aval.ndim)):
            return ref.buf, em.offset(ref) or "0", 1
    shape = tuple(v.aval.shape[a] for a in order)
    src = ArrayRef(ref.buf, ArrayType(shape, ref.aval.dtype), ref.offset,
                   tuple(ref.stride_values()[a] for a in order), ref.zero_offset)
    dst = em.alloc_buffer(ArrayType(shape, dtype), fresh=False)
    em.copy(src, dst)
    return dst.buf, em.offset(dst) or "0", 0


def lower_dot_general(em, op):
    x, y = op.inputs
    out = op.outputs[0]
    (xc, yc), (xb, yb) = op.params["contract"], op.params["batch"]
    xf, yf = free_axes(x.aval.ndim, xc, xb), free_axes(y.aval.ndim, yc, yb)
    key = id(op)
    b = em.dim(_prod([x.aval.shape[a] for a in xb]), (key, "b"))
    m = em.dim(_prod([x.aval.shape[a] for a in xf]), (key, "m"))
    k = em.dim(_prod([x.aval.shape[a] for a in xc]), (key, "k"))
    n = em.dim(_prod([y.aval.shape[a] for a in yf]), (key, "n"))
    dtype = out.aval.dtype
    blas = dtype.kind == "f"
    a, ao, at = _operand(em, x, xb, xf, xc, dtype, blas)
    c, co, ct = _operand(em, y, yb, yc, yf, dtype, blas)
    o = em.alloc(out)
    oo = em.offset(o) or "0"
    if blas:
        layouts = "cf"[at] + "cf"[ct]
        em.emit(f"matmul_{layouts}({a}, {ao}, {c}, {co}, {o.buf}, {oo}, {b}, {m}, {n}, {k})")
    else:
        em.emit(f"int_matmul({a}, {ao}, {c}, {co}, {o.buf}, {oo}, {b}, {m}, {n}, {k})")
