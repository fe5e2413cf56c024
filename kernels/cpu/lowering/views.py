"""reshape, transpose and slice as index arithmetic: the result shares its operand's
buffer with another offset and other strides, so no code runs at all (a reshape of a
strided view is the exception: it is copied contiguous first)."""
from __future__ import annotations

from ..emitter import ArrayRef

__all__ = ["lower_reshape", "lower_transpose", "lower_slice"]


def lower_reshape(em, op):
    x, out = op.inputs[0], op.outputs[0]
    src = em.contiguous(x)
    em.bind(out, ArrayRef(src.buf, out.aval, src.offset, None, src.zero_offset))


def lower_transpose(em, op):
    x, out = op.inputs[0], op.outputs[0]
    perm = tuple(op.params["perm"])
    ref = em.ref(x)
    if perm == tuple(range(len(perm))):
        em.bind(out, ArrayRef(ref.buf, out.aval, ref.offset, ref.strides, ref.zero_offset,
                              perm=ref.perm))
        return
    strides = ref.stride_values()
    # remember the permutation of contiguous memory: BLAS can take a transposed matrix
    base = tuple(range(len(perm))) if ref.contiguous else ref.perm
    em.bind(out, ArrayRef(ref.buf, out.aval, ref.offset, tuple(strides[p] for p in perm),
                          ref.zero_offset, perm=None if base is None else
                          tuple(base[p] for p in perm)))


def lower_slice(em, op):
    """Per axis (start, count, step): the offset moves to the first element, the strides
    scale by the steps (negative steps give negative strides; indices stay in range)."""
    x, out = op.inputs[0], op.outputs[0]
    ref = em.ref(x)
    strides = ref.stride_values()
    offset = ref.offset + sum(start * s for (start, _, _), s in zip(op.params["spec"], strides))
    new = tuple(s * step for (_, _, step), s in zip(op.params["spec"], strides))
    em.bind(out, ArrayRef(ref.buf, out.aval, offset, new))
