"""The table of NumPy-level functions that Tracers answer, and the dispatch from
NumPy's protocols into it."""
from __future__ import annotations

import difflib

import numpy as np

from ..errors import InplaceUpdateError

__all__ = ["FUNCTIONS", "UFUNCS", "UFUNC_METHODS", "implements", "implements_ufunc",
           "array_function", "array_ufunc", "call_ufunc"]

FUNCTIONS: dict = {}      # NumPy function -> implementation on Tracers (and arrays)
UFUNCS: dict = {}         # ufunc -> implementation of ufunc(*args)
UFUNC_METHODS: dict = {}  # (ufunc, "reduce" | "accumulate") -> implementation


def implements(*funcs):
    def register(impl):
        for f in funcs:
            FUNCTIONS[f] = impl
        return impl
    return register


def implements_ufunc(*ufuncs, method="__call__"):
    def register(impl):
        for u in ufuncs:
            if method == "__call__":
                UFUNCS[u] = impl
            else:
                UFUNC_METHODS[(u, method)] = impl
        return impl
    return register


def _qualified(f) -> str:
    module = getattr(f, "__module__", None) or "numpy"
    if module == "numpy" or module.startswith("numpy."):   # numpy.linalg -> np.linalg
        module = ".".join(["np"] + [p for p in module.split(".")[1:] if not p.startswith("_")])
    return f"{module}.{getattr(f, '__name__', f)}"


def _ufunc_name(ufunc) -> str:
    """np.exp, or scipy.special.erf for scipy's ufuncs."""
    if getattr(np, ufunc.__name__, None) is ufunc:
        return f"np.{ufunc.__name__}"
    import scipy.special
    if getattr(scipy.special, ufunc.__name__, None) is ufunc:
        return f"scipy.special.{ufunc.__name__}"
    return ufunc.__name__


def _unsupported(name: str, supported) -> NotImplementedError:
    near = difflib.get_close_matches(name.split(".")[-1], [n.split(".")[-1] for n in supported], n=3)
    hint = f" The nearest supported: {', '.join(near)}." if near else ""
    return NotImplementedError(
        f"numbaflow cannot trace {name}: it has no rule for it.{hint} Write it with supported "
        "NumPy functions, or call it outside the traced function.")


def _strong(out):
    """NumPy functions and ufuncs return NumPy scalars, which are strongly typed even when
    computed from Python scalars (np.exp(2.0) * float32 array is float64); only Python
    operators keep Python scalars weak."""
    if isinstance(out, (tuple, list)):
        return type(out)(_strong(o) for o in out)
    if getattr(getattr(out, "aval", None), "weak", False):
        from .basic import astype
        return astype(out, out.aval.dtype)
    return out


def array_function(func, args, kwargs):
    impl = FUNCTIONS.get(func)
    if impl is None:
        raise _unsupported(_qualified(func), [_qualified(f) for f in FUNCTIONS])
    return _strong(impl(*args, **kwargs))


def call_ufunc(ufunc, args, kwargs):
    impl = UFUNCS.get(ufunc)
    if impl is None:
        raise _unsupported(_ufunc_name(ufunc), [u.__name__ for u in UFUNCS])
    dtype = kwargs.pop("dtype", None)
    if kwargs:
        raise NotImplementedError(f"np.{ufunc.__name__}: keyword arguments {sorted(kwargs)} are "
                                  "not supported on traced arrays")
    if dtype is not None:
        from .basic import astype
        args = [astype(a, dtype) for a in args]
    return impl(*args)


def array_ufunc(ufunc, method, inputs, kwargs):
    if kwargs.get("out") is not None:
        raise InplaceUpdateError(f"np.{ufunc.__name__}(..., out=...) writes into an array")
    kwargs.pop("out", None)
    if method == "__call__":
        return _strong(call_ufunc(ufunc, inputs, kwargs))
    impl = UFUNC_METHODS.get((ufunc, method))
    if impl is None:
        raise NotImplementedError(f"numbaflow cannot trace np.{ufunc.__name__}.{method}; supported "
                                  f"ufunc methods: " + ", ".join(
                                      sorted(f"np.{u.__name__}.{m}" for u, m in UFUNC_METHODS)))
    return _strong(impl(*inputs, **kwargs))
