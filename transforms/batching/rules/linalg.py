"""Batch rule of dot_general: one batched contraction, never a loop over examples.

Both operands batched: their batch axes become one more dot_general batch axis (output
axis 0). One operand batched: its batch axis is one more free axis of that operand, and
the output's batch axis is wherever dot_general puts that free axis."""
from __future__ import annotations

from tracer import REGISTRY
from tracer.ops.linalg import free_axes

from ._helpers import full_axis, shape_of

__all__ = ["RULES"]

_dot_general = REGISTRY["dot_general"]


def _shifted(axes, dim):
    return tuple(a if dim is None else full_axis(a, dim) for a in axes)


def _dot_general_rule(axis_size, args, dims, *, contract, batch):
    (x, y), (x_dim, y_dim) = args, dims
    (xc, yc), (xb, yb) = contract, batch
    xc, xb = _shifted(xc, x_dim), _shifted(xb, x_dim)
    yc, yb = _shifted(yc, y_dim), _shifted(yb, y_dim)
    if x_dim is not None and y_dim is not None:
        out = _dot_general.bind(x, y, contract=(xc, yc), batch=((x_dim,) + xb, (y_dim,) + yb))
        return out, 0
    out = _dot_general.bind(x, y, contract=(xc, yc), batch=(xb, yb))
    if x_dim is not None:
        return out, len(xb) + free_axes(len(shape_of(x)), xc, xb).index(x_dim)
    x_free = len(shape_of(x)) - len(xc) - len(xb)
    return out, len(xb) + x_free + free_axes(len(shape_of(y)), yc, yb).index(y_dim)


RULES = {"dot_general": _dot_general_rule}
