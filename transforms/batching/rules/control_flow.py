"""Batch rules of the control-flow primitives (cond, while_loop, scan): each batches its
sub-graphs with the same interpreter and binds the primitive once on the whole batch.

To keep the sub-graphs' signatures simple, every value a body passes on (branch outputs,
loop carries, scan outputs) is made batched along axis 0, broadcasting it if needed; the
consts keep their own batch axes."""
from __future__ import annotations

from tracer import REGISTRY
from tracer.builder import leaf_type, trace_flat
from tracer.types import ArrayType

from ._helpers import example_ndim, move_to, pad_rank, to_front

__all__ = ["RULES", "batched_subgraph"]

_P = REGISTRY


def _batch_graph(graph, args, dims, axis_size):
    from ..interpreter import batch_graph   # imported on use: the interpreter imports us
    return batch_graph(graph, list(args), list(dims), axis_size)


def batched_subgraph(graph, in_types: list, dims: list, axis_size: int):
    """A Graph computing `graph` on a batch: it takes values of `in_types` whose batch axes
    are `dims`, and returns every output of `graph` batched along axis 0."""
    def run(*args):
        outs, out_dims = _batch_graph(graph, args, dims, axis_size)
        return [to_front(x, d, axis_size) for x, d in zip(outs, out_dims)]
    batched, captured, _ = trace_flat(run, in_types)
    assert not captured, "a batched sub-graph reads only its own inputs"
    return batched


def _types(args) -> list:
    return [leaf_type(a) for a in args]


def _select_examples(pred, on_true, on_false):
    """Per example: `on_true` where the (batch,) `pred` holds, else `on_false`."""
    rank = example_ndim(on_true, 0)
    return _P["select"].bind(pad_rank(pred, rank), on_true, on_false)


def _cond(axis_size, args, dims, *, true_branch, false_branch):
    (pred, *operands), (pred_dim, *op_dims) = args, dims
    if pred_dim is not None:
        # Each example takes its own branch: compute both, choose per example.
        pred = to_front(pred, pred_dim, axis_size)
        picked = []
        for (t, t_dim), (f, f_dim) in zip(
                zip(*_batch_graph(true_branch, operands, op_dims, axis_size)),
                zip(*_batch_graph(false_branch, operands, op_dims, axis_size))):
            picked.append(_select_examples(pred, to_front(t, t_dim, axis_size),
                                           to_front(f, f_dim, axis_size)))
        return picked, [0] * len(picked)
    types = _types(operands)
    outs = _P["cond"].bind(pred, *operands,
                           true_branch=batched_subgraph(true_branch, types, op_dims, axis_size),
                           false_branch=batched_subgraph(false_branch, types, op_dims, axis_size))
    return outs, [0] * len(outs)


def _while(axis_size, args, dims, *, cond_graph, body_graph, n_cond, n_body):
    """Run while any example's condition holds; an example whose condition is false keeps
    its carry (the body's result is discarded for it)."""
    cond_consts, body_consts = args[:n_cond], args[n_cond:n_cond + n_body]
    c_dims, b_dims = list(dims[:n_cond]), list(dims[n_cond:n_cond + n_body])
    carry = [to_front(x, d, axis_size)
             for x, d in zip(args[n_cond + n_body:], dims[n_cond + n_body:])]
    carry_dims = [0] * len(carry)

    def batched_pred(consts, state):
        (pred,), (pred_dim,) = _batch_graph(cond_graph, list(consts) + list(state),
                                            c_dims + carry_dims, axis_size)
        return to_front(pred, pred_dim, axis_size)

    def any_pred(*inputs):
        return [_P["reduce_any"].bind(batched_pred(inputs[:n_cond], inputs[n_cond:]), axes=(0,))]

    def step(*inputs):
        consts, state = inputs[:n_cond + n_body], inputs[n_cond + n_body:]
        pred = batched_pred(consts[:n_cond], state)
        new, new_dims = _batch_graph(body_graph, list(consts[n_cond:]) + list(state),
                                     b_dims + carry_dims, axis_size)
        return [_select_examples(pred, to_front(x, d, axis_size), old)
                for x, d, old in zip(new, new_dims, state)]

    cond_types, body_types, carry_types = _types(cond_consts), _types(body_consts), _types(carry)
    new_cond, cap_c, _ = trace_flat(any_pred, cond_types + carry_types)
    new_body, cap_b, _ = trace_flat(step, cond_types + body_types + carry_types)
    assert not cap_c and not cap_b, "a batched sub-graph reads only its own inputs"
    outs = _P["while_loop"].bind(*cond_consts, *cond_consts, *body_consts, *carry,
                                 cond_graph=new_cond, body_graph=new_body,
                                 n_cond=n_cond, n_body=n_cond + n_body)
    return outs, carry_dims


def _scan(axis_size, args, dims, *, body, n_consts, n_carry, length, reverse):
    """Loop over axis 0 as before: batched xs get their batch axis at 1 (axis 0 of each
    slice), the carries are batched along 0, and the stacked ys along 1."""
    consts, c_dims = args[:n_consts], list(dims[:n_consts])
    carry = [to_front(x, d, axis_size)
             for x, d in zip(args[n_consts:n_consts + n_carry], dims[n_consts:n_consts + n_carry])]
    xs = [x if d is None else move_to(x, d, 1)
          for x, d in zip(args[n_consts + n_carry:], dims[n_consts + n_carry:])]
    x_dims = [None if d is None else 0 for d in dims[n_consts + n_carry:]]
    slice_types = [ArrayType(t.shape[1:], t.dtype) for t in _types(xs)]
    batched_body = batched_subgraph(body, _types(consts) + _types(carry) + slice_types,
                                    c_dims + [0] * n_carry + x_dims, axis_size)
    outs = _P["scan"].bind(*consts, *carry, *xs, body=batched_body, n_consts=n_consts,
                           n_carry=n_carry, length=length, reverse=reverse)
    return outs, [0] * n_carry + [1] * (len(outs) - n_carry)


RULES = {"cond": _cond, "while_loop": _while, "scan": _scan}
