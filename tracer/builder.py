"""Tracing: a Builder records the primitives applied to its Tracers into a Graph.

Builders nest. Each has a level, higher for newer ones; an op goes to the newest builder
among its inputs, and a Tracer of an older (outer) builder used inside a newer trace
becomes an explicit extra input of the inner graph (`captured`). Transforms treat those
inputs as constants, and evaluating the inner graph on the outer Tracers records into the
outer trace, which is what keeps nested transforms and closures correct."""
from __future__ import annotations

import itertools

import numpy as np

from .errors import EscapedTracerError, loc_override, user_location
from .ir import Const, Graph, Op, Var
from .tracer import Tracer
from .types import ArrayType, type_of

__all__ = ["Builder", "trace", "trace_flat", "eval_graph", "dead_code_elimination", "leaf_type"]

_levels = itertools.count(1)

def _as_constant(x):
    if isinstance(x, (bool, int, float, complex, np.ndarray, np.generic)):
        return x
    return np.asarray(x)

class Builder:
    def __init__(self):
        self.level = next(_levels)
        self.active = True
        self.inputs: list[Var] = []
        self.ops: list[Op] = []
        self.captured: dict[int, tuple[Var, Tracer]] = {}
        self.consulted = False   # did Python code read a concrete value?
        self.values: dict = {}   # Var -> concrete value (concrete traces), reused by transforms

    def new_input(self, aval: ArrayType, value=None) -> Tracer:
        var = Var(aval)
        self.inputs.append(var)
        return Tracer(self, var, value)

    def _var(self, x):
        """The IR value standing for `x` in this graph."""
        if isinstance(x, Tracer):
            if x.builder is self:
                return x.node
            if not x.builder.active:
                raise EscapedTracerError(
                    f"a traced value {x.aval} was used after the transform that created it "
                    f"had returned (at {user_location()}). Return values out of the "
                    "transformed function instead of storing them in outer variables.")
            hit = self.captured.get(id(x))
            if hit is None:
                hit = self.captured[id(x)] = (Var(x.aval), x)
            return hit[0]
        return Const(_as_constant(x))

    def record(self, prim, args, params):
        if not self.active:
            raise EscapedTracerError(
                f"{prim.name}: a traced value was used after its trace had finished "
                f"(at {user_location()}).")
        in_vars = [self._var(a) for a in args]
        out_avals = prim.infer(*[v.aval for v in in_vars], **params)
        values = [a.value if isinstance(a, Tracer) else v.value for a, v in zip(args, in_vars)]
        concrete = all(v is not None for v in values)
        out_vals = prim.numpy(*values, **params) if concrete else None
        if not prim.multiple_results:
            out_avals, out_vals = [out_avals], [out_vals]
        elif out_vals is None:
            out_vals = [None] * len(out_avals)
        outs = tuple(Var(a) for a in out_avals)
        if concrete:
            out_vals = [_weak_scalar(v, o) if v.aval.weak else o for v, o in zip(outs, out_vals)]
            self.values.update(zip(outs, out_vals))
        self.ops.append(Op(prim, tuple(in_vars), outs, params, user_location()))
        tracers = [Tracer(self, v, val) for v, val in zip(outs, out_vals)]
        return tracers if prim.multiple_results else tracers[0]

    def build(self, outputs) -> tuple[Graph, list]:
        """Close the trace: the Graph of `outputs`, and the outer Tracers it captured
        (its extra inputs, after the explicit ones)."""
        out_vars = tuple(self._var(o) for o in outputs)
        self.active = False
        captured = list(self.captured.values())
        inputs = tuple(self.inputs) + tuple(v for v, _ in captured)
        graph = Graph(inputs, tuple(self.ops), out_vars)
        return dead_code_elimination(graph), [t for _, t in captured]

