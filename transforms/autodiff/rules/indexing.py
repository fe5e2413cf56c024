"""Derivatives of take and scatter (argsort: zero). The VJP of take is a scatter-add into
zeros; scatter's rules per mode:
- add: linear in x and the updates.
- set: x's cotangent is zeroed where it was overwritten; among duplicate indices only
  the update that was written last (as NumPy does) receives a cotangent.
- mul: exact with zeros: each update's factor "product of the other updates at its
  position" counts the zeros instead of dividing by them.
- min/max: the chosen value gets the derivative, split equally among ties."""
from __future__ import annotations

import numpy as np

from tracer.primitive import REGISTRY as P

from ._util import ZERO, add, astype, aval, reshape, to_input, to_output, typed, zeros

__all__ = ["JVP", "VJP"]


def _take_jvp(primals, tangents, out, *, axis):
    return P["take"].bind(tangents[0], primals[1], axis=axis)


def _take_vjp(ct, primals, out, active, *, axis):
    x, idx = primals
    full = np.zeros(aval(x).shape, aval(ct).dtype)
    return [to_input(P["scatter"].bind(full, idx, ct, axis=axis, mode="add"), aval(x)), None]


def _scatter(x, idx, updates, axis, mode):
    return P["scatter"].bind(x, idx, updates, axis=axis, mode=mode)


def _written_last(x, idx, axis):
    """Mask (broadcastable to the updates) of the updates that survive a scatter-set."""
    n, shape = aval(x).shape[axis], aval(idx).shape
    order = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.intp).reshape(shape)
    winner = _scatter(np.full(n, -1, np.intp), idx, order, 0, "set")
    won = P["eq"].bind(P["take"].bind(winner, idx, axis=0), order)
    return reshape(won, (1,) * axis + shape + (1,) * (aval(x).ndim - axis - 1))


def _others_product(x, idx, u, axis):
    """For each update, the product of the other updates scattered to its position."""
    dtype = aval(u).dtype
    is_zero = P["eq"].bind(u, typed(0, dtype))
    nonzero = P["select"].bind(is_zero, typed(1, dtype), u)
    ones = np.ones(aval(x).shape, dtype)
    product = P["take"].bind(_scatter(ones, idx, nonzero, axis, "mul"), idx, axis=axis)
    zero_counts = _scatter(np.zeros(aval(x).shape, dtype), idx, astype(is_zero, dtype), axis, "add")
    zeros_at = P["take"].bind(zero_counts, idx, axis=axis)
    zero = typed(0, dtype)
    alone = P["select"].bind(P["eq"].bind(zeros_at, typed(1, dtype)), product, zero)
    divided = P["select"].bind(P["eq"].bind(zeros_at, zero), product / nonzero, zero)
    return P["select"].bind(is_zero, alone, divided)


def _chosen(x, idx, u, out, axis):
    """Where x, and where each update, is the min/max written, and the tie counts."""
    dtype = aval(out).dtype
    x_hit = astype(P["eq"].bind(x, out), dtype)
    u_hit = astype(P["eq"].bind(u, P["take"].bind(out, idx, axis=axis)), dtype)
    count = x_hit + _scatter(np.zeros(aval(out).shape, dtype), idx, u_hit, axis, "add")
    return x_hit, u_hit, count


def _scatter_jvp(primals, tangents, out, *, axis, mode):
    x, idx, u = primals
    tx, _, tu = tangents
    if mode in ("add", "set"):
        tx = zeros(aval(x)) if tx is None else tx
        tu = zeros(aval(u)) if tu is None else tu
        return to_output(_scatter(tx, idx, tu, axis, mode), aval(out))
    if mode == "mul":
        full = _scatter(np.ones(aval(x).shape, aval(out).dtype), idx, u, axis, "mul")
        dx = None if tx is None else tx * full
        du = None if tu is None else x * _scatter(zeros(aval(out)), idx,
                                                  tu * _others_product(x, idx, u, axis), axis, "add")
        return to_output(add(dx, du), aval(out))
    x_hit, u_hit, count = _chosen(x, idx, u, out, axis)
    dx = None if tx is None else tx * x_hit
    du = None if tu is None else _scatter(zeros(aval(out)), idx, tu * u_hit, axis, "add")
    return to_output(add(dx, du) / count, aval(out))


def _scatter_vjp(ct, primals, out, active, *, axis, mode):
    x, idx, u = primals
    ct_x = ct_u = None
    if mode == "add":
        ct_x = ct if active[0] else None
        ct_u = P["take"].bind(ct, idx, axis=axis) if active[2] else None
    elif mode == "set":
        if active[0]:
            ct_x = _scatter(ct, idx, np.zeros(aval(u).shape, aval(ct).dtype), axis, "set")
        if active[2]:
            ct_u = P["take"].bind(ct, idx, axis=axis) * _written_last(x, idx, axis)
    elif mode == "mul":
        if active[0]:
            ct_x = ct * _scatter(np.ones(aval(x).shape, aval(ct).dtype), idx, u, axis, "mul")
        if active[2]:
            ct_u = P["take"].bind(ct * x, idx, axis=axis) * _others_product(x, idx, u, axis)
    else:
        x_hit, u_hit, count = _chosen(x, idx, u, out, axis)
        share = ct / count
        ct_x = share * x_hit if active[0] else None
        ct_u = P["take"].bind(share, idx, axis=axis) * u_hit if active[2] else None
    return [None if ct_x is None else to_input(ct_x, aval(x)), None,
            None if ct_u is None else to_input(ct_u, aval(u))]


JVP = {"take": _take_jvp, "scatter": _scatter_jvp, "argsort": ZERO}
VJP = {"take": _take_vjp, "scatter": _scatter_vjp, "argsort": ZERO}
