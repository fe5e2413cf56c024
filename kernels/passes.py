"""Graph passes run before a backend sees a graph. Each is a small function Graph -> Graph
that keeps the graph's meaning exactly (NumPy values, dtypes, shapes and weak types) and
returns the very same object when it changes nothing, so `simplify` can run them to a
fixed point. Passes recurse into Graph-valued params (control-flow bodies) and leave every
other param alone."""
from __future__ import annotations

from typing import Callable

import numpy as np

from tracer import REGISTRY, Const, Graph, Op, Var
from tracer.builder import dead_code_elimination as _dce_flat
from tracer.ops.linalg import free_axes
from tracer.types import type_of

__all__ = ["dead_code_elimination", "common_subexpression_elimination", "constant_folding",
           "algebraic_simplification", "unit_contraction_to_multiply", "simplify", "PASSES"]

# Folding may materialise an array constant up to this many elements, or as many as its
# inputs hold: a broadcast of a scalar to a big shape is cheaper to compute than to read.
_FOLD_SMALL = 4096


# --- the walker every pass shares ----------------------------------------------------------

def _subgraphs_rewritten(params: dict, rewrite: Callable) -> dict:
    """`params` with each Graph value (or tuple of Graphs) rewritten; the same dict if none
    changed. Other params are never looked into."""
    new = None
    for k, v in params.items():
        if isinstance(v, Graph):
            w = rewrite(v)
        elif isinstance(v, tuple) and v and all(isinstance(g, Graph) for g in v):
            w = tuple(rewrite(g) for g in v)
            w = v if all(a is b for a, b in zip(w, v)) else w
        else:
            continue
        if w is not v:
            new = dict(params) if new is None else new
            new[k] = w
    return params if new is None else new


def _has_subgraphs(op: Op) -> bool:
    return any(isinstance(v, Graph) or (isinstance(v, tuple) and any(isinstance(g, Graph)
                                                                      for g in v))
               for v in op.params.values())


def _rewrite(graph: Graph, decide: Callable, recurse: Callable) -> Graph:
    """Walk the ops once, in order. Each op is handed to `decide(op, producer)` with its
    inputs already substituted (and its sub-graphs rewritten by `recurse`); `producer` maps
    a Var to the kept Op that makes it. `decide` returns None (keep the op), a new Op with
    the same outputs (replace it), a tuple of new Ops whose last makes op's outputs (expand
    it into several), or a list of values (Var or Const) standing for its outputs (remove
    it)."""
    env: dict = {}
    producer: dict = {}
    ops = []
    changed = False
    for op in graph.ops:
        inputs = tuple(env.get(v, v) for v in op.inputs)
        params = _subgraphs_rewritten(op.params, recurse) if op.params else op.params
        if params is not op.params or any(a is not b for a, b in zip(inputs, op.inputs)):
            op = Op(op.prim, inputs, op.outputs, params, op.loc)
            changed = True
        result = decide(op, producer)
        if result is None or isinstance(result, (Op, tuple)):
            kept = (op,) if result is None else result if isinstance(result, tuple) else (result,)
            changed = changed or result is not None
            for new_op in kept:
                ops.append(new_op)
                for v in new_op.outputs:
                    producer[v] = new_op
        else:
            env.update(zip(op.outputs, result))
            changed = True
    if not changed:
        return graph
    outputs = tuple(env.get(v, v) for v in graph.outputs)
    return Graph(graph.inputs, tuple(ops), outputs)


def _replaced(op: Op, prim_name: str, inputs: tuple, params: dict) -> Op | None:
    """A new op computing op's single output another way, if its type is exactly the same."""
    prim = REGISTRY[prim_name]
    if prim.infer(*[v.aval for v in inputs], **params) != op.outputs[0].aval:
        return None
    return Op(prim, inputs, op.outputs, params, op.loc)


def _same(op: Op, value) -> list | None:
    """Stand `value` for op's output when their types agree exactly (weak flag included:
    it decides the dtype of every later op)."""
    return [value] if value.aval == op.outputs[0].aval else None


# --- dead code ----------------------------------------------------------------------------

def dead_code_elimination(graph: Graph) -> Graph:
    """Drop ops whose outputs nothing uses (in sub-graphs too)."""
    return _dce_flat(_rewrite(graph, lambda op, producer: None, dead_code_elimination))


# --- common subexpressions ----------------------------------------------------------------

def _value_key(v):
    if isinstance(v, Var):
        return v
    value = v.value
    if isinstance(value, np.ndarray) and value.ndim:
        return ("array", id(value))     # alive as long as the graph holding it
    # bytes, not ==: 0.0 and -0.0 differ, 1 and 1.0 and True differ (the aval says so)
    return ("scalar", v.aval, np.asarray(value).tobytes())


def _op_key(op: Op):
    key = (op.prim.name, tuple(_value_key(v) for v in op.inputs),
           tuple(sorted((k, type(p), p) for k, p in op.params.items())))
    try:
        hash(key)
    except TypeError:       # an unhashable param: never merged
        return None
    return key


