"""Derivatives of the cumulative scans along one axis.

cumprod is differentiated through its log-depth doubling form
    y_0 = x,  y_{s+1} = y_s * shift(y_s, 2**s)        (shift fills with 1)
whose last level is cumprod(x): only multiplications, so both rules are exact with zeros
in the input (no out / x division), at O(n log n) work and memory along the axis.
cummax/cummin send each output's derivative to the latest position that attains the
running maximum/minimum (at ties: the latest tied element)."""
from __future__ import annotations

import numpy as np

from tracer.primitive import REGISTRY as P

from ._util import (aval, flip, scatter_add_along, shift, take_along, to_input, to_output,
                    unshift)

__all__ = ["JVP", "VJP"]


def _cumsum_jvp(primals, tangents, out, *, axis):
    return P["cumsum"].bind(tangents[0], axis=axis)


def _cumsum_vjp(ct, primals, out, active, *, axis):
    reverse_cumsum = flip(P["cumsum"].bind(flip(ct, axis), axis=axis), axis)
    return [to_input(reverse_cumsum, aval(primals[0]))]


def _levels(x, axis):
    """y_0 .. y_{S-1} of the doubling form (the last level, cumprod(x), is not needed)."""
    n, levels, d = aval(x).shape[axis], [x], 1
    while 2 * d < n:
        levels.append(levels[-1] * shift(levels[-1], d, axis, 1))
        d *= 2
    return levels if n > 1 else []


def _cumprod_jvp(primals, tangents, out, *, axis):
    t = tangents[0]
    for s, y in enumerate(_levels(primals[0], axis)):
        d = 2 ** s
        t = t * shift(y, d, axis, 1) + y * shift(t, d, axis, 0)
    return to_output(t, aval(out))


def _cumprod_vjp(ct, primals, out, active, *, axis):
    g = ct
    for s, y in reversed(list(enumerate(_levels(primals[0], axis)))):
        d = 2 ** s
        g = g * shift(y, d, axis, 1) + unshift(g * y, d, axis)
    return [to_input(g, aval(primals[0]))]


def _source(x, out, axis):
    """For each output position, the index along `axis` of the element it equals."""
    t = aval(x)
    positions = np.arange(t.shape[axis]).reshape([-1 if i == axis else 1 for i in range(t.ndim)])
    attained = P["select"].bind(P["eq"].bind(x, out), positions, np.intp(0))
    return P["cummax"].bind(attained, axis=axis)


def _chooser_jvp(primals, tangents, out, *, axis):
    return to_output(take_along(tangents[0], _source(primals[0], out, axis), axis), aval(out))


def _chooser_vjp(ct, primals, out, active, *, axis):
    x = primals[0]
    return [to_input(scatter_add_along(ct, _source(x, out, axis), axis), aval(x))]


JVP = {"cumsum": _cumsum_jvp, "cumprod": _cumprod_jvp, "cummax": _chooser_jvp,
       "cummin": _chooser_jvp}
VJP = {"cumsum": _cumsum_vjp, "cumprod": _cumprod_vjp, "cummax": _chooser_vjp,
       "cummin": _chooser_vjp}
