"""Derivatives of the reductions. reduce_max/min split the gradient equally among tied
maxima (as JAX does); reduce_prod uses products of the *other* elements built from
exclusive cumulative products, so it is exact with zeros in the input (no division)."""
from __future__ import annotations

import numpy as np

from tracer.primitive import REGISTRY as P

from ._util import (ZERO, astype, aval, expand_reduced, flip, keepdims_shape, reshape, shift,
                    to_input, to_output, transpose, zeros)

__all__ = ["JVP", "VJP", "products_of_others"]


def _sum_jvp(primals, tangents, out, *, axes):
    return P["reduce_sum"].bind(tangents[0], axes=axes)


def _sum_vjp(ct, primals, out, active, *, axes):
    return [to_input(expand_reduced(ct, aval(primals[0]).shape, axes), aval(primals[0]))]


def products_of_others(x, axes: tuple):
    """For each element of x, the product of the other elements of its reduction group."""
    t = aval(x)
    kept = tuple(i for i in range(t.ndim) if i not in axes)
    m = int(np.prod([t.shape[a] for a in axes], dtype=np.int64))
    if m == 0:
        return zeros(t)
    perm = kept + tuple(axes)
    rows = reshape(transpose(x, perm), tuple(t.shape[i] for i in kept) + (m,))
    last = len(kept)
    before = P["cumprod"].bind(shift(rows, 1, last, 1), axis=last)
    after = flip(P["cumprod"].bind(shift(flip(rows, last), 1, last, 1), axis=last), last)
    others = reshape(before * after, tuple(t.shape[i] for i in perm))
    return transpose(others, tuple(int(i) for i in np.argsort(perm)))


def _prod_jvp(primals, tangents, out, *, axes):
    return P["reduce_sum"].bind(tangents[0] * products_of_others(primals[0], axes), axes=axes)


def _prod_vjp(ct, primals, out, active, *, axes):
    x = primals[0]
    return [to_input(expand_reduced(ct, aval(x).shape, axes) * products_of_others(x, axes),
                     aval(x))]


def _chosen(x, out, axes):
    """Where x attains its max/min, as x's dtype, and how many tie in each group."""
    shape = aval(x).shape
    mask = astype(P["eq"].bind(x, reshape(out, keepdims_shape(shape, axes))), aval(x).dtype)
    count = P["reduce_sum"].bind(mask, axes=axes)
    return mask, count


def _chooser_jvp(primals, tangents, out, *, axes):
    mask, count = _chosen(primals[0], out, axes)
    return to_output(P["reduce_sum"].bind(tangents[0] * mask, axes=axes) / count, aval(out))


def _chooser_vjp(ct, primals, out, active, *, axes):
    x = primals[0]
    mask, count = _chosen(x, out, axes)
    return [to_input(expand_reduced(ct / count, aval(x).shape, axes) * mask, aval(x))]


JVP = {"reduce_sum": _sum_jvp, "reduce_prod": _prod_jvp,
       "reduce_max": _chooser_jvp, "reduce_min": _chooser_jvp,
       "reduce_any": ZERO, "reduce_all": ZERO, "argmax": ZERO, "argmin": ZERO}
VJP = {"reduce_sum": _sum_vjp, "reduce_prod": _prod_vjp,
       "reduce_max": _chooser_vjp, "reduce_min": _chooser_vjp,
       "reduce_any": ZERO, "reduce_all": ZERO, "argmax": ZERO, "argmin": ZERO}
