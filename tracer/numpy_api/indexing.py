"""Indexing: x[...] with NumPy's basic and advanced rules, take, take_along_axis, sort,
argsort, diagonal, diag, trace. Everything gathers through one `take` primitive."""
from __future__ import annotations

import numpy as np

from ..errors import ConcretizationError, ShapeError
from ..ops import indexing as I
from ..ops import shape as S
from ..primitive import REGISTRY as P
from ..tracer import Tracer
from .basic import aval, broadcast_to, normalize_axis, reshape, transpose
from .registry import implements

__all__ = ["getitem", "take", "take_along_axis", "wrap_negative"]


def wrap_negative(idx, n):
    """NumPy's negative indices count from the end."""
    if isinstance(idx, Tracer):
        return P["select"].bind(P["lt"].bind(idx, 0), P["add"].bind(idx, n), idx)
    idx = np.asarray(idx)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx.min() if idx.min() < -n else idx.max()
        raise IndexError(f"index {bad} is out of bounds for axis with size {n}")
    return np.where(idx < 0, idx + n, idx).astype(np.intp)


def _is_array_index(i):
    return isinstance(i, (Tracer, np.ndarray, list)) and not isinstance(i, bool) or \
        isinstance(i, np.generic) and i.dtype == np.bool_


def _bool_to_int(mask):
    if isinstance(mask, Tracer):
        if mask.value is None:
            raise ConcretizationError("indexing with a boolean mask (whose result's shape depends "
                                      "on the values); use np.where(mask, x, 0) instead,",
                                      mask.aval)
        mask.builder.consulted = True
        mask = mask.value
    return list(np.nonzero(np.asarray(mask)))


def _expand_index(index, ndim):
    """The index as a list of entries, one per axis of x or None (newaxis)."""
    index = list(index) if isinstance(index, tuple) else [index]
    index = [np.asarray(i) if isinstance(i, list) else i for i in index]
    out = []
    for i in index:
        if aval_kind(i) == "b" and _is_array_index(i):
            out.extend(_bool_to_int(i))
        else:
            out.append(i)
    used = sum(1 for i in out if i is not None and i is not Ellipsis)
    if used > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but {used} were indexed")
    ellipses = [k for k, i in enumerate(out) if i is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    fill = [slice(None)] * (ndim - used)
    if ellipses:
        out[ellipses[0]:ellipses[0] + 1] = fill
    else:
        out += fill
    return out


def aval_kind(i):
    if isinstance(i, (Tracer, np.ndarray, np.generic)):
        return aval(i).dtype.kind
    return None


def getitem(x, index):
    entries = _expand_index(index, aval(x).ndim)
    advanced = [k for k, e in enumerate(entries) if _is_array_index(e) or
                (isinstance(e, (Tracer, np.generic, np.ndarray)) and aval(e).ndim > 0)]
    if advanced:   # integers join the advanced indices when there are any
        advanced = [k for k, e in enumerate(entries) if e is not None and not isinstance(e, slice)]
    # 1. slices (and, without advanced indices, integers) as one slice op
    spec, out_shape, adv_axes, axis = [], [], [], 0
    for k, e in enumerate(entries):
        if e is None:
            out_shape.append(1)
            continue
        n = aval(x).shape[axis]
        if isinstance(e, slice):
            start, stop, step = e.indices(n)
            count = len(range(start, stop, step))
            spec.append((start if count else 0, count, step if count else 1))
            out_shape.append(count)
        elif k in advanced:
            spec.append((0, n, 1))
            adv_axes.append(len(out_shape))
            out_shape.append(n)
        else:
            if isinstance(e, Tracer):
                raise IndexError("a scalar traced index needs an advanced-indexing context; "
                                 "use np.take(x, i, axis)")
            i = _as_int(e).item()
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
            spec.append((i % n, 1, 1))
        axis += 1
    y = x
    if any(s != (0, n, 1) for s, n in zip(spec, aval(x).shape)):
        y = S.slice_p.bind(x, spec=tuple(spec))
    y = reshape(y, out_shape)
    if not advanced:
        return y
    return _gather(y, adv_axes, [entries[k] for k in advanced],
                   contiguous=advanced == list(range(advanced[0], advanced[-1] + 1)))


def _gather(y, axes, indices, contiguous):
    """y[..., i0, ..., i1, ...] for integer arrays `indices` at `axes` of y, NumPy's way:
    the broadcast index shape replaces the indexed axes where they were adjacent, else it
    goes first."""
    shape = aval(y).shape
    shapes = [np.shape(i) if not isinstance(i, Tracer) else i.shape for i in indices]
    try:
        idx_shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing arrays could not be broadcast together with "
                         f"shapes {' '.join(map(str, shapes))}") from None
    flat = None
    for ax, i in zip(axes, indices):
        n = shape[ax]
        stride = int(np.prod([shape[a] for a in axes[axes.index(ax) + 1:]], dtype=np.int64))
        i = wrap_negative(i if isinstance(i, Tracer) else _as_int(i), n)
        term = i if stride == 1 else P["mul"].bind(i, stride)
        flat = term if flat is None else P["add"].bind(flat, term)
    flat = broadcast_to(flat, idx_shape)
    rest = [a for a in range(len(shape)) if a not in axes]
    y = transpose(y, tuple(axes) + tuple(rest))
    y = reshape(y, (int(np.prod([shape[a] for a in axes], dtype=np.int64)),)
                + tuple(shape[a] for a in rest))   # not -1: the rest may be empty
    out = I.take.bind(y, flat, axis=0)
    if contiguous and axes[0] > 0:
        nb, k = len(idx_shape), axes[0]
        perm = list(range(nb, nb + k)) + list(range(nb)) + list(range(nb + k, nb + len(rest)))
        out = transpose(out, perm)
    return out


