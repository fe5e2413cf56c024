"""Batch rules of the reductions and arg-reductions: the batch axis stays where it is
(no transpose); the reduced per-example axes are renumbered around it."""
from __future__ import annotations

from tracer import REGISTRY
from tracer.ops.reductions import REDUCTIONS

from ._helpers import full_axis

__all__ = ["RULES"]


def _reduce_rule(prim):
    def rule(axis_size, args, dims, *, axes):
        (x,), (dim,) = args, dims
        full = tuple(full_axis(a, dim) for a in axes)
        return prim.bind(x, axes=full), dim - sum(a < dim for a in full)
    return rule


def _arg_reduce_rule(prim):
    def rule(axis_size, args, dims, *, axis):
        (x,), (dim,) = args, dims
        full = full_axis(axis, dim)
        return prim.bind(x, axis=full), dim - (full < dim)
    return rule


RULES = {name: _reduce_rule(REGISTRY[name]) for name in REDUCTIONS}
RULES.update({name: _arg_reduce_rule(REGISTRY[name]) for name in ("argmax", "argmin")})
