"""Reductions and statistics: sum, prod, max, min, any, all, argmax, argmin, mean, var,
std, average, ptp, cumsum, cumprod, linalg.norm."""
from __future__ import annotations

import numpy as np

from ..ops import cumulative as C
from ..ops import reductions as R
from ..primitive import REGISTRY as P
from .basic import astype, aval, broadcast_to, normalize_axes, normalize_axis, reshape
from .registry import implements

__all__ = ["sum", "prod", "max", "min", "any", "all", "argmax", "argmin", "mean", "var", "std"]


def _no_extras(name, **extras):
    bad = [k for k, v in extras.items() if v is not None and v is not np._NoValue]
    if bad:
        raise NotImplementedError(f"np.{name}: the arguments {bad} are not supported on traced arrays")


def _keep(out, x, axes, keepdims):
    if not keepdims:
        return out
    return reshape(out, tuple(1 if i in axes else d for i, d in enumerate(aval(x).shape)))


def _reducer(prim, name):
    def reduce(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
        _no_extras(name, out=out, initial=initial, where=where)
        a = a if dtype is None else astype(a, dtype)
        axes = normalize_axes(axis, aval(a).ndim, name)
        return _keep(prim.bind(a, axes=axes), a, axes, keepdims)
    reduce.__name__ = name
    return reduce


sum = implements(np.sum)(_reducer(R.reduce_sum, "sum"))
prod = implements(np.prod)(_reducer(R.reduce_prod, "prod"))
max = implements(np.max, np.amax)(_reducer(R.reduce_max, "max"))
min = implements(np.min, np.amin)(_reducer(R.reduce_min, "min"))


def _logical(prim, name):
    def reduce(a, axis=None, out=None, keepdims=False, where=None):
        _no_extras(name, out=out, where=where)
        a = astype(a, np.bool_)
        axes = normalize_axes(axis, aval(a).ndim, name)
        return _keep(prim.bind(a, axes=axes), a, axes, keepdims)
    return reduce


any = implements(np.any)(_logical(R.reduce_any, "any"))
all = implements(np.all)(_logical(R.reduce_all, "all"))


def _arg(prim, name):
    def reduce(a, axis=None, out=None, keepdims=False):
        _no_extras(name, out=out)
        if axis is None:
            out = prim.bind(reshape(a, (-1,)), axis=0)
            return reshape(out, (1,) * aval(a).ndim) if keepdims else out
        axis = normalize_axis(axis, aval(a).ndim, name)
        return _keep(prim.bind(a, axis=axis), a, (axis,), keepdims)
    return reduce


argmax = implements(np.argmax)(_arg(R.argmax, "argmax"))
argmin = implements(np.argmin)(_arg(R.argmin, "argmin"))


def _count(a, axes) -> int:
    return int(np.prod([aval(a).shape[i] for i in axes], dtype=np.int64))


def _mean_dtype(a, dtype):
    if dtype is not None:
        return np.dtype(dtype)
    d = aval(a).dtype
    return d if d.kind in "fc" else np.dtype(np.float64)


def _mean(a, axes, keepdims):
    return P["div"].bind(sum(a, axis=axes, keepdims=keepdims), _count(a, axes))


@implements(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    _no_extras("mean", out=out, where=where)
    a = astype(a, _mean_dtype(a, dtype))
    return _mean(a, normalize_axes(axis, aval(a).ndim, "mean"), keepdims)


@implements(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None,
        correction=None):
    _no_extras("var", out=out, where=where, mean=mean)
    ddof = correction if correction is not None else ddof
    a = astype(a, _mean_dtype(a, dtype))
    axes = normalize_axes(axis, aval(a).ndim, "var")
    centered = P["sub"].bind(a, _mean(a, axes, True))
    return P["div"].bind(sum(P["mul"].bind(centered, centered), axis=axes, keepdims=keepdims),
                         int(np.maximum(_count(a, axes) - ddof, 0)))   # weak: keeps float32


@implements(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None,
        correction=None):
    return P["sqrt"].bind(var(a, axis, dtype, out, ddof, keepdims, where, mean, correction))


@implements(np.average)
def average(a, axis=None, weights=None, returned=False, keepdims=False):
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        total = _count(a, normalize_axes(axis, aval(a).ndim, "average"))
        scale = np.asarray(total, dtype=aval(avg).dtype)
    else:
        from .shape import _broadcast_weights
        w = _broadcast_weights(a, weights, axis)
        scale = sum(w, axis=axis, keepdims=keepdims)
        avg = P["div"].bind(sum(P["mul"].bind(a, w), axis=axis, keepdims=keepdims), scale)
    if returned:
        return avg, broadcast_to(astype(scale, aval(avg).dtype), aval(avg).shape)
    return avg


@implements(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    return P["sub"].bind(max(a, axis=axis, out=out, keepdims=keepdims),
                         min(a, axis=axis, keepdims=keepdims))


def _cumulative(prim, name):
    def cum(a, axis=None, dtype=None, out=None):
        _no_extras(name, out=out)
        a = a if dtype is None else astype(a, dtype)
        if axis is None:
            a, axis = reshape(a, (-1,)), 0
        return prim.bind(a, axis=normalize_axis(axis, aval(a).ndim, name))
    return cum


cumsum = implements(np.cumsum)(_cumulative(C.cumsum, "cumsum"))
cumprod = implements(np.cumprod)(_cumulative(C.cumprod, "cumprod"))


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    ndim = aval(x).ndim
    axes = normalize_axes(axis, ndim, "linalg.norm")
    x = astype(x, _mean_dtype(x, None))
    absx = P["abs"].bind(x)
    if ord in (None, "fro", 2) and (ord != 2 or len(axes) == 1) and (ord != "fro" or len(axes) == 2):
        return P["sqrt"].bind(sum(P["mul"].bind(x, x), axis=axes, keepdims=keepdims))
    if len(axes) == 1:
        if ord == np.inf:
            return max(absx, axis=axes, keepdims=keepdims)
        if ord == -np.inf:
            return min(absx, axis=axes, keepdims=keepdims)
        if ord == 0:
            return sum(astype(P["ne"].bind(x, 0), aval(x).dtype), axis=axes, keepdims=keepdims)
        if isinstance(ord, (int, float)):
            s = sum(P["pow"].bind(absx, float(ord)), axis=axes, keepdims=keepdims)
            return P["pow"].bind(s, 1.0 / ord)
    if len(axes) == 2 and ord in (1, -1, np.inf, -np.inf):
        along = axes[0] if ord in (1, -1) else axes[1]
        sums = sum(absx, axis=along, keepdims=True)
        pick = max if ord > 0 else min
        other = axes[1] if ord in (1, -1) else axes[0]
        out = pick(sums, axis=other, keepdims=True)
        return out if keepdims else reshape(out, [d for i, d in enumerate(aval(out).shape)
                                                 if i not in axes])
    raise NotImplementedError(f"np.linalg.norm with ord={ord!r} over {len(axes)} axes is not "
                              "supported on traced arrays (it needs a singular value decomposition)")
