"""Control-flow primitives. Each holds its bodies as sub-graphs in its params; values the
bodies close over are explicit operands (`consts`), so every transform sees them.

- cond(pred, *consts, *operands; true_branch, false_branch): both branches take
  consts + operands.
- while_loop(*cond_consts, *body_consts, *init; cond_graph, body_graph, n_cond, n_body)
- scan(*consts, *init, *xs; body, n_consts, n_carry, length, reverse): body(consts, carry,
  x) -> (carry, y); the outputs are the final carry and the ys stacked along axis 0."""
from __future__ import annotations

import numpy as np

from ..builder import eval_graph
from ..errors import ShapeError
from ..primitive import Primitive
from ..types import ArrayType

__all__ = ["cond_p", "while_p", "scan_p"]


def _cond_infer(pred, *operands, true_branch, false_branch):
    if pred.shape != () or pred.dtype != np.bool_:
        raise ShapeError("cond", f"the predicate must be a boolean scalar, not {pred}", (pred,))
    return true_branch.out_types


def _cond_numpy(pred, *operands, true_branch, false_branch):
    return eval_graph(true_branch if bool(pred) else false_branch, operands)


cond_p = Primitive("cond", "control_flow", _cond_infer, _cond_numpy, multiple_results=True)


def _while_infer(*args, cond_graph, body_graph, n_cond, n_body):
    return [t.strong() for t in args[n_cond + n_body:]]


def _while_numpy(*args, cond_graph, body_graph, n_cond, n_body):
    cond_consts, body_consts = list(args[:n_cond]), list(args[n_cond:n_cond + n_body])
    carry = list(args[n_cond + n_body:])
    while bool(eval_graph(cond_graph, cond_consts + carry)[0]):
        carry = eval_graph(body_graph, body_consts + carry)
    return [np.asarray(c, dtype=t.dtype) for c, t in zip(carry, body_graph.out_types)]


while_p = Primitive("while_loop", "control_flow", _while_infer, _while_numpy,
                    multiple_results=True)


def _scan_infer(*args, body, n_consts, n_carry, length, reverse):
    for x in args[n_consts + n_carry:]:
        if not x.shape or x.shape[0] != length:
            raise ShapeError("scan", f"every xs array needs leading axis {length}", (x,))
    carry_types = [t.strong() for t in args[n_consts:n_consts + n_carry]]
    ys = [ArrayType((length,) + t.shape, t.dtype) for t in body.out_types[n_carry:]]
    return carry_types + ys


def _scan_numpy(*args, body, n_consts, n_carry, length, reverse):
    consts = list(args[:n_consts])
    carry = list(args[n_consts:n_consts + n_carry])
    xs = [np.asarray(x) for x in args[n_consts + n_carry:]]
    ys = [np.empty((length,) + t.shape, t.dtype) for t in body.out_types[n_carry:]]
    for i in (reversed(range(length)) if reverse else range(length)):
        out = eval_graph(body, consts + carry + [x[i] for x in xs])
        carry = out[:n_carry]
        for y, v in zip(ys, out[n_carry:]):
            y[i] = v
    return [np.asarray(c, dtype=t.dtype) for c, t in zip(carry, body.out_types)] + ys


scan_p = Primitive("scan", "control_flow", _scan_infer, _scan_numpy, multiple_results=True)
