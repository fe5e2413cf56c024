"""Shape functions: reshape, transpose, stacking, splitting, flipping, padding, tiling,
where, clip, the *_like constructors and triangles/diagonals."""
from __future__ import annotations

import builtins

import numpy as np

from ..errors import ShapeError
from ..ops import shape as S
from ..primitive import REGISTRY as P
from .basic import (as_operand, astype, aval, broadcast_to, expand_dims, moveaxis,
                    normalize_axes, normalize_axis, reshape, transpose)
from .registry import implements

__all__ = ["stack", "concatenate", "where", "clip"]


def _order_c(order, name):
    if order not in ("C", "K", "A", None):
        raise NotImplementedError(f"np.{name}(order={order!r}) is not supported on traced arrays")


@implements(np.reshape)
def _reshape(a, shape=None, order="C", newshape=None, copy=None):
    _order_c(order, "reshape")
    return reshape(a, shape if shape is not None else newshape)


@implements(np.ravel)
def ravel(a, order="C"):
    _order_c(order, "ravel")
    return reshape(a, (-1,))


@implements(np.transpose, np.permute_dims)
def _transpose(a, axes=None):
    ndim = aval(a).ndim
    perm = tuple(reversed(range(ndim))) if axes is None else normalize_axes(tuple(axes), ndim, "transpose")
    return transpose(a, perm)


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    ndim = aval(a).ndim
    i, j = normalize_axis(axis1, ndim, "swapaxes"), normalize_axis(axis2, ndim, "swapaxes")
    perm = list(range(ndim))
    perm[i], perm[j] = j, i
    return transpose(a, perm)


implements(np.moveaxis)(moveaxis)
implements(np.expand_dims)(expand_dims)


@implements(np.squeeze)
def squeeze(a, axis=None):
    shape = aval(a).shape
    axes = tuple(i for i, d in enumerate(shape) if d == 1) if axis is None else \
        normalize_axes(axis, len(shape), "squeeze")
    if any(shape[i] != 1 for i in axes):
        raise ShapeError("squeeze", "cannot select an axis to squeeze out which has size not "
                         "equal to one", (aval(a),))
    return reshape(a, [d for i, d in enumerate(shape) if i not in axes])


@implements(np.broadcast_to)
def _broadcast_to(array, shape, subok=False):
    return broadcast_to(array, (shape,) if isinstance(shape, int) else shape)


@implements(np.broadcast_arrays)
def broadcast_arrays(*args, subok=False):
    shape = np.broadcast_shapes(*(aval(a).shape for a in args))
    return tuple(broadcast_to(a, shape) for a in args)


def _atleast_shape(shape, n):
    if len(shape) >= n:
        return shape
    if n == 3:
        return {0: (1, 1, 1), 1: (1, *shape, 1), 2: (*shape, 1)}[len(shape)]
    return (1,) * (n - len(shape)) + shape


def _atleast_nd(n):
    def atleast(*arys):
        outs = [reshape(a, _atleast_shape(aval(a).shape, n)) for a in map(as_operand, arys)]
        return outs[0] if len(outs) == 1 else tuple(outs)
    return atleast


for _n, _f in ((1, np.atleast_1d), (2, np.atleast_2d), (3, np.atleast_3d)):
    implements(_f)(_atleast_nd(_n))


@implements(np.concatenate, np.concat)
def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = [as_operand(a) for a in arrays]
    if axis is None:
        arrays, axis = [reshape(a, (-1,)) for a in arrays], 0
    if dtype is not None:
        arrays = [astype(a, dtype) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if len(arrays) == 1:
        return arrays[0]
    ndim = aval(arrays[0]).ndim
    if ndim == 0:
        raise ShapeError("concatenate", "zero-dimensional arrays cannot be concatenated",
                         [aval(a) for a in arrays])
    return S.concatenate.bind(*arrays, axis=normalize_axis(axis, ndim, "concatenate"))


@implements(np.stack)
def stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = [as_operand(a) for a in arrays]
    shapes = {aval(a).shape for a in arrays}
    if len(shapes) != 1:
        raise ShapeError("stack", "all input arrays must have the same shape", [aval(a) for a in arrays])
    axis = normalize_axis(axis, aval(arrays[0]).ndim + 1, "stack")
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis, dtype=dtype)


@implements(np.hstack)
def hstack(tup, dtype=None, casting="same_kind"):
    arrs = [_atleast_nd(1)(a) for a in tup]
    return concatenate(arrs, axis=0 if aval(arrs[0]).ndim == 1 else 1, dtype=dtype)


