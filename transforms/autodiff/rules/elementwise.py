"""Derivatives of the element-wise primitives, from ONE table of partial derivatives.

`PARTIALS[name]` holds, per operand, d out / d operand as a function of the operands and
the output (or the constants 1 / -1, which need no multiply). Both rules come from it:

    JVP:  t_out = sum_i partial_i * t_i               (broadcast to the output)
    VJP:  ct_i  = unbroadcast(ct * partial_i, shape_i)  (in operand i's dtype)

Choices where the derivative does not exist (as JAX does):
- max/min at a tie (x == y): the gradient is split 0.5 / 0.5 between the operands.
- abs at 0: sign(0) = 0, so the derivative is 0.
- pow: d/dx of x**0 is 0 (even at x = 0), and d/dy at x = 0 uses log(1) = 0.
- comparisons, rounding, sign, bitwise and the predicates have zero derivatives (ZERO).
"""
from __future__ import annotations

import numbers

import numpy as np

from tracer.primitive import REGISTRY as P
from tracer.tracer import Tracer

from ._util import ZERO, add, astype, aval, mul, to_input, to_output, typed

__all__ = ["PARTIALS", "ZERO_DERIVATIVE", "JVP", "VJP"]

_TWO_OVER_SQRT_PI = float(2 / np.sqrt(np.pi))


def _power(x, k):
    """x ** k, with the small integer powers written as products (smaller graphs)."""
    if isinstance(k, numbers.Number) and not isinstance(k, bool):
        if k == 1:
            return x
        if k == 2:
            return x * x
    return x ** k


def _pow_dx(x, y, out):
    if not isinstance(y, (Tracer, np.ndarray)) and y == 0:
        return typed(0, aval(out).dtype)
    dx = y * _power(x, y - 1)
    if isinstance(y, (Tracer, np.ndarray)):    # y may hold zeros: d(x**0)/dx = 0, also at x = 0
        dx = np.where(y == 0, typed(0, aval(out).dtype), dx)
    return dx


def _pow_dy(x, y, out):
    safe = np.where(x == 0, typed(1, aval(x).dtype), x)     # 0**y: log(0) * 0 would be nan
    return np.log(safe) * out


def _balanced(this, other, out):
    """d max(x, y) / dx: 1 where x alone is chosen, 0.5 at a tie, 0 elsewhere."""
    dtype = aval(out).dtype
    tie = np.where(other == out, typed(0.5, dtype), typed(1, dtype))
    return np.where(this == out, tie, typed(0, dtype))


PARTIALS: dict = {
    "neg": (-1,),
    "exp": (lambda x, out: out,),
    "log": (lambda x, out: 1 / x,),
    "log1p": (lambda x, out: 1 / (1 + x),),
    "expm1": (lambda x, out: out + 1,),
    "sqrt": (lambda x, out: 0.5 / out,),
    "cbrt": (lambda x, out: 1 / (3 * out * out),),
    "sin": (lambda x, out: np.cos(x),),
    "cos": (lambda x, out: -np.sin(x),),
    "tan": (lambda x, out: 1 + out * out,),
    "arcsin": (lambda x, out: 1 / np.sqrt(1 - x * x),),
    "arccos": (lambda x, out: -1 / np.sqrt(1 - x * x),),
    "arctan": (lambda x, out: 1 / (1 + x * x),),
    "sinh": (lambda x, out: np.cosh(x),),
    "cosh": (lambda x, out: np.sinh(x),),
    "tanh": (lambda x, out: 1 - out * out,),
    "arcsinh": (lambda x, out: 1 / np.sqrt(x * x + 1),),
    "arccosh": (lambda x, out: 1 / np.sqrt(x * x - 1),),
    "arctanh": (lambda x, out: 1 / (1 - x * x),),
    "erf": (lambda x, out: _TWO_OVER_SQRT_PI * np.exp(-(x * x)),),
    "abs": (lambda x, out: np.sign(x),),
    "add": (1, 1),
    "sub": (1, -1),
    "mul": (lambda x, y, out: y, lambda x, y, out: x),
    "div": (lambda x, y, out: 1 / y, lambda x, y, out: -out / y),
    "mod": (1, lambda x, y, out: -np.floor_divide(x, y)),
    "pow": (_pow_dx, _pow_dy),
    "max": (lambda x, y, out: _balanced(x, y, out), lambda x, y, out: _balanced(y, x, out)),
    "min": (lambda x, y, out: _balanced(x, y, out), lambda x, y, out: _balanced(y, x, out)),
    "atan2": (lambda x, y, out: y / (x * x + y * y), lambda x, y, out: -x / (x * x + y * y)),
}

ZERO_DERIVATIVE = ("sign", "floor", "ceil", "round", "invert", "isnan", "isfinite",
                   "floor_divide", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor")


def _times(v, partial, primals, out):
    if partial == 1:
        return v
    if partial == -1:
        return P["neg"].bind(v)
    return mul(v, partial(*primals, out))


def _jvp_from(partials):
    def jvp(primals, tangents, out):
        total = None
        for partial, t in zip(partials, tangents):
            if t is not None:
                total = add(total, _times(t, partial, primals, out))
        return None if total is None else to_output(total, aval(out))
    return jvp


def _vjp_from(partials):
    def vjp(ct, primals, out, active):
        return [to_input(_times(ct, partial, primals, out), aval(x)) if on else None
                for partial, x, on in zip(partials, primals, active)]
    return vjp


# --- select and convert ----------------------------------------------------------------
def _select_jvp(primals, tangents, out):
    _, tx, ty = tangents
    t = aval(out)
    zero = typed(0, t.dtype)
    return to_output(P["select"].bind(primals[0], zero if tx is None else tx,
                                      zero if ty is None else ty), t)


def _select_vjp(ct, primals, out, active):
    """The gradient flows only through the branch each element chose."""
    cond, x, y = primals
    zero = typed(0, aval(ct).dtype)
    return [None,
            to_input(P["select"].bind(cond, ct, zero), aval(x)) if active[1] else None,
            to_input(P["select"].bind(cond, zero, ct), aval(y)) if active[2] else None]


def _convert_jvp(primals, tangents, out, *, dtype):
    return astype(tangents[0], dtype)


def _convert_vjp(ct, primals, out, active, *, dtype):
    return [astype(ct, aval(primals[0]).dtype)]


JVP = {name: _jvp_from(p) for name, p in PARTIALS.items()}
VJP = {name: _vjp_from(p) for name, p in PARTIALS.items()}
JVP.update(dict.fromkeys(ZERO_DERIVATIVE, ZERO), select=_select_jvp, convert=_convert_jvp)
VJP.update(dict.fromkeys(ZERO_DERIVATIVE, ZERO), select=_select_vjp, convert=_convert_vjp)