def trace_flat(flat_fun, in_avals, in_values=None) -> tuple[Graph, list, Builder]:
    """Trace `flat_fun(*leaves) -> list of leaves`. With `in_values` the Tracers also carry
    concrete values, so Python control flow on them works."""
    builder = Builder()
    values = in_values if in_values is not None else [None] * len(in_avals)
    tracers = [builder.new_input(a, v) for a, v in zip(in_avals, values)]
    try:
        outs = flat_fun(*tracers)
    except BaseException:
        builder.active = False
        raise
    graph, captured = builder.build(outs)
    return graph, captured, builder

def eval_graph(graph: Graph, args) -> list:
    """Evaluate `graph` on arrays (NumPy) or on Tracers (recording into their trace)."""
    env = dict(zip(graph.inputs, args))
    saved = loc_override.loc
    try:
        for op in graph.ops:
            loc_override.loc = op.loc
            ins = [env[v] if isinstance(v, Var) else v.value for v in op.inputs]
            outs = op.prim.bind(*ins, **op.params)
            if not op.prim.multiple_results:
                outs = (outs,)
            if any(v.aval.weak for v in op.outputs):
                outs = [_weak_scalar(v, o) for v, o in zip(op.outputs, outs)]
            env.update(zip(op.outputs, outs))
    finally:
        loc_override.loc = saved
    return [env[v] if isinstance(v, Var) else v.value for v in graph.outputs]

def _weak_scalar(var, value):
    """NumPy answers an op on weak (Python) scalars with a NumPy scalar, which promotes
    strongly; a Python scalar keeps the dtypes the graph was typed with (i32 + 2*3 is i32)."""
    if var.aval.ndim == 0 and not isinstance(value, Tracer):
        return np.asarray(value).item()
    return value


def dead_code_elimination(graph: Graph) -> Graph:
    live = {v for v in graph.outputs if isinstance(v, Var)}
    kept = []
    for op in reversed(graph.ops):
        if any(o in live for o in op.outputs):
            kept.append(op)
            live.update(v for v in op.inputs if isinstance(v, Var))
    if len(kept) == len(graph.ops):
        return graph
    return Graph(graph.inputs, tuple(reversed(kept)), graph.outputs)


def leaf_type(x, where: str = "argument"):
    """The ArrayType of an input leaf; anything that is not an array or scalar is refused."""
    if isinstance(x, Tracer):
        return x.aval
    if isinstance(x, (bool, int, float, complex, np.ndarray, np.generic)):
        return type_of(x)
    cai = getattr(x, "__cuda_array_interface__", None)   # CuPy, PyTorch, numba device arrays
    if cai is not None:
        return ArrayType(tuple(cai["shape"]), np.dtype(cai["typestr"]))
    if hasattr(x, "copy_to_host") and hasattr(x, "dtype"):   # the Numba CUDA simulator's
        return ArrayType(tuple(x.shape), np.dtype(x.dtype))
    raise TypeError(f"{where}: {type(x).__name__} is not an array, a scalar or a pytree of "
                    "them; pass it as a static argument instead")


def leaf_value(x):
    return x.value if isinstance(x, Tracer) else x


def trace(fun, args: tuple, concrete: bool = False):
    """Trace `fun(*args)` (args: pytrees of arrays and scalars). Returns the Graph, the outer
    Tracers it captured, the output tree structure and the Builder."""
    from .pytree import tree_flatten, tree_unflatten
    leaves, in_tree = tree_flatten(tuple(args))
    avals = [leaf_type(x) for x in leaves]
    out_tree = []

    def flat_fun(*tracers):
        out = fun(*tree_unflatten(in_tree, tracers))
        out_leaves, td = tree_flatten(out)
        out_tree.append(td)
        for o in out_leaves:
            leaf_type(o, "output of the traced function")
        return out_leaves

    values = [leaf_value(x) for x in leaves] if concrete else None
    graph, captured, builder = trace_flat(flat_fun, avals, values)
    return graph, captured, out_tree[0], builder
