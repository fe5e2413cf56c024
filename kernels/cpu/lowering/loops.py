"""Ops lowered to a helper of kernels/cpu/runtime.py over a (pre, n, post) view of a flat
contiguous buffer: the axis the op works along in the middle, the axes before and after
it flattened. Concatenate and pad are copies into strided views of their output."""
from __future__ import annotations

from tracer.ops.indexing import SCATTER_MODES
from tracer.types import ArrayType

from ...shapes import prod

from ..emitter import ArrayRef, c_strides

__all__ = ["lower_take", "lower_scatter", "lower_along_axis", "lower_argreduce",
           "lower_concatenate", "lower_pad", "lower_threefry"]


def _three(em, shape, axis: int, key) -> str:
    """"pre, n, post" of `shape` around `axis`, as runtime integers."""
    return ", ".join([em.dim(prod(shape[:axis]), (key, "pre")), em.dim(shape[axis], (key, "n")),
                      em.dim(prod(shape[axis + 1:]), (key, "post"))])


def _source(em, v) -> str:
    """"buf, offset" of v made contiguous."""
    ref = em.contiguous(v)
    return f"{ref.buf}, {em.start(ref)}"


def lower_take(em, op):
    x, idx = op.inputs
    out, axis = op.outputs[0], op.params["axis"]
    xs, ids = _source(em, x), _source(em, idx)
    o = _out(em, out)
    em.emit(f"take3({xs}, {_three(em, x.aval.shape, axis, id(op))}, {ids}, {em.size(idx)}, {o})")


def lower_scatter(em, op):
    """out = x, then the updates combined in, in order (runtime.scatter3). The updates are
    (pre, idx.size, post) in C order, whatever idx's rank."""
    x, idx, upd = op.inputs
    out, axis = op.outputs[0], op.params["axis"]
    o = em.alloc(out)
    em.copy(em.ref(x), o)
    if upd.aval.dtype != out.aval.dtype:   # updates take x's dtype, as in NumPy's ufunc.at
        cast = em.alloc_buffer(ArrayType(upd.aval.shape, out.aval.dtype), fresh=False)
        u = em.copy(em.ref(upd), cast)
        us = f"{u.buf}, {em.start(u)}"
    else:
        us = _source(em, upd)
    mode = list(SCATTER_MODES).index(op.params["mode"])
    em.emit(f"scatter3({o.buf}[{em.offset(o) or 0}:], {_three(em, x.aval.shape, axis, id(op))}, "
            f"{_source(em, idx)}, {em.size(idx)}, {us}, {em.int_arg(mode)})")


def _out(em, out) -> str:
    """A buffer the helper writes from its start: the slice of the workspace it owns."""
    o = em.alloc(out)
    off = em.offset(o)
    return o.buf if off is None else em.assign("ov", f"{o.buf}[{off}:]")


def lower_along_axis(helper: str):
    """argsort and the cumulative ops: same shape in and out, along one axis."""
    def lower(em, op):
        x, out, axis = op.inputs[0], op.outputs[0], op.params["axis"]
        xs = _source(em, x)
        em.emit(f"{helper}({xs}, {_three(em, x.aval.shape, axis, id(op))}, {_out(em, out)})")
    return lower


def lower_argreduce(helper: str):
    def lower(em, op):
        x, out, axis = op.inputs[0], op.outputs[0], op.params["axis"]
        xs = _source(em, x)
        em.emit(f"{helper}({xs}, {_three(em, x.aval.shape, axis, id(op))}, {_out(em, out)})")
    return lower


def _view(em, out_ref: ArrayRef, aval, offset: int) -> ArrayRef:
    """The part of a contiguous output starting at element `offset`, with the output's
    strides and the shape of `aval`."""
    return ArrayRef(out_ref.buf, aval, out_ref.offset + offset,
                    c_strides(out_ref.aval.shape))


def lower_concatenate(em, op):
    out, axis = op.outputs[0], op.params["axis"]
    o = em.alloc(out)
    stride = c_strides(out.aval.shape)[axis]
    start = 0
    for x in op.inputs:
        em.copy(em.ref(x), _view(em, o, x.aval, start * stride))
        start += x.aval.shape[axis]


def lower_pad(em, op):
    x, value = op.inputs
    out = op.outputs[0]
    o = em.alloc(out)
    lo = em.start(o)
    em.emit(f"fill({o.buf}, {lo}, {em.size(out)}, {em.scalar(value, out.aval.dtype)})")
    strides = c_strides(out.aval.shape)
    start = sum(w * s for (w, _), s in zip(op.params["widths"], strides))
    em.copy(em.ref(x), _view(em, o, x.aval, start))


def lower_threefry(em, op):
    """Both operands broadcast to the output's (lead..., 2) shape (stride 0 along the
    broadcast axes), then runtime.threefry2x32 over the rows."""
    out = op.outputs[0]
    lead = out.aval.shape[:-1]
    args = []
    for v in op.inputs:
        ref = em.ref(v)
        off = len(out.aval.shape) - v.aval.ndim
        strides = ref.stride_values()
        bstrides = tuple(0 if d < off or v.aval.shape[d - off] == 1 and out.aval.shape[d] != 1
                         else strides[d - off] for d in range(len(out.aval.shape)))
        view = ArrayRef(ref.buf, ArrayType(out.aval.shape, v.aval.dtype), ref.offset, bstrides,
                        ref.zero_offset)
        dense = em.copy(view, em.alloc_buffer(ArrayType(out.aval.shape, v.aval.dtype), False))
        args.append(f"{dense.buf}, {em.start(dense)}")
    rows = em.dim(prod(lead), (id(op), "rows"))
    em.emit(f"threefry2x32({args[0]}, {args[1]}, {_out(em, out)}, {rows})")
