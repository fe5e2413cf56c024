"""Batch rules of the shape primitives: reshape, broadcast_to, transpose, slice,
concatenate, pad."""
from __future__ import annotations

import numpy as np

from tracer import REGISTRY

from ._helpers import example_ndim, full_axis, pad_rank, shape_of, to_front

__all__ = ["RULES"]

_P = REGISTRY


def _reshape(axis_size, args, dims, *, shape):
    x = to_front(args[0], dims[0], axis_size)
    return _P["reshape"].bind(x, shape=(axis_size,) + tuple(shape)), 0


def _broadcast_to(axis_size, args, dims, *, shape):
    x = pad_rank(to_front(args[0], dims[0], axis_size), len(shape))
    return _P["broadcast_to"].bind(x, shape=(axis_size,) + tuple(shape)), 0


def _transpose(axis_size, args, dims, *, perm):
    (x,), (dim,) = args, dims
    full = [full_axis(p, dim) for p in perm]
    full.insert(dim, dim)   # the batch axis stays where it is
    return _P["transpose"].bind(x, perm=tuple(full)), dim


def _slice(axis_size, args, dims, *, spec):
    (x,), (dim,) = args, dims
    full = list(spec)
    full.insert(dim, (0, axis_size, 1))
    return _P["slice"].bind(x, spec=tuple(full)), dim


def _concatenate(axis_size, args, dims, *, axis):
    xs = [to_front(x, d, axis_size) for x, d in zip(args, dims)]
    return _P["concatenate"].bind(*xs, axis=axis + 1), 0


def _pad(axis_size, args, dims, *, widths):
    (x, value), (dim, value_dim) = args, dims
    if value_dim is None:
        full = list(widths)
        full.insert(dim, (0, 0))
        return _P["pad"].bind(x, value, widths=tuple(full)), dim
    # One pad value per example: pad with anything, then choose each example's value
    # where an unbatched mask of the original elements is False.
    x = to_front(x, dim, axis_size)
    padded = _P["pad"].bind(x, 0, widths=((0, 0),) + tuple(widths))
    inside = _P["pad"].bind(np.ones(shape_of(x)[1:], np.bool_), False, widths=tuple(widths))
    value = to_front(_P["convert"].bind(value, dtype=x.dtype), value_dim, axis_size)
    value = pad_rank(value, example_ndim(x, 0))
    return _P["select"].bind(inside, padded, value), 0


RULES = {"reshape": _reshape, "broadcast_to": _broadcast_to, "transpose": _transpose,
         "slice": _slice, "concatenate": _concatenate, "pad": _pad}
