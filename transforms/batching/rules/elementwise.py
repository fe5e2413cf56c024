"""Batch rules of the element-wise primitives (ufuncs, select, convert): unary ones keep
the batch axis where it is; the others broadcast (see `broadcasting_rule`)."""
from __future__ import annotations

from tracer import REGISTRY
from tracer.ops.elementwise import BINARY, UNARY

from ._helpers import broadcasting_rule

__all__ = ["RULES"]


def _unary_rule(prim):
    def rule(axis_size, args, dims, **params):
        return prim.bind(args[0], **params), dims[0]
    return rule


RULES = {name: _unary_rule(REGISTRY[name]) for name in (*UNARY, "convert")}
RULES.update({name: broadcasting_rule(name) for name in (*BINARY, "select")})
