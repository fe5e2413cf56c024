"""The backend interface: `backend.compile(graph) -> program`, `program(*arrays) -> list
of arrays` (one per graph output). The graph passes run before a backend sees the graph,
so a new backend (CUDA) adds code generation only."""
from __future__ import annotations

import os
from typing import Callable, Protocol

from tracer import Graph, eval_graph

__all__ = ["Backend", "register_backend", "get_backend", "default_backend", "BACKENDS"]


class Backend(Protocol):
    """`compile(graph, fastmath=False)`; the program takes the graph's inputs as given to
    jit: ndarrays, NumPy scalars, or Python scalars where the input type is weak. A program
    may also offer `program.unchecked(*arrays)`, which jit calls with ndarrays of exactly
    the compiled shapes and dtypes (its cache key guarantees them), skipping the checks, and
    for a graph with one output `program.unchecked_one(*arrays)`, which returns that output
    itself (an ndarray) rather than a sequence of one."""
    name: str

    def compile(self, graph: Graph, *, fastmath: bool = False) -> Callable[..., list]:
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


def default_backend() -> Backend:
    """$NUMBAFLOW_BACKEND if set, else "cpu" (Numba) when `kernels.cpu` imports, else "numpy"."""
    name = os.environ.get("NUMBAFLOW_BACKEND")
    if name in (None, "", "cpu") and "cpu" not in BACKENDS:
        try:
            import kernels.cpu  # noqa: F401  (registers "cpu"; imports Numba, so only now)
        except ModuleNotFoundError as e:
            if name == "cpu" or e.name not in ("kernels.cpu", "numba"):
                raise
    return get_backend(name or ("cpu" if "cpu" in BACKENDS else "numpy"))


class _Reference:
    """Evaluates the graph with NumPy, op by op: the semantics every backend must match."""
    name = "numpy"

    def compile(self, graph: Graph, *, fastmath: bool = False):   # exact: no fastmath
        return lambda *arrays: eval_graph(graph, arrays)


register_backend(_Reference())