def common_subexpression_elimination(graph: Graph) -> Graph:
    """Merge ops applying the same primitive to the same inputs with the same params."""
    seen: dict = {}

    def decide(op, producer):
        key = _op_key(op)
        if key is None:
            return None
        first = seen.setdefault(key, op)
        return None if first is op else list(first.outputs)
    return _rewrite(graph, decide, common_subexpression_elimination)


# --- constant folding ---------------------------------------------------------------------

def _as_const(value, aval) -> Const | None:
    """`value` as a Const of exactly type `aval`, or None when it cannot be one."""
    if aval.weak and aval.ndim == 0:
        value = np.asarray(value).item()        # a Python scalar keeps the weak type
    else:
        arr = np.asarray(value)
        if arr.ndim == 0:
            value = arr[()]
        else:   # a plain writeable C-contiguous array, not a view into another constant
            value = arr if arr.flags.c_contiguous and arr.flags.writeable else np.array(arr)
    return Const(value) if type_of(value) == aval else None


def _fold(op: Op, producer) -> list | None:
    if not all(isinstance(v, Const) for v in op.inputs) or _has_subgraphs(op):
        return None     # control flow stays a runtime decision (loops could be long)
    in_size = sum(v.aval.size for v in op.inputs)
    if any(o.aval.size > max(in_size, _FOLD_SMALL) for o in op.outputs):
        return None
    try:
        with np.errstate(all="ignore"):      # the program reports nothing at run time either
            out = op.prim.numpy(*[v.value for v in op.inputs], **op.params)
    except Exception:       # leave it to run time, where the user sees the error
        return None
    consts = [_as_const(v, o.aval)
              for v, o in zip(out if op.prim.multiple_results else [out], op.outputs)]
    return None if any(c is None for c in consts) else consts


def constant_folding(graph: Graph) -> Graph:
    """Run ops whose inputs are all constants with the NumPy reference, now."""
    return _rewrite(graph, _fold, constant_folding)


# --- algebraic simplification -------------------------------------------------------------

def _const_array(v):
    return np.asarray(v.value) if isinstance(v, Const) else None


def _all_equal(v, k) -> bool:
    a = _const_array(v)     # the first element rejects most (big) constants at once
    return a is not None and a.size > 0 and a.flat[0] == k and bool(np.all(a == k))


def _zero_signs(v) -> tuple[bool, bool] | None:
    """For an all-zero constant: (every zero is -0.0, no zero is -0.0); None otherwise."""
    a = _const_array(v)
    if a is None or a.size == 0 or a.flat[0] != 0 or not np.all(a == 0):
        return None
    if a.dtype.kind not in "fc":
        return False, True
    parts = (a.real, a.imag) if a.dtype.kind == "c" else (a,)
    signs = [np.signbit(p) for p in parts]
    return all(bool(np.all(s)) for s in signs), not any(bool(np.any(s)) for s in signs)


def _mul(op, producer):
    x, y = op.inputs
    return (_same(op, x) if _all_equal(y, 1) else None) or (
        _same(op, y) if _all_equal(x, 1) else None)


def _div(op, producer):
    x, y = op.inputs
    return _same(op, x) if _all_equal(y, 1) else None


def _add(op, producer):
    # x + 0 is x exactly for integers; for floats only when the zero is -0.0
    # (-0.0 + 0.0 is +0.0), and a Python 0 becomes +0.0 in float arithmetic.
    exact_int = op.outputs[0].aval.dtype.kind not in "fc"
    for x, zero in (op.inputs, op.inputs[::-1]):
        signs = _zero_signs(zero)
        if signs is not None and (exact_int or signs[0]):
            hit = _same(op, x)
            if hit:
                return hit
    return None


def _sub(op, producer):
    x, zero = op.inputs        # x - (+0) is x exactly; x - (-0.0) would turn -0.0 into +0.0
    signs = _zero_signs(zero)
    return _same(op, x) if signs is not None and signs[1] else None


def _neg(op, producer):
    inner = producer.get(op.inputs[0])
    return _same(op, inner.inputs[0]) if inner is not None and inner.prim.name == "neg" else None


def _transpose(op, producer):
    (x,), perm = op.inputs, op.params["perm"]
    inner = producer.get(x)
    if inner is not None and inner.prim.name == "transpose":
        x, perm = inner.inputs[0], tuple(inner.params["perm"][p] for p in perm)
    if perm == tuple(range(len(perm))):
        return _same(op, x)
    return _replaced(op, "transpose", (x,), {"perm": perm}) if x is not op.inputs[0] else None


def _collapse_repeats(op, producer):
    """reshape of a reshape, broadcast_to of a broadcast_to: one op from the first input;
    none when the shape does not change."""
    (x,), name = op.inputs, op.prim.name
    inner = producer.get(x)
    if inner is not None and inner.prim.name == name:
        x = inner.inputs[0]
    if x.aval.shape == op.params["shape"]:
        return _same(op, x)
    return _replaced(op, name, (x,), dict(op.params)) if x is not op.inputs[0] else None


