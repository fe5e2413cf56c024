"""Primitives and their registry. A primitive carries its `infer` rule (ArrayTypes in,
ArrayType(s) out) and its `numpy` rule (the eager reference). The transforms and kernels
keep their own rule tables keyed by the same primitives."""
from __future__ import annotations

from typing import Callable

__all__ = ["Primitive", "REGISTRY", "bind"]

REGISTRY: dict[str, "Primitive"] = {}


class Primitive:
    def __init__(self, name: str, family: str, infer: Callable, numpy: Callable,
                 multiple_results: bool = False, differentiable: bool = True):
        if name in REGISTRY:
            raise ValueError(f"primitive {name!r} is registered twice")
        self.name, self.family = name, family
        self.infer, self.numpy = infer, numpy
        self.multiple_results = multiple_results
        self.differentiable = differentiable
        self.view = False   # does NumPy return a view (so in-place updates are refused)?
        REGISTRY[name] = self

    def bind(self, *args, **params):
        return bind(self, args, params)

    def __repr__(self):
        return f"Primitive({self.name})"


def bind(prim: Primitive, args, params: dict):
    """Apply `prim`: record it into the innermost trace among the arguments, or, with
    no traced argument, run the NumPy reference (eager mode is NumPy itself)."""
    builder = None
    for a in args:
        if isinstance(a, Tracer):
            b = a.builder
            if builder is None or b.level > builder.level:
                builder = b
    if builder is None:
        return prim.numpy(*args, **params)
    return builder.record(prim, args, params)


from .tracer import Tracer  # noqa: E402  (Tracer's methods bind primitives)