@implements(np.vstack, np.row_stack) if hasattr(np, "row_stack") else implements(np.vstack)
def vstack(tup, dtype=None, casting="same_kind"):
    return concatenate([_atleast_nd(2)(a) for a in tup], axis=0, dtype=dtype)


@implements(np.dstack)
def dstack(tup):
    return concatenate([_atleast_nd(3)(a) for a in tup], axis=2)


@implements(np.column_stack)
def column_stack(tup):
    return concatenate([reshape(a, (-1, 1)) if aval(a).ndim < 2 else a for a in map(as_operand, tup)],
                       axis=1)


def _take_slice(a, axis, start, stop, step=1):
    spec = [(0, n, 1) for n in aval(a).shape]
    n = aval(a).shape[axis]
    start, stop, step = slice(start, stop, step).indices(n)
    spec[axis] = (start, len(range(start, stop, step)), step)
    if spec[axis] == (0, n, 1):
        return a
    return S.slice_p.bind(a, spec=tuple(spec))


@implements(np.split)
def split(ary, indices_or_sections, axis=0):
    n = aval(ary).shape[normalize_axis(axis, aval(ary).ndim, "split")]
    if isinstance(indices_or_sections, (int, np.integer)) and n % int(indices_or_sections):
        raise ValueError("array split does not result in an equal division; use np.array_split")
    return array_split(ary, indices_or_sections, axis)


@implements(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    axis = normalize_axis(axis, aval(ary).ndim, "split")
    n = aval(ary).shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        bounds = np.cumsum([0] + sizes)
    else:
        bounds = [0] + [builtins.min(builtins.max(int(i), 0), n) for i in indices_or_sections] + [n]
    return [_take_slice(ary, axis, lo, builtins.max(lo, hi)) for lo, hi in zip(bounds[:-1], bounds[1:])]


@implements(np.hsplit)
def hsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=1 if aval(ary).ndim > 1 else 0)


@implements(np.vsplit)
def vsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=0)


@implements(np.flip)
def flip(m, axis=None):
    spec = [(0, n, 1) for n in aval(m).shape]
    for a in normalize_axes(axis, aval(m).ndim, "flip"):
        n = aval(m).shape[a]
        spec[a] = (n - 1, n, -1) if n else (0, 0, 1)
    return S.slice_p.bind(m, spec=tuple(spec))


@implements(np.fliplr)
def fliplr(m):
    return flip(m, 1)


@implements(np.flipud)
def flipud(m):
    return flip(m, 0)


@implements(np.roll)
def roll(a, shift, axis=None):
    if axis is None:
        return reshape(roll(reshape(a, (-1,)), shift, 0), aval(a).shape)
    shifts = np.broadcast_to(shift, np.shape(axis)).ravel() if np.ndim(axis) else [shift]
    axes = np.ravel(axis)
    for s, ax in zip(shifts, axes):
        ax = normalize_axis(ax, aval(a).ndim, "roll")
        n = aval(a).shape[ax]
        s = int(s) % n if n else 0
        if s:
            a = concatenate([_take_slice(a, ax, n - s, n), _take_slice(a, ax, 0, n - s)], axis=ax)
    return a


@implements(np.repeat)
def repeat(a, repeats, axis=None):
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    axis = normalize_axis(axis, aval(a).ndim, "repeat")
    shape = aval(a).shape
    if np.ndim(repeats) == 0:
        r = int(repeats)
        b = broadcast_to(expand_dims(a, axis + 1), shape[:axis + 1] + (r,) + shape[axis + 1:])
        return reshape(b, shape[:axis] + (shape[axis] * r,) + shape[axis + 1:])
    from .indexing import take
    index = np.repeat(np.arange(shape[axis]), np.asarray(repeats))
    return take(a, index, axis=axis)


@implements(np.tile)
def tile(A, reps):
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    shape = aval(A).shape
    nd = builtins.max(len(shape), len(reps))
    shape = (1,) * (nd - len(shape)) + shape
    reps = (1,) * (nd - len(reps)) + reps
    a = reshape(A, [d for s in shape for d in (1, s)])
    a = broadcast_to(a, [d for r, s in zip(reps, shape) for d in (r, s)])
    return reshape(a, [r * s for r, s in zip(reps, shape)])


def _pad_widths(pad_width, ndim):
    w = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (ndim, 2))   # NumPy's rule
    return tuple((int(lo), int(hi)) for lo, hi in w)


