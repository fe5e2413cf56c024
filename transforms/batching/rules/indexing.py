"""Batch rules of take, scatter and argsort.

With unbatched indices the batch axis is one more axis of the operand. With batched
indices every example gathers from (or scatters into) its own slice: the batch axis and
the indexed axis are merged into one axis of size batch*n, and each example's indices
are offset by example*n, so one gather (or scatter) serves the whole batch."""
from __future__ import annotations

import numpy as np

from tracer import REGISTRY

from ._helpers import along_axis_rule, example_shape, full_axis, move_to, shape_of, to_front

__all__ = ["RULES"]

_P = REGISTRY


def _merged_operand(x, dim, axis, axis_size):
    """x with its batch axis and per-example `axis` merged, the merged axis first:
    shape (batch*n, *before, *after)."""
    x = move_to(to_front(x, dim, axis_size), axis + 1, 1)
    shape = shape_of(x)
    return _P["reshape"].bind(x, shape=(shape[0] * shape[1],) + shape[2:])


def _offset_indices(idx, dim, axis_size, n):
    """Each example's indices shifted into its block of the merged axis: (batch, *idx)."""
    idx = to_front(_P["convert"].bind(idx, dtype=np.dtype(np.intp)), dim, axis_size)
    offsets = (np.arange(axis_size, dtype=np.intp) * n).reshape(
        (axis_size,) + (1,) * (len(shape_of(idx)) - 1))
    return _P["add"].bind(idx, offsets)


def _take(axis_size, args, dims, *, axis):
    (x, idx), (dim, idx_dim) = args, dims
    if idx_dim is None:
        full = full_axis(axis, dim)
        out_dim = dim if dim < full else dim + len(shape_of(idx)) - 1
        return _P["take"].bind(x, idx, axis=full), out_dim
    if dim is None:
        return _P["take"].bind(x, idx, axis=axis), axis + idx_dim
    n = example_shape(x, dim)[axis]
    gathered = _P["take"].bind(_merged_operand(x, dim, axis, axis_size),
                               _offset_indices(idx, idx_dim, axis_size, n), axis=0)
    # (batch, *idx, *before, *after) -> (batch, *before, *idx, *after)
    n_idx = len(shape_of(idx)) - 1
    perm = [0, *range(1 + n_idx, 1 + n_idx + axis), *range(1, 1 + n_idx),
            *range(1 + n_idx + axis, len(shape_of(gathered)))]
    return _P["transpose"].bind(gathered, perm=tuple(perm)), 0


def _scatter(axis_size, args, dims, *, axis, mode):
    (x, idx, updates), (dim, idx_dim, upd_dim) = args, dims
    if idx_dim is None:
        x, updates = to_front(x, dim, axis_size), to_front(updates, upd_dim, axis_size)
        return _P["scatter"].bind(x, idx, updates, axis=axis + 1, mode=mode), 0
    before_after = example_shape(x, dim)
    n = before_after.pop(axis)
    merged = _merged_operand(x, dim, axis, axis_size)
    flat_idx = _offset_indices(idx, idx_dim, axis_size, n)
    # updates: (batch, *before, *idx, *after) -> (batch, *idx, *before, *after)
    updates = to_front(updates, upd_dim, axis_size)
    n_idx = len(shape_of(flat_idx)) - 1
    perm = [0, *range(1 + axis, 1 + axis + n_idx), *range(1, 1 + axis),
            *range(1 + axis + n_idx, len(shape_of(updates)))]
    updates = _P["transpose"].bind(updates, perm=tuple(perm))
    out = _P["scatter"].bind(merged, flat_idx, updates, axis=0, mode=mode)
    out = _P["reshape"].bind(out, shape=(axis_size, n, *before_after))
    return move_to(out, 1, axis + 1), 0


RULES = {"take": _take, "scatter": _scatter, "argsort": along_axis_rule(REGISTRY["argsort"])}
