"""The batching interpreter: evaluate a Graph on values that each carry a batch axis.

Every value is a pair (value, dim): `value` an array, a Tracer of an outer trace or a
Python scalar, `dim` the axis along which it holds the examples (None: the same for every
example). An op whose inputs are all unbatched is simply bound; otherwise its batch rule
computes the batched result. Because rules use `bind`, the interpreter computes eagerly on
arrays and records into the outer trace on Tracers."""
from __future__ import annotations

from tracer import Var
from tracer.errors import loc_override

from .rules import BATCH_RULES

__all__ = ["batch_graph", "batch_op"]


def batch_op(op, args: list, dims: list, axis_size: int) -> tuple[list, list]:
    """Apply one op to batched arguments: its outputs and their batch axes, as lists."""
    prim = op.prim
    if all(d is None for d in dims):
        outs = prim.bind(*args, **op.params)
        outs = list(outs) if prim.multiple_results else [outs]
        return outs, [None] * len(outs)
    rule = BATCH_RULES.get(prim.name)
    if rule is None:
        raise NotImplementedError(
            f"vmap: primitive {prim.name!r} has no batch rule; add one to "
            f"transforms/batching/rules/ (family {prim.family!r})")
    outs, out_dims = rule(axis_size, args, dims, **op.params)
    if not prim.multiple_results:
        return [outs], [out_dims]
    return list(outs), list(out_dims)


def batch_graph(graph, args, dims, axis_size: int) -> tuple[list, list]:
    """Evaluate `graph` on batched `args` (batch axes `dims`): the outputs and their batch
    axes. Control-flow rules call this on their sub-graphs."""
    env = {var: (x, d) for var, x, d in zip(graph.inputs, args, dims)}

    def read(v):
        return env[v] if isinstance(v, Var) else (v.value, None)

    saved = loc_override.loc
    try:
        for op in graph.ops:
            loc_override.loc = op.loc   # rewritten ops keep the user's line
            ins = [read(v) for v in op.inputs]
            outs, out_dims = batch_op(op, [x for x, _ in ins], [d for _, d in ins], axis_size)
            env.update(zip(op.outputs, zip(outs, out_dims)))
    finally:
        loc_override.loc = saved
    results = [read(v) for v in graph.outputs]
    return [x for x, _ in results], [d for _, d in results]
