"""Transforms: each reads a Graph and writes a new one, so they compose in any order.

    from transforms import grad, value_and_grad, vjp, jvp, jacfwd, jacrev, hessian
    from transforms import custom_vjp, vmap, jit

None of them imports Numba: the CPU backend is imported the first time `jit` compiles."""
from .autodiff import (custom_vjp, grad, hessian, jacfwd, jacrev, jvp, linearize,
                       value_and_grad, vjp)
from .batching import vmap
from .jit import jit  # binds the function over the submodule's name

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "linearize", "jacfwd", "jacrev", "hessian",
           "custom_vjp", "vmap", "jit"]
