"""Scalar pieces of generated code: typed literals, casts, and the vectorisable
transcendentals of kernels/vecmath.py."""
from __future__ import annotations

import importlib
import math

import numpy as np

__all__ = ["literal", "cast", "np_type", "vector_function", "check_dtype", "VECMATH"]

_SUPPORTED = set("biuf")


def check_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind not in _SUPPORTED or dtype.itemsize > 8 or dtype == np.float16:
        raise TypeError(f"the cpu backend has no code for dtype {dtype} (it compiles bool, "
                        "integer, float32 and float64 arrays); use the 'numpy' backend "
                        "(NUMBAFLOW_BACKEND=numpy) for this function")
    return dtype


def np_type(dtype) -> str:
    """The expression naming a NumPy scalar type in generated code: np.float32."""
    return "np." + ("bool_" if np.dtype(dtype) == np.bool_ else np.dtype(dtype).name)


def literal(value, dtype) -> str:
    """A literal of exactly `dtype` (a bare 0.5 would make float32 code float64)."""
    dtype = check_dtype(dtype)
    value = np.asarray(value).item()
    if dtype.kind == "b":   # np.bool_, not True: a helper would compile once per literal
        return f"np.bool_({bool(value)})"
    if dtype.kind in "iu":
        return f"{np_type(dtype)}({int(value)})"
    value = float(value)
    if math.isnan(value):
        text = "np.nan"
    elif math.isinf(value):
        text = "np.inf" if value > 0 else "-np.inf"
    else:
        text = repr(value)
    return f"{np_type(dtype)}({text})"


def cast(expr: str, src, dst) -> str:
    """`expr` (of dtype `src`, or unknown when None) as a scalar of dtype `dst`."""
    dst = check_dtype(dst)
    if src is not None and np.dtype(src) == dst:
        return expr
    if dst.kind == "b":
        return f"(({expr}) != 0)"
    return f"{np_type(dst)}({expr})"


# --- kernels/vecmath.py ---------------------------------------------------------------------
_VEC_NAMES = ("exp", "log", "tanh", "sigmoid", "log1p", "expm1", "erf")
VECMATH = "kernels.vecmath"


def _vecmath():
    try:
        return importlib.import_module(VECMATH)
    except ImportError:
        return None


def vector_function(name: str, dtype) -> str | None:
    """`vm.<function>` computing `name` on scalars of `dtype` in a way LLVM vectorises, or
    None if kernels/vecmath.py has none (the caller then uses math.*)."""
    module = _vecmath()
    if module is None or name not in _VEC_NAMES:
        return None
    short = {"float32": "f32", "float64": "f64"}.get(np.dtype(dtype).name)
    if short is None:
        return None
    for candidate in (f"{name}_{short}", f"{name}{short[1:]}", name):
        if callable(getattr(module, candidate, None)):
            return f"vm.{candidate}"
    return None
