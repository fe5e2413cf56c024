"""Element-wise ops as scalar expressions inside a CUDA kernel: the cuda twin of
kernels/cpu/lowering/elementwise.py, sharing its dtype logic (`loop_dtypes`: NumPy's loop
dtypes, Python scalars weak) and its typed literals and casts (kernels/cpu/scalars.py).
Only the function names differ: math.* (libdevice on the GPU, float32 stays float32),
and kernels/cuda/runtime.py where NumPy ufuncs do not type in a CUDA kernel."""
from __future__ import annotations

import numpy as np

from tracer import Const, Op

from ..cpu.lowering.elementwise import loop_dtypes
from ..cpu.scalars import cast, literal

__all__ = ["RULES", "expression", "literal", "cast", "np_type"]


def np_type(dtype) -> str:
    dtype = np.dtype(dtype)
    return "np." + ("bool_" if dtype == np.bool_ else dtype.name)


def _math(name):
    return lambda x, t, op: f"math.{name}({x[0]})"


def _rounding(name):
    """floor, ceil, rint of a float through runtime.<name>_f32/_f64; integers are exact."""
    def rule(x, t, op):
        if t.kind != "f":
            return x[0]
        return f"{name}_{'f32' if t.itemsize == 4 else 'f64'}({x[0]})"
    return rule


def _sign(x, t, op):
    a, one, zero = x[0], literal(1, t), literal(0, t)
    if t.kind == "u":
        return f"({one} if {a} > 0 else {zero})"
    return f"({one} if {a} > 0 else ({literal(-1, t)} if {a} < 0 else {a}))"


def _pow(x, t, op):
    exponent = op.inputs[1]
    if isinstance(exponent, Const) and np.ndim(exponent.value) == 0 and exponent.value == 2:
        return f"({x[0]} * {x[0]})"   # np.power's own fast path; exact
    return f"({x[0]} ** {x[1]})"


def _binary(symbol):
    return lambda x, t, op: f"({x[0]} {symbol} {x[1]})"


RULES = {
    "neg": lambda x, t, op: f"(-{x[0]})",
    "sqrt": _math("sqrt"),
    "cbrt": lambda x, t, op: f"cbrt_{'f32' if t.itemsize == 4 else 'f64'}({x[0]})",
    "exp": _math("exp"), "log": _math("log"), "log1p": _math("log1p"),
    "expm1": _math("expm1"), "tanh": _math("tanh"), "erf": _math("erf"),
    "sin": _math("sin"), "cos": _math("cos"), "tan": _math("tan"),
    "arcsin": _math("asin"), "arccos": _math("acos"), "arctan": _math("atan"),
    "sinh": _math("sinh"), "cosh": _math("cosh"),
    "arcsinh": _math("asinh"), "arccosh": _math("acosh"), "arctanh": _math("atanh"),
    "abs": lambda x, t, op: x[0] if t.kind == "b" else f"abs({x[0]})",
    "sign": _sign,
    "floor": _rounding("floor"), "ceil": _rounding("ceil"), "round": _rounding("rint"),
    "invert": lambda x, t, op: f"(not {x[0]})" if t.kind == "b" else f"(~{x[0]})",
    "isnan": lambda x, t, op: f"math.isnan({x[0]})" if t.kind == "f" else "False",
    "isfinite": lambda x, t, op: f"is_finite({x[0]})" if t.kind == "f" else "True",
    "add": _binary("+"), "sub": _binary("-"), "mul": _binary("*"), "div": _binary("/"),
    "floor_divide": _binary("//"), "mod": _binary("%"),
    "pow": _pow,
    "max": lambda x, t, op: f"nf_max({x[0]}, {x[1]})",
    "min": lambda x, t, op: f"nf_min({x[0]}, {x[1]})",
    "atan2": lambda x, t, op: f"math.atan2({x[0]}, {x[1]})",
    "eq": _binary("=="), "ne": _binary("!="), "lt": _binary("<"), "le": _binary("<="),
    "gt": _binary(">"), "ge": _binary(">="),
    "and": _binary("&"), "or": _binary("|"), "xor": _binary("^"),
    "select": lambda x, t, op: f"({x[1]} if {x[0]} else {x[2]})",
    "convert": lambda x, t, op: x[0],
    "broadcast_to": lambda x, t, op: x[0],
}
# reductions over no axes are casts (np.sum(x, axis=()) is x in the sum's dtype)
for _name in ("reduce_sum", "reduce_prod", "reduce_max", "reduce_min"):
    RULES[_name] = lambda x, t, op: x[0]
RULES["reduce_any"] = RULES["reduce_all"] = lambda x, t, op: f"({x[0]} != 0)"


def expression(op: Op, operands: list) -> str:
    """The scalar expression of `op`'s result in its IR dtype. `operands[i]` is
    (expression, dtype) of input i, or a 0-d Const (written as a literal)."""
    in_dts, res_dt = loop_dtypes(op)
    args = []
    for arg, dt in zip(operands, in_dts):
        if isinstance(arg, Const):
            args.append(literal(arg.value, dt))
        else:
            args.append(cast(arg[0], arg[1], dt))
    expr = RULES[op.prim.name](args, in_dts[-1] if op.prim.name != "select" else res_dt, op)
    return cast(expr, None, op.outputs[0].aval.dtype)
