"""Element-wise ops as scalar expressions inside a fused loop nest.

Each op computes in its NumPy loop dtypes (`ufunc.resolve_dtypes`, Python scalars weak): the
operands are cast to the loop's input dtypes, the rule builds the expression, and the
result is cast to the IR dtype, since Numba widens integer arithmetic (int32 + int32 is
int64) where NumPy wraps. Constants become literals of the loop dtype (np.float32(0.5)),
so float32 code stays float32."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from tracer import Const, Op
from tracer.ops.elementwise import BINARY, UNARY

from ..scalars import cast, literal, vector_function

__all__ = ["RULES", "expression", "loop_dtypes"]


def _float_only(fmt):
    """A rule for a float function; integer loops never reach it (NumPy computes those in
    float), so the format string is all there is."""
    return lambda x, t, op: fmt.format(*x)


def _math(name):
    return _float_only(f"math.{name}({{}})")


def _transcendental(name):
    """exp, log, tanh...: the vectorisable kernels of kernels/vecmath.py where it has one
    for this dtype, else math.* (which LLVM cannot vectorise)."""
    def rule(x, t, op):
        fn = vector_function(name, t)
        return f"{fn}({x[0]})" if fn else f"math.{name}({x[0]})"
    return rule


def _by_kind(floats, ints, bools=None):
    """Pick a rule by the loop dtype's kind."""
    def rule(x, t, op):
        k = t.kind
        chosen = floats if k == "f" else (bools if k == "b" and bools is not None else ints)
        return chosen(x, t, op) if callable(chosen) else chosen.format(*x)
    return rule


def _sign(x, t, op):
    """np.sign: 1, -1, or the operand itself (0, -0.0 and NaN pass through)."""
    a, one = x[0], literal(1, t)
    if t.kind == "u":
        return f"({one} if {a} > 0 else {literal(0, t)})"
    return f"({one} if {a} > 0 else ({literal(-1, t)} if {a} < 0 else {a}))"


def _pow(x, t, op):
    exponent = op.inputs[1]
    if isinstance(exponent, Const) and np.ndim(exponent.value) == 0 and exponent.value == 2:
        return f"({x[0]} * {x[0]})"   # what np.power's fast path does; exact
    return f"({x[0]} ** {x[1]})"


RULES = {
    "neg": lambda x, t, op: f"(-{x[0]})",
    "sqrt": _math("sqrt"), "cbrt": _float_only("np.cbrt({})"),
    "sin": _math("sin"), "cos": _math("cos"), "tan": _math("tan"),
    "arcsin": _math("asin"), "arccos": _math("acos"), "arctan": _math("atan"),
    "sinh": _math("sinh"), "cosh": _math("cosh"),
    "arcsinh": _math("asinh"), "arccosh": _math("acosh"), "arctanh": _math("atanh"),
    **{n: _transcendental(n) for n in ("exp", "log", "log1p", "expm1", "tanh", "erf")},
    "abs": _by_kind("abs({})", "abs({})", "{}"),
    "sign": _sign,
    "floor": _by_kind("np.floor({})", "{}"), "ceil": _by_kind("np.ceil({})", "{}"),
    "round": _by_kind("np.rint({})", "{}"),
    "invert": _by_kind("~{}", "~{}", "(not {})"),
    "isnan": _by_kind("np.isnan({})", "False"),
    "isfinite": _by_kind("np.isfinite({})", "True"),
    "add": lambda x, t, op: f"({x[0]} + {x[1]})",
    "sub": lambda x, t, op: f"({x[0]} - {x[1]})",
    "mul": lambda x, t, op: f"({x[0]} * {x[1]})",
    "div": lambda x, t, op: f"({x[0]} / {x[1]})",
    "floor_divide": lambda x, t, op: f"({x[0]} // {x[1]})",
    "mod": lambda x, t, op: f"({x[0]} % {x[1]})",
    "pow": _pow,
    "max": lambda x, t, op: f"nf_max({x[0]}, {x[1]})",
    "min": lambda x, t, op: f"nf_min({x[0]}, {x[1]})",
    "atan2": _float_only("math.atan2({}, {})"),
    "eq": lambda x, t, op: f"({x[0]} == {x[1]})",
    "ne": lambda x, t, op: f"({x[0]} != {x[1]})",
    "lt": lambda x, t, op: f"({x[0]} < {x[1]})",
    "le": lambda x, t, op: f"({x[0]} <= {x[1]})",
    "gt": lambda x, t, op: f"({x[0]} > {x[1]})",
    "ge": lambda x, t, op: f"({x[0]} >= {x[1]})",
    "and": lambda x, t, op: f"({x[0]} & {x[1]})",
    "or": lambda x, t, op: f"({x[0]} | {x[1]})",
    "xor": lambda x, t, op: f"({x[0]} ^ {x[1]})",
    "select": lambda x, t, op: f"({x[1]} if {x[0]} else {x[2]})",
    "convert": lambda x, t, op: x[0],
    "broadcast_to": lambda x, t, op: x[0],
}
# reductions over no axes are casts (np.sum(x, axis=()) is x in the sum's dtype)
for _name in ("reduce_sum", "reduce_prod", "reduce_max", "reduce_min"):
    RULES[_name] = lambda x, t, op: x[0]
RULES["reduce_any"] = RULES["reduce_all"] = lambda x, t, op: f"({x[0]} != 0)"

_UFUNCS = {**UNARY, **BINARY}


def _dtype_key(aval):
    if aval.weak and aval.dtype.kind in "iuf":
        return {"i": int, "u": int, "f": float}[aval.dtype.kind]
    return aval.dtype


@lru_cache(maxsize=None)
def _resolve(ufunc, keys):
    return ufunc.resolve_dtypes(keys + (None,))


def loop_dtypes(op: Op) -> tuple[list, np.dtype]:
    """The dtypes the op computes in: (one per operand, the result's)."""
    name, ins, out = op.prim.name, [v.aval for v in op.inputs], op.outputs[0].aval.dtype
    if name in _UFUNCS:
        dts = _resolve(_UFUNCS[name], tuple(_dtype_key(a) for a in ins))
        return list(dts[:-1]), dts[-1]
    if name == "select":
        return [np.dtype(bool), out, out], out
    if name == "reduce_any" or name == "reduce_all":
        return [ins[0].dtype], np.dtype(bool)
    if name.startswith("reduce_"):      # over no axes: a cast to the reduction's dtype
        return [out], out
    return [ins[0].dtype], ins[0].dtype   # convert, broadcast_to: the cast comes after


def expression(op: Op, operands: list) -> str:
    """The scalar expression of `op`'s result in its IR dtype. `operands[i]` is
    (expression, dtype) of input i, or a Const."""
    in_dts, res_dt = loop_dtypes(op)
    args = []
    for (arg, dt) in zip(operands, in_dts):
        if isinstance(arg, Const):
            args.append(literal(arg.value, dt))
        else:
            args.append(cast(arg[0], arg[1], dt))
    expr = RULES[op.prim.name](args, in_dts[-1] if op.prim.name != "select" else res_dt, op)
    return cast(expr, None, op.outputs[0].aval.dtype)