@implements(np.pad)
def pad(array, pad_width, mode="constant", constant_values=0, **kwargs):
    widths = _pad_widths(pad_width, aval(array).ndim)
    if mode == "constant":
        if np.ndim(constant_values) != 0:
            raise NotImplementedError("np.pad: per-axis constant_values are not supported on traced arrays")
        return S.pad.bind(array, constant_values, widths=widths)
    if mode not in ("edge", "wrap", "reflect", "symmetric"):
        raise NotImplementedError(f"np.pad(mode={mode!r}) is not supported on traced arrays; "
                                  "use constant, edge, wrap, reflect or symmetric")
    from .indexing import take
    out = array
    for ax, (lo, hi) in enumerate(widths):
        if lo or hi:
            # NumPy itself says which source element lands at each padded position.
            out = take(out, np.pad(np.arange(aval(out).shape[ax]), (lo, hi), mode=mode), axis=ax)
    return out


@implements(np.where)
def where(condition, x=None, y=None):
    if x is None and y is None:
        from .indexing import nonzero
        return nonzero(condition)
    return P["select"].bind(astype(as_operand(condition), np.bool_), as_operand(x), as_operand(y))


@implements(np.clip)
def clip(a, a_min=None, a_max=None, out=None, min=None, max=None, **kwargs):
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    if lo is not None:
        a = P["max"].bind(a, as_operand(lo))
    if hi is not None:
        a = P["min"].bind(a, as_operand(hi))
    return a


def _like(fill):
    def like(a, dtype=None, order="K", subok=True, shape=None, device=None, **kw):
        t = aval(a)
        value = kw.get("fill_value", fill)
        return np.full(t.shape if shape is None else shape, value, dtype=dtype or t.dtype)
    return like


implements(np.zeros_like)(_like(0))
implements(np.ones_like)(_like(1))
implements(np.empty_like)(_like(0))


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, device=None):
    if not isinstance(fill_value, (int, float, bool, complex, np.ndarray, np.generic)):
        t = aval(a)
        return broadcast_to(astype(fill_value, dtype or t.dtype), t.shape if shape is None else shape)
    return _like(fill_value)(a, dtype=dtype, shape=shape)


@implements(np.copy)
def copy(a, order="K", subok=False):
    return a


@implements(np.astype)
def _astype(x, dtype, copy=True, device=None):
    return astype(x, dtype)


@implements(np.shape)
def shape(a):
    return aval(a).shape


@implements(np.ndim)
def ndim(a):
    return aval(a).ndim


@implements(np.size)
def size(a, axis=None):
    return aval(a).size if axis is None else aval(a).shape[axis]


@implements(np.result_type)
def result_type(*arrays_and_dtypes):
    from ..types import result_dtype
    return result_dtype(*[aval(a) if not isinstance(a, (type, np.dtype, str)) else
                          aval(np.zeros((), a)) for a in arrays_and_dtypes])


def _tri_mask(a, k, lower):
    n, m = aval(a).shape[-2:]
    mask = np.tri(n, m, k - (0 if lower else 1), dtype=bool)
    return mask if lower else ~mask


@implements(np.triu)
def triu(m, k=0):
    return where(_tri_mask(m, k, False), m, np.zeros((), aval(m).dtype))


@implements(np.tril)
def tril(m, k=0):
    return where(_tri_mask(m, k, True), m, np.zeros((), aval(m).dtype))


@implements(np.round, np.around)
def round_(a, decimals=0, out=None):
    dtype = aval(a).dtype
    if dtype.kind in "iub" and decimals >= 0:
        return a
    if decimals == 0:
        return P["round"].bind(a)
    if decimals > 0:   # as NumPy: rint(a * 10**d) / 10**d, or rint(a / 10**-d) * 10**-d
        scale = 10.0 ** decimals
        return P["div"].bind(P["round"].bind(P["mul"].bind(a, scale)), scale)
    scale = 10 ** -decimals
    out = P["mul"].bind(P["round"].bind(P["div"].bind(a, float(scale))), scale)
    return astype(out, dtype)


def _broadcast_weights(a, weights, axis):
    shape = aval(a).shape
    w = as_operand(weights)
    if aval(w).shape == shape:
        return w
    if axis is None or aval(w).ndim != 1:
        raise ShapeError("average", "weights must match the array's shape, or be 1-D along axis",
                         (aval(a), aval(w)))
    axis = normalize_axis(axis, len(shape), "average")
    return reshape(w, [aval(w).shape[0] if i == axis else 1 for i in range(len(shape))])