def _convert(op, producer):
    return _same(op, op.inputs[0])     # same dtype (and not weak) is a no-op


def _select(op, producer):
    cond, x, y = op.inputs
    if _all_equal(cond, True):
        return _same(op, x)
    if _all_equal(cond, False):
        return _same(op, y)
    return None


_ALGEBRA = {"mul": _mul, "div": _div, "add": _add, "sub": _sub, "neg": _neg,
            "transpose": _transpose, "reshape": _collapse_repeats,
            "broadcast_to": _collapse_repeats, "convert": _convert, "select": _select}


def algebraic_simplification(graph: Graph) -> Graph:
    """x*1, 1*x, x/1, x+0, x-0, neg(neg(x)), transpose of transpose, reshape of reshape,
    broadcast_to of broadcast_to, no-op converts, reshapes, broadcasts and transposes,
    select on a constant condition; each only when the result's type is unchanged."""
    def decide(op, producer):
        rule = _ALGEBRA.get(op.prim.name)
        return rule(op, producer) if rule is not None else None
    return _rewrite(graph, decide, algebraic_simplification)


# --- contractions over a size of 1 ---------------------------------------------------------

def _derived(name: str, inputs: tuple, params: dict, loc, ops: list):
    """Append a new op `name(*inputs, **params)` with a fresh output Var typed by the
    primitive's own infer; return that Var."""
    prim = REGISTRY[name]
    out = Var(prim.infer(*[v.aval for v in inputs], **params))
    ops.append(Op(prim, tuple(inputs), (out,), params, loc))
    return out


def _laid_out(x, order: tuple, shape: tuple, loc, ops: list):
    """x with its axes taken in `order` and reshaped to `shape` (the same sizes once axes of
    size 1 are dropped or inserted). A transpose only when `order` moves an axis of size
    above 1: reshape alone places, drops and inserts the size-1 axes."""
    moved = [a for a in order if x.aval.shape[a] != 1]
    if moved != sorted(moved):
        x = _derived("transpose", (x,), {"perm": tuple(order)}, loc, ops)
    if x.aval.shape != shape:
        x = _derived("reshape", (x,), {"shape": shape}, loc, ops)
    return x


def _multiply_operands(op: Op, ops: list):
    """x and y of a dot_general over a size of 1, laid out to broadcast to its output
    (batch, x's free, y's free): x as (b..., m..., 1...), y as (b..., 1..., n...) without
    leading 1s; a 0-d x (a Python scalar: reshaping would lose its weak type in NumPy)
    stays as it is."""
    x, y = op.inputs
    (xc, yc), (xb, yb) = op.params["contract"], op.params["batch"]
    xf, yf = free_axes(x.aval.ndim, xc, xb), free_axes(y.aval.ndim, yc, yb)
    bshape = tuple(x.aval.shape[a] for a in xb)
    mshape, nshape = tuple(x.aval.shape[a] for a in xf), tuple(y.aval.shape[a] for a in yf)
    y_shape = bshape + (1,) * len(mshape) + nshape
    while x.aval.ndim and y_shape and y_shape[0] == 1:   # x's rank supplies leading axes
        y_shape = y_shape[1:]
    x_shape = bshape + mshape + (1,) * len(nshape) if x.aval.ndim else ()
    return (_laid_out(x, xb + xf + xc, x_shape, op.loc, ops),
            _laid_out(y, yb + yf + yc, y_shape, op.loc, ops))


def _unit_contraction(op: Op, producer) -> tuple | None:
    """A dot_general whose contracted axes are none or all of size 1 (an outer product,
    batched or not) as a broadcasted `mul`: the per-example weight gradients vmap makes
    would otherwise run as many tiny matrix products. `mul` promotes dtypes as dot_general
    does (NumPy's result_type) for every pair but two weak Python bools, whose product is
    not weak: then, as whenever the type would differ, the op stays."""
    if op.prim.name != "dot_general":
        return None
    if any(op.inputs[0].aval.shape[a] != 1 for a in op.params["contract"][0]):
        return None
    ops: list = []
    operands = _multiply_operands(op, ops)
    mul = REGISTRY["mul"]
    if mul.infer(*[v.aval for v in operands]) != op.outputs[0].aval:
        return None
    return tuple(ops) + (Op(mul, operands, op.outputs, {}, op.loc),)


def unit_contraction_to_multiply(graph: Graph) -> Graph:
    """dot_generals contracting over a total size of 1 become reshapes, transposes and a
    broadcasted multiply of exactly the same output type."""
    return _rewrite(graph, _unit_contraction, unit_contraction_to_multiply)


# --- all of them ----------------------------------------------------------------------------

PASSES = (constant_folding, unit_contraction_to_multiply, algebraic_simplification,
          common_subexpression_elimination, dead_code_elimination)


def simplify(graph: Graph, max_rounds: int = 16) -> Graph:
    """Run every pass until none changes the graph (or `max_rounds` rounds)."""
    for _ in range(max_rounds):
        new = graph
        for run_pass in PASSES:
            new = run_pass(new)
        if new is graph:
            break
        graph = new
    return graph
