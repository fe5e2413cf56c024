"""The cuda lowering table: how each primitive of tracer.REGISTRY runs on the device.

- "fused": element-wise ops and reductions, compiled by fused.py inside their fusion group
  (their expressions are expr.RULES);
- views: reshape, transpose, slice are index arithmetic on the operand's Loc (no kernel;
  a reshape of a strided view copies it first);
- loops (loops.py), dot_general (matmul.py), control flow (control.py);
- "host": argsort runs through its NumPy reference on the host (a documented fallback: the
  operand is copied to the host, sorted by NumPy's stable sort, and the indices copied
  back). A completeness test checks that every primitive is in this table."""
from __future__ import annotations

import numpy as np

from tracer import Const

from . import control, loops
from .expr import RULES
from .matmul import lower_dot_general

__all__ = ["LOWERINGS", "HOST_FALLBACKS", "family_of", "lower_op", "host_fallback"]


def _reshape(pl, op):
    loc = pl.contiguous(op.inputs[0])
    pl.bind(op.outputs[0], loc.reshaped(op.outputs[0].aval.shape))


def _transpose(pl, op):
    pl.bind(op.outputs[0], pl.loc(op.inputs[0]).transposed(op.params["perm"]))


def _slice(pl, op):
    pl.bind(op.outputs[0], pl.loc(op.inputs[0]).sliced(op.params["spec"]))


def host_fallback(pl, op):
    """Run `op` with its NumPy reference on the host: operands copied to the host, results
    copied back into device buffers. Correct for any primitive, and slow: one
    synchronisation and two copies per call."""
    args = []
    for v in op.inputs:
        if isinstance(v, Const) and np.ndim(v.value) == 0:
            args.append(v.value)
        else:
            args.append(pl.contiguous(v))
    outs = [pl.alloc(v) for v in op.outputs]
    prim, params = op.prim, op.params

    def run(bufs):
        values = [_download(bufs, a) if hasattr(a, "slot") else a for a in args]
        result = prim.numpy(*values, **params)
        for r, loc in zip(result if prim.multiple_results else [result], outs):
            _upload(bufs, loc, np.asarray(r, dtype=loc.dtype))
    pl.host(run, f"{prim.name} on the host (NumPy)")


def _download(bufs, loc):
    flat = bufs[loc.slot][loc.offset:loc.offset + loc.size].copy_to_host()
    return flat.reshape(loc.shape)


def _upload(bufs, loc, value) -> None:
    if loc.size:
        bufs[loc.slot][loc.offset:loc.offset + loc.size].copy_to_device(
            np.ascontiguousarray(value).reshape(-1))


HOST_FALLBACKS = ("argsort",)

LOWERINGS: dict = {name: "fused" for name in RULES}
LOWERINGS.update({
    "reshape": _reshape, "transpose": _transpose, "slice": _slice,
    "dot_general": lower_dot_general,
    "take": loops.lower_take, "scatter": loops.lower_scatter,
    "argmax": loops.lower_argreduce, "argmin": loops.lower_argreduce,
    "concatenate": loops.lower_concatenate, "pad": loops.lower_pad,
    "threefry2x32": loops.lower_threefry,
    "cond": control.lower_cond, "while_loop": control.lower_while, "scan": control.lower_scan,
    **{name: loops.lower_cumulative for name in ("cumsum", "cumprod", "cummax", "cummin")},
    **{name: host_fallback for name in HOST_FALLBACKS},
})


def _missing(name: str) -> NotImplementedError:
    return NotImplementedError(
        f"the cuda backend has no lowering for primitive {name!r}; add one to "
        "kernels/cuda/lowering.py, or use backend 'cpu' or 'numpy'")


def family_of(name: str) -> str:
    """What kernels/fusion.py asks: "elementwise" and "reduction" ops fuse (a reduce_*
    over no axes, a cast, fuses as element-wise); any other op is a group of its own."""
    rule = LOWERINGS.get(name)
    if rule is None:
        raise _missing(name)
    if rule == "fused":
        return "reduction" if name.startswith("reduce_") else "elementwise"
    return "op"


def lower_op(pl, op) -> None:
    rule = LOWERINGS.get(op.prim.name)
    if rule is None or rule == "fused":
        raise _missing(op.prim.name)
    rule(pl, op)
