"""The "cpu" backend: fuse, generate one Numba program per graph, load it through the
on-disk cache."""
from __future__ import annotations

from tracer import Graph

from . import cache
from .codegen import generate
from .program import Program

__all__ = ["CpuBackend", "compile_graph"]


def compile_graph(graph: Graph, fastmath: bool = False) -> Program:
    """Compile `graph` to a Program. Graphs of equal structure share one source and one
    Numba function: only code generation runs again, and Numba compiles on the first call
    of a new signature (or loads it from the disk cache)."""
    generated = generate(graph, fastmath)
    computes = any(out[0] == "result" for out in generated.outputs)
    dispatcher = cache.load(generated.source, generated.key) if computes else None
    return Program(graph, generated, dispatcher)


class CpuBackend:
    name = "cpu"

    def compile(self, graph: Graph, *, fastmath: bool = False) -> Program:
        return compile_graph(graph, fastmath)
