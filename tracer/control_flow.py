"""Structured control flow that traces, differentiates, batches and compiles:
`cond`, `while_loop`, `fori_loop`, `scan` (signatures as in jax.lax).

Bodies are traced once, abstractly, into sub-graphs held by the primitive. Values they
close over become explicit operands."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .builder import leaf_type, trace_flat
from .errors import ShapeError, format_location, user_location
from .ir import Graph, Var
from .numpy_api.basic import astype
from .ops.control_flow import cond_p, scan_p, while_p
from .pytree import tree_flatten, tree_unflatten
from .types import ArrayType

__all__ = ["cond", "while_loop", "fori_loop", "scan"]


def _trace_body(fun: Callable, in_tree, in_types, what: str):
    """Trace `fun(tree)` on abstract values -> (graph, captured values, output treedef)."""
    out_tree = []

    def flat(*leaves):
        out, td = tree_flatten(fun(tree_unflatten(in_tree, leaves)))
        out_tree.append(td)
        for o in out:
            leaf_type(o, f"output of {what}")
        return out
    graph, captured, _ = trace_flat(flat, [t.strong() for t in in_types])
    return graph, captured, out_tree[0]


def _with_consts(graph: Graph, consts: list, own: list, n_explicit: int) -> Graph:
    """`graph` taking consts + explicit inputs, where it captured the values `own`."""
    explicit = graph.inputs[:n_explicit]
    by_id = {id(c): v for c, v in zip(own, graph.inputs[n_explicit:])}
    inputs = tuple(by_id.get(id(c)) or Var(_type(c)) for c in consts)
    return Graph(inputs + tuple(explicit), graph.ops, graph.outputs)


def _type(x):
    return leaf_type(x)


def _union(*lists):
    seen, out = set(), []
    for lst in lists:
        for c in lst:
            if id(c) not in seen:
                seen.add(id(c))
                out.append(c)
    return out


def _same_types(a, b) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and x.dtype == y.dtype for x, y in zip(a, b))


def _describe(tree, types) -> str:
    return f"{tree} with {[str(t) for t in types]}"


def _mismatch(op, first, second, names=("true_fun", "false_fun")):
    raise ShapeError(op, f"{names[0]} returns {first} but {names[1]} returns {second}; "
                     "they must return the same structure, shapes and dtypes "
                     f"(at {format_location(user_location())})")


def cond(pred, true_fun: Callable, false_fun: Callable, *operands):
    """`true_fun(*operands)` if `pred` else `false_fun(*operands)`; both branches are traced,
    and must return the same structure, shapes and dtypes.

    >>> float(cond(np.float64(2.0) > 1, lambda x: x * 2, lambda x: -x, 3.0))
    6.0
    """
    leaves, in_tree = tree_flatten(operands)
    types = [leaf_type(x, "cond operand") for x in leaves]
    t_graph, t_caps, t_tree = _trace_body(lambda ops: true_fun(*ops), in_tree, types, "true_fun")
    f_graph, f_caps, f_tree = _trace_body(lambda ops: false_fun(*ops), in_tree, types, "false_fun")
    if t_tree != f_tree or not _same_types(t_graph.out_types, f_graph.out_types):
        _mismatch("cond", _describe(t_tree, t_graph.out_types), _describe(f_tree, f_graph.out_types))
    consts = _union(t_caps, f_caps)
    n = len(leaves)
    outs = cond_p.bind(astype(pred, np.bool_), *consts, *leaves,
                       true_branch=_with_consts(t_graph, consts, t_caps, n),
                       false_branch=_with_consts(f_graph, consts, f_caps, n))
    return tree_unflatten(t_tree, outs)


def while_loop(cond_fun: Callable, body_fun: Callable, init_val):
    """Repeat `val = body_fun(val)` while `cond_fun(val)`; returns the final `val`.
    Forward-mode differentiable; for reverse mode use `scan` or `fori_loop` with static
    bounds.

    >>> int(while_loop(lambda v: v < 10, lambda v: v * 2, 1))
    16
    """
    leaves, tree = tree_flatten(init_val)
    types = [leaf_type(x, "while_loop carry").strong() for x in leaves]
    c_graph, c_caps, c_tree = _trace_body(cond_fun, tree, types, "cond_fun")
    if len(c_graph.outputs) != 1 or c_graph.out_types[0].shape != () or \
            c_graph.out_types[0].dtype != np.bool_:
        raise ShapeError("while_loop", f"cond_fun must return a boolean scalar, not "
                         f"{[str(t) for t in c_graph.out_types]}")
    b_graph, b_caps, b_tree = _trace_body(body_fun, tree, types, "body_fun")
    if b_tree != tree or not _same_types(b_graph.out_types, types):
        _mismatch("while_loop", _describe(tree, types), _describe(b_tree, b_graph.out_types),
                  ("init_val", "body_fun"))
    n = len(leaves)
    outs = while_p.bind(*c_caps, *b_caps, *[astype(x, t.dtype) for x, t in zip(leaves, types)],
                        cond_graph=_with_consts(c_graph, c_caps, c_caps, n),
                        body_graph=_with_consts(b_graph, b_caps, b_caps, n),
                        n_cond=len(c_caps), n_body=len(b_caps))
    return tree_unflatten(tree, outs)


def scan(f: Callable, init, xs=None, length: int | None = None, reverse: bool = False):
    """Loop `carry, y = f(carry, x)` over the leading axis of `xs`; returns the final carry
    and the ys stacked. Reverse-differentiable.

    >>> carry, ys = scan(lambda c, x: (c + x, c * x), 0.0, np.arange(4.0))
    >>> float(carry), ys.tolist()
    (6.0, [0.0, 0.0, 2.0, 9.0])
    """
    c_leaves, c_tree = tree_flatten(init)
    x_leaves, x_tree = tree_flatten(xs)
    c_types = [leaf_type(x, "scan carry").strong() for x in c_leaves]
    x_types = [leaf_type(x, "scan xs") for x in x_leaves]
    lengths = {t.shape[0] if t.shape else None for t in x_types}
    if length is not None:
        lengths.add(int(length))
    if len(lengths) != 1 or None in lengths:
        raise ShapeError("scan", f"xs leading axes {[str(t) for t in x_types]} and length={length} "
                         "must agree (give length when xs is None)")
    length = lengths.pop()
    slice_types = [ArrayType(t.shape[1:], t.dtype) for t in x_types]
    out_tree = []

    def body(*leaves):
        carry = tree_unflatten(c_tree, leaves[:len(c_leaves)])
        x = tree_unflatten(x_tree, leaves[len(c_leaves):])
        new_carry, y = f(carry, x)
        nc, nc_tree = tree_flatten(new_carry)
        ys, y_tree = tree_flatten(y)
        out_tree.append((nc_tree, y_tree))
        return nc + ys
    all_tree = tree_flatten(tuple(range(len(c_types) + len(slice_types))))[1]
    graph, caps, _ = _trace_body(lambda a: body(*a), all_tree, c_types + slice_types, "scan body")
    nc_tree, y_tree = out_tree[0]
    if nc_tree != c_tree or not _same_types(graph.out_types[:len(c_types)], c_types):
        _mismatch("scan", _describe(c_tree, c_types),
                  _describe(nc_tree, graph.out_types[:len(c_types)]), ("init", "f's new carry"))
    outs = scan_p.bind(*caps, *[astype(x, t.dtype) for x, t in zip(c_leaves, c_types)], *x_leaves,
                       body=_with_consts(graph, caps, caps, len(c_types) + len(slice_types)),
                       n_consts=len(caps), n_carry=len(c_types), length=length, reverse=bool(reverse))
    return (tree_unflatten(c_tree, outs[:len(c_types)]),
            tree_unflatten(y_tree, outs[len(c_types):]))


def fori_loop(lower, upper, body_fun: Callable, init_val):
    """`val = body_fun(i, val)` for i in range(lower, upper). With Python-int bounds it is a
    `scan` (reverse-differentiable); with traced bounds a `while_loop`.

    >>> int(fori_loop(0, 5, lambda i, v: v + i, 0))
    10
    """
    if isinstance(lower, (int, np.integer)) and isinstance(upper, (int, np.integer)):
        lower, upper = int(lower), int(upper)

        def step(val, i):
            return body_fun(i, val), None
        val, _ = scan(step, init_val, np.arange(lower, max(lower, upper)))
        return val
    i0 = astype(lower, np.int64)

    def keep_going(state):
        return state[0] < upper

    def advance(state):
        return state[0] + 1, body_fun(state[0], state[1])
    return while_loop(keep_going, advance, (i0, init_val))[1]
