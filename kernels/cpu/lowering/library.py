"""dot_general through BLAS, one gemm per batch element: NumPy's own BLAS where
kernels/cpu/blas.py finds it (blas.gemm_*), else `np.dot` inside Numba (SciPy's BLAS,
runtime.matmul_*) on 2-D views of the flat buffers. An operand whose axes are already in
(batch, rows, cols) order in memory is used in place, row-major, or transposed when its
last two axes are swapped; any other layout is copied contiguous first. BLAS types float32
and float64 only, so mixed float operands are cast to the result dtype, and integer or
boolean contractions run runtime.int_matmul in the result dtype (which wraps like NumPy's)."""
from __future__ import annotations

from tracer.ops.linalg import free_axes

from tracer.types import ArrayType

from ...shapes import prod

from .. import blas
from ..emitter import ArrayRef

__all__ = ["lower_dot_general"]


def _operand(em, v, batch, rows, cols, dtype, allow_transposed: bool):
    """(buffer, offset expression, transposed?) of v as a stack of (rows, cols) matrices:
    in place when v's memory (contiguous, or a transpose of contiguous memory) holds its
    axes in (batch, rows, cols) order, or transposed in (batch, cols, rows) order; else a
    contiguous copy."""
    ref = em.ref(v)
    base = tuple(range(v.aval.ndim)) if ref.contiguous else ref.perm
    if ref.aval.dtype == dtype and base is not None:
        identity = tuple(range(v.aval.ndim))
        if tuple(base[a] for a in tuple(batch) + tuple(rows) + tuple(cols)) == identity:
            return ref.buf, em.start(ref), 0
        flipped = tuple(base[a] for a in tuple(batch) + tuple(cols) + tuple(rows))
        if allow_transposed and (blas.AVAILABLE or not batch) and flipped == identity:
            return ref.buf, em.start(ref), 1   # (np.dot: unbatched only)
    order = tuple(batch) + tuple(rows) + tuple(cols)
    shape = tuple(v.aval.shape[a] for a in order)
    src = ArrayRef(ref.buf, ArrayType(shape, ref.aval.dtype), ref.offset,
                   tuple(ref.stride_values()[a] for a in order), ref.zero_offset)
    dst = em.alloc_buffer(ArrayType(shape, dtype), fresh=False)
    em.copy(src, dst)
    return dst.buf, em.start(dst), 0


def lower_dot_general(em, op):
    x, y = op.inputs
    out = op.outputs[0]
    (xc, yc), (xb, yb) = op.params["contract"], op.params["batch"]
    xf, yf = free_axes(x.aval.ndim, xc, xb), free_axes(y.aval.ndim, yc, yb)
    key = id(op)
    b = em.dim(prod([x.aval.shape[a] for a in xb]), (key, "b"))
    m = em.dim(prod([x.aval.shape[a] for a in xf]), (key, "m"))
    k = em.dim(prod([x.aval.shape[a] for a in xc]), (key, "k"))
    n = em.dim(prod([y.aval.shape[a] for a in yf]), (key, "n"))
    dtype = out.aval.dtype
    use_blas = dtype.kind == "f"
    a, ao, at = _operand(em, x, xb, xf, xc, dtype, use_blas)
    c, co, ct = _operand(em, y, yb, yc, yf, dtype, use_blas)
    o = em.alloc(out)
    oo = em.start(o)
    if use_blas and blas.AVAILABLE:
        em.emit(f"gemm_{dtype.name}({a}, {ao}, {em.int_arg(at)}, {c}, {co}, {em.int_arg(ct)}, "
                f"{o.buf}, {oo}, {b}, {m}, {n}, {k})")
    elif use_blas:
        layouts = "cf"[at] + "cf"[ct]
        em.emit(f"matmul_{layouts}({a}, {ao}, {c}, {co}, {o.buf}, {oo}, {b}, {m}, {n}, {k})")
    else:
        em.emit(f"int_matmul({a}, {ao}, {c}, {co}, {o.buf}, {oo}, {b}, {m}, {n}, {k})")
