"""The autodiff interpreters of a Graph.

- `forward`: the primal values of every variable. Ops whose operands are all concrete
  arrays reuse the values the concrete trace already computed (no second forward pass);
  ops that touch a Tracer (an outer trace: jit, vmap, an outer grad) are re-recorded
  into that trace, so the outer transform sees the whole computation.
- `tangents` (forward mode) and `cotangents` (reverse mode) then apply the JVP / VJP
  rule of each op to those values. None stands for a symbolic zero: it is never
  materialised nor accumulated, and ops with no nonzero input (or output) are skipped.

`jvp_graph` and `vjp_graph` wrap these for rules that differentiate a sub-graph (control
flow, custom_vjp)."""
from __future__ import annotations

import contextlib

import numpy as np

from tracer.errors import format_location, loc_override
from tracer.ir import Const, Graph, Var
from tracer.tracer import Tracer

from .rules import JVP_RULES, VJP_RULES, ZERO
from .rules._util import add, is_float, zeros

__all__ = ["forward", "active_vars", "tangents", "cotangents", "jvp_graph", "vjp_graph",
           "read"]


@contextlib.contextmanager
def _locations():
    """Ops recorded while interpreting an op carry the user's line of that op (the loop
    sets `loc_override.loc`); restored afterwards."""
    saved = loc_override.loc
    try:
        yield
    finally:
        loc_override.loc = saved


def read(env: dict, v):
    return v.value if isinstance(v, Const) else env[v]


def _rule(table: dict, op, kind: str):
    rule = table.get(op.prim.name)
    if rule is None:
        raise NotImplementedError(
            f"no {kind} rule for the primitive {op.prim.name!r} (recorded at "
            f"{format_location(op.loc)}); add one to transforms/autodiff/rules/")
    return rule


def _outs(env, op):
    outs = [env[o] for o in op.outputs]
    return outs if op.prim.multiple_results else outs[0]


def forward(graph: Graph, args, values: dict | None = None) -> dict:
    """Primal values of every variable of `graph` on `args` (arrays or Tracers).
    `values`: concrete values a trace already computed (Builder.values), reused where an
    op's operands are all concrete."""
    env = dict(zip(graph.inputs, args))
    values = values or {}
    with _locations():
        for op in graph.ops:
            ins = [read(env, v) for v in op.inputs]
            if (values and op.outputs[0] in values
                    and not any(isinstance(a, Tracer) for a in ins)):
                env.update((o, values[o]) for o in op.outputs)
                continue
            loc_override.loc = op.loc
            outs = op.prim.bind(*ins, **op.params)
            outs = outs if op.prim.multiple_results else (outs,)
            env.update((o, _weak(o, x)) for o, x in zip(op.outputs, outs))
    return env


def _weak(var, value):
    """NumPy answers an op on Python scalars with a NumPy scalar, which would promote
    strongly; keep it a Python scalar, as the graph was typed."""
    if var.aval.weak and var.aval.ndim == 0 and not isinstance(value, Tracer):
        return np.asarray(value).item()
    return value


def active_vars(graph: Graph, inputs) -> set:
    """The float variables that depend on the given input variables."""
    active = {v for v in inputs if is_float(v.aval)}
    for op in graph.ops:
        if any(isinstance(v, Var) and v in active for v in op.inputs):
            if _rule(VJP_RULES, op, "VJP") is not ZERO:
                active.update(o for o in op.outputs if is_float(o.aval))
    return active


def tangents(graph: Graph, env: dict, in_tangents: dict) -> dict:
    """Forward mode: the tangent of every variable, from the tangents of some inputs
    (Var -> tangent; missing means zero)."""
    tan = dict(in_tangents)
    with _locations():
        for op in graph.ops:
            ts = [tan.get(v) if isinstance(v, Var) else None for v in op.inputs]
            if all(t is None for t in ts) or not any(is_float(o.aval) for o in op.outputs):
                continue
            rule = _rule(JVP_RULES, op, "JVP")
            if rule is ZERO:
                continue
            loc_override.loc = op.loc
            result = rule([read(env, v) for v in op.inputs], ts, _outs(env, op), **op.params)
            results = result if op.prim.multiple_results else [result]
            for o, t in zip(op.outputs, results):
                if t is not None and is_float(o.aval):
                    tan[o] = t
    return tan


def cotangents(graph: Graph, env: dict, active: set, out_cts) -> dict:
    """Reverse mode: the cotangent of every active input (Var -> cotangent; missing
    means zero), from one cotangent (or None) per graph output."""
    ct: dict = {}
    for v, c in zip(graph.outputs, out_cts):
        if c is not None and isinstance(v, Var) and v in active:
            ct[v] = add(ct.get(v), c)
    with _locations():
        for op in reversed(graph.ops):
            out_cts = [ct.pop(o, None) for o in op.outputs]
            if all(c is None for c in out_cts):
                continue
            on = tuple(isinstance(v, Var) and v in active for v in op.inputs)
            if not any(on):
                continue
            rule = _rule(VJP_RULES, op, "VJP")
            loc_override.loc = op.loc
            in_cts = rule(out_cts if op.prim.multiple_results else out_cts[0],
                          [read(env, v) for v in op.inputs], _outs(env, op), on, **op.params)
            for v, c, a in zip(op.inputs, in_cts, on):
                if a and c is not None:
                    ct[v] = add(ct.get(v), c)
    return ct


def jvp_graph(graph: Graph, primals, in_tangents) -> tuple[list, list]:
    """Evaluate `graph` on `primals` with tangents (None: zero) for its inputs: the
    outputs and their tangents (None where zero)."""
    env = forward(graph, primals)
    tan = tangents(graph, env, {v: t for v, t in zip(graph.inputs, in_tangents) if t is not None})
    return ([read(env, v) for v in graph.outputs],
            [tan.get(v) if isinstance(v, Var) else None for v in graph.outputs])


def vjp_graph(graph: Graph, primals, wanted) -> tuple[list, callable]:
    """Evaluate `graph` on `primals`; returns the outputs and `backward(out_cts)`, which
    gives a cotangent for each input flagged in `wanted` (zeros where no path) and None
    for the others."""
    env = forward(graph, primals)
    active = active_vars(graph, [v for v, w in zip(graph.inputs, wanted) if w])

    def backward(out_cts) -> list:
        ct = cotangents(graph, env, active, out_cts)
        return [(ct[v] if v in ct else zeros(v.aval)) if w else None
                for v, w in zip(graph.inputs, wanted)]
    return [read(env, v) for v in graph.outputs], backward
