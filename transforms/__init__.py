"""Transforms: each reads a Graph and writes a new one, so they compose in any order.

    from transforms import grad, value_and_grad, vjp, jvp, jacfwd, jacrev, hessian
    from transforms import custom_vjp, vmap, jit

Submodules are imported on first use, so `import transforms` does not import Numba."""
from __future__ import annotations

import importlib

_WHERE = {
    "grad": ".autodiff", "value_and_grad": ".autodiff", "vjp": ".autodiff", "jvp": ".autodiff",
    "jacfwd": ".autodiff", "jacrev": ".autodiff", "hessian": ".autodiff",
    "custom_vjp": ".autodiff", "linearize": ".autodiff",
    "vmap": ".batching",
    "jit": ".jit",
}
__all__ = sorted(set(_WHERE) - {"linearize"})


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'transforms' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_WHERE))
