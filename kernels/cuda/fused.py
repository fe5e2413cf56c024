"""A fused group (element-wise ops and the reductions consuming them, from
kernels/fusion.py) as one CUDA kernel (plus a final pass for split reductions).

Values computed inside the group stay in registers; operands from outside are loaded
with broadcast indexing; values other groups need are stored. 0-d constants become typed
literals, array constants buffers the program uploads once."""
from __future__ import annotations

import itertools

import numpy as np

from tracer import Const, Var

from .expr import expression
from .layout import broadcast_strides, c_strides
from .nests import Load, Reduce, Store, elementwise_kernel, reduction_kernels

__all__ = ["lower_fused", "copy_kernel"]


def _is_literal(v) -> bool:
    return isinstance(v, Const) and np.ndim(v.value) == 0


def lower_fused(pl, group) -> None:
    domain = tuple(group.domain)
    loads, loaded, body, names, reds = [], {}, [], {}, []
    count = itertools.count()

    def operand(v):
        if _is_literal(v):
            return v
        if v in names:
            return names[v], v.aval.dtype
        key = v if isinstance(v, Var) else id(v.value)
        if key not in loaded:
            loc = pl.loc(v)
            loaded[key] = f"v{next(count)}"
            loads.append(Load(loaded[key], loc, broadcast_strides(loc, domain)))
        return loaded[key], v.aval.dtype

    for op in group.ops:
        if group.reduces(op):
            value, dtype = operand(op.inputs[0])   # an array: reductions reduce axes
            reds.append((op, value, dtype))
            continue
        expr = expression(op, [operand(v) for v in op.inputs])
        name = f"e{next(count)}"
        body.append(f"{name} = {expr}")
        names[op.outputs[0]] = name
    stores = []
    for op in group.ops:
        out = op.outputs[0]
        if not group.reduces(op) and pl.needed_outside(out):
            loc = pl.alloc(out)
            stores.append(Store(names[out], loc, c_strides(domain)))
    if not reds:
        pl.launch(*elementwise_kernel(domain, loads, body, stores, pl.cfg))
        return
    reduces = [Reduce(value, op.prim.name, np.dtype(dtype), pl.alloc(op.outputs[0]))
               for op, value, dtype in reds]
    for k in reduction_kernels(domain, tuple(group.axes), loads, body, stores, reduces, pl.cfg,
                               pl.scratch):
        pl.launch(*k)


def copy_kernel(src, dst, cfg):
    """(writer, grid, block) copying Loc src into Loc dst (same shape, or src broadcast to
    dst's shape), casting to dst's dtype."""
    load = Load("x", src, broadcast_strides(src, dst.shape))
    store = Store("x", dst, dst.stride_values())
    return elementwise_kernel(dst.shape, [load], [], [store], cfg)