def _as_int(i):
    i = np.asarray(i)
    if i.dtype.kind not in "iu":
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) "
                         "and integer or boolean arrays are valid indices")
    return i


@implements(np.take)
def take(a, indices, axis=None, out=None, mode=None):
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    axis = normalize_axis(axis, aval(a).ndim, "take")
    indices = indices if isinstance(indices, Tracer) else _as_int(indices)
    n = aval(a).shape[axis]
    if mode == "wrap":
        indices = np.mod(indices, n)
    elif mode == "clip":
        indices = np.clip(indices, 0, n - 1)
    elif mode not in (None, "raise"):
        raise ValueError(f"np.take: mode must be 'raise', 'wrap' or 'clip', not {mode!r}")
    return I.take.bind(a, wrap_negative(indices, n), axis=axis)


@implements(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    if axis is None:
        arr, axis = reshape(arr, (-1,)), 0
    ndim = aval(arr).ndim
    axis = normalize_axis(axis, ndim, "take_along_axis")
    if aval(indices).ndim != ndim:
        raise ShapeError("take_along_axis", "indices and arr must have the same number of "
                         "dimensions", (aval(arr), aval(indices)))
    idx_shape = aval(indices).shape
    full = tuple(max(a, b) if i != axis else b
                 for i, (a, b) in enumerate(zip(aval(arr).shape, idx_shape)))
    grids = [np.arange(full[i]).reshape([-1 if j == i else 1 for j in range(ndim)])
             for i in range(ndim)]
    grids[axis] = broadcast_to(indices, full) if aval(indices).shape != full else indices
    arr = broadcast_to(arr, tuple(full[i] if i != axis else aval(arr).shape[i] for i in range(ndim)))
    return _gather(arr, list(range(ndim)), grids, contiguous=True)


@implements(np.argsort)
def argsort(a, axis=-1, kind=None, order=None, stable=None):
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    return I.argsort.bind(a, axis=normalize_axis(axis, aval(a).ndim, "argsort"))


@implements(np.sort)
def sort(a, axis=-1, kind=None, order=None, stable=None):
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    return take_along_axis(a, argsort(a, axis), axis)


@implements(np.nonzero, np.argwhere, np.flatnonzero)
def nonzero(a):
    raise ConcretizationError("np.nonzero/np.argwhere (whose result's shape depends on the "
                              "values); use np.where(mask, x, 0) or a fixed-size mask instead,",
                              aval(a))


@implements(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    ndim = aval(a).ndim
    i, j = normalize_axis(axis1, ndim, "diagonal"), normalize_axis(axis2, ndim, "diagonal")
    n, m = aval(a).shape[i], aval(a).shape[j]
    rows = np.arange(max(0, -offset), min(n, m - offset)) if n and m else np.arange(0)
    rest = [k for k in range(ndim) if k not in (i, j)]
    a = transpose(a, rest + [i, j])
    return _gather(a, [len(rest), len(rest) + 1], [rows, rows + offset], contiguous=True)


@implements(np.diag)
def diag(v, k=0):
    if aval(v).ndim == 2:
        return diagonal(v, k)
    if aval(v).ndim != 1:
        raise ShapeError("diag", "input must be 1- or 2-d", (aval(v),))
    n = aval(v).shape[0] + abs(k)
    eye = np.eye(n, k=k, dtype=aval(v).dtype)
    cols = reshape(v, (1, -1)) if k >= 0 else reshape(v, (-1, 1))
    padded = S.pad.bind(cols, np.zeros((), aval(v).dtype),
                        widths=((0, 0), (k, 0)) if k >= 0 else ((-k, 0), (0, 0)))
    # row (k >= 0) or column (k < 0) broadcast over the square, masked by the k-th diagonal
    return P["mul"].bind(broadcast_to(padded, (n, n)), eye)


@implements(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    from .reductions import sum
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)
