"""Element-wise primitives. Each is a NumPy ufunc with NumPy broadcasting and NumPy 2
dtype resolution (Python scalars weak), plus `select` (np.where) and `convert` (astype)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.special

from ..errors import ShapeError
from ..primitive import Primitive
from ..types import ArrayType, result_dtype

__all__ = ["UNARY", "BINARY", "NONDIFFERENTIABLE", "broadcast_shapes", "select", "convert"]

# primitive name -> the ufunc that defines it (and is its NumPy reference)
UNARY = {
    "neg": np.negative, "exp": np.exp, "log": np.log, "log1p": np.log1p,
    "expm1": np.expm1, "sqrt": np.sqrt, "cbrt": np.cbrt,
    "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "arcsinh": np.arcsinh, "arccosh": np.arccosh, "arctanh": np.arctanh,
    "erf": scipy.special.erf,
    "abs": np.absolute, "sign": np.sign, "floor": np.floor, "ceil": np.ceil,
    "round": np.rint, "invert": np.invert, "isnan": np.isnan, "isfinite": np.isfinite,
}
BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "floor_divide": np.floor_divide, "mod": np.remainder, "pow": np.power,
    "max": np.maximum, "min": np.minimum, "atan2": np.arctan2,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal,
    "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
}
# Piecewise-constant or boolean-valued: their derivatives are zero.
NONDIFFERENTIABLE = {"sign", "floor", "ceil", "round", "invert", "isnan", "isfinite",
                     "floor_divide", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor"}


def broadcast_shapes(name, types):
    try:
        return np.broadcast_shapes(*(t.shape for t in types))
    except ValueError:
        raise ShapeError(name, "shapes cannot be broadcast together", types) from None


def _dtype_key(t: ArrayType):
    """What ufunc.resolve_dtypes takes: a dtype, or a Python type for a weak scalar."""
    if t.weak and t.dtype.kind in "iufc":
        return {"i": int, "u": int, "f": float, "c": complex}[t.dtype.kind]
    return t.dtype


@lru_cache(maxsize=None)
def _resolve(ufunc, keys):
    return ufunc.resolve_dtypes(keys + (None,))[-1]


def _ufunc_infer(name, ufunc):
    def infer(*types):
        shape = broadcast_shapes(name, types)
        try:
            dtype = _resolve(ufunc, tuple(_dtype_key(t) for t in types))
        except TypeError:
            raise ShapeError(name, f"no NumPy loop for dtypes {[str(t.dtype) for t in types]}",
                             types) from None
        weak = all(t.weak for t in types) and dtype.kind != "b"
        return ArrayType(shape, dtype, weak)
    return infer


def _ufunc_numpy(ufunc):
    def run(*args):
        return ufunc(*args)
    return run


for _name, _ufunc in {**UNARY, **BINARY}.items():
    Primitive(_name, "elementwise", _ufunc_infer(_name, _ufunc), _ufunc_numpy(_ufunc),
              differentiable=_name not in NONDIFFERENTIABLE)


def _select_infer(cond, x, y):
    if cond.dtype != np.bool_:
        raise ShapeError("select", f"the condition must be boolean, not {cond.dtype}", (cond, x, y))
    shape = broadcast_shapes("select", (cond, x, y))
    dtype = result_dtype(x, y)
    # np.where returns an array: weak (a Python scalar's stand-in) only if all three are
    return ArrayType(shape, dtype, cond.weak and x.weak and y.weak)


select = Primitive("select", "elementwise", _select_infer, np.where)


def _convert_infer(x, *, dtype):
    return ArrayType(x.shape, dtype)


def _convert_numpy(x, *, dtype):
    return np.asarray(x).astype(dtype)


convert = Primitive("convert", "elementwise", _convert_infer, _convert_numpy)
