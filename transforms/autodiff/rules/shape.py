"""Derivatives of the shape primitives. All are linear, so each JVP is the op itself on
the tangents, and each VJP moves the cotangent back: reshape back, sum the broadcast
axes, invert the permutation, scatter a slice into zeros, cut a concatenation apart,
crop a padding (the pad value's cotangent is the sum over the padded border)."""
from __future__ import annotations

import numpy as np

from tracer.primitive import REGISTRY as P
from tracer.types import ArrayType

from ._util import (aval, axis_slice, reshape, to_input, to_output, transpose, typed,
                    unbroadcast, zeros)

__all__ = ["JVP", "VJP"]


def _same_op(name):
    """JVP of a one-operand linear op: the op applied to the tangent."""
    def jvp(primals, tangents, out, **params):
        return P[name].bind(tangents[0], **params)
    return jvp


def _reshape_vjp(ct, primals, out, active, *, shape):
    return [to_input(reshape(ct, aval(primals[0]).shape), aval(primals[0]))]


def _broadcast_vjp(ct, primals, out, active, *, shape):
    return [to_input(unbroadcast(ct, aval(primals[0]).shape), aval(primals[0]))]


def _transpose_vjp(ct, primals, out, active, *, perm):
    return [to_input(transpose(ct, tuple(int(i) for i in np.argsort(perm))), aval(primals[0]))]


def _slice_vjp(ct, primals, out, active, *, spec):
    """Strided axes: scatter-add the cotangent into zeros at the taken positions; the
    unit-step axes then in one pad."""
    t = aval(primals[0])
    for axis, ((start, count, step), n) in enumerate(zip(spec, t.shape)):
        if step != 1:
            shape = aval(ct).shape
            full = zeros(ArrayType(shape[:axis] + (n,) + shape[axis + 1:], aval(ct).dtype))
            where = np.arange(start, start + step * count, step, dtype=np.intp)
            ct = P["scatter"].bind(full, where, ct, axis=axis, mode="add")
    widths = tuple((0, 0) if step != 1 else (start, n - start - count)
                   for (start, count, step), n in zip(spec, t.shape))
    if any(lo or hi for lo, hi in widths):
        ct = P["pad"].bind(ct, typed(0, aval(ct).dtype), widths=widths)
    return [to_input(ct, t)]


def _concatenate_jvp(primals, tangents, out, *, axis):
    parts = [zeros(aval(x)) if t is None else t for x, t in zip(primals, tangents)]
    return to_output(P["concatenate"].bind(*parts, axis=axis), aval(out))


def _concatenate_vjp(ct, primals, out, active, *, axis):
    cts, start = [], 0
    for x, on in zip(primals, active):
        n = aval(x).shape[axis]
        cts.append(to_input(axis_slice(ct, axis, start, n), aval(x)) if on else None)
        start += n
    return cts


def _pad_jvp(primals, tangents, out, *, widths):
    x, value = primals
    tx, tv = tangents
    return to_output(P["pad"].bind(zeros(aval(x)) if tx is None else tx,
                                   typed(0, aval(x).dtype) if tv is None else tv,
                                   widths=widths), aval(out))


def _pad_vjp(ct, primals, out, active, *, widths):
    x, value = primals
    t = aval(x)
    inner = tuple((lo, n, 1) for (lo, _), n in zip(widths, t.shape))
    ct_x = to_input(P["slice"].bind(ct, spec=inner), t) if active[0] else None
    ct_v = None
    if active[1]:
        border = np.pad(np.zeros(t.shape, aval(ct).dtype), widths, constant_values=1)
        ct_v = to_input(P["reduce_sum"].bind(ct * border, axes=tuple(range(t.ndim))), aval(value))
    return [ct_x, ct_v]


JVP = {"reshape": _same_op("reshape"), "broadcast_to": _same_op("broadcast_to"),
       "transpose": _same_op("transpose"), "slice": _same_op("slice"),
       "concatenate": _concatenate_jvp, "pad": _pad_jvp}
VJP = {"reshape": _reshape_vjp, "broadcast_to": _broadcast_vjp, "transpose": _transpose_vjp,
       "slice": _slice_vjp, "concatenate": _concatenate_vjp, "pad": _pad_vjp}
