"""The backend interface: `backend.compile(graph) -> program`, `program(*arrays) -> list
of arrays` (one per graph output). The graph passes run before a backend sees the graph,
so a new backend (CUDA) adds code generation only."""
from __future__ import annotations

from typing import Callable, Protocol

from tracer import Graph, eval_graph

__all__ = ["Backend", "register_backend", "get_backend", "BACKENDS"]


class Backend(Protocol):
    name: str

    def compile(self, graph: Graph) -> Callable[..., list]:
        ...


BACKENDS: dict[str, Backend] = {}


def register_backend(backend: Backend) -> Backend:
    BACKENDS[backend.name] = backend
    return backend


def get_backend(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; available: {sorted(BACKENDS)}") from None


class _Reference:
    """Evaluates the graph with NumPy, op by op: the semantics every backend must match."""
    name = "numpy"

    def compile(self, graph: Graph):
        return lambda *arrays: eval_graph(graph, arrays)


register_backend(_Reference())
