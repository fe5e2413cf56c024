"""The "cuda" backend: `compile(graph)` plans the graph (fusion groups as numba.cuda
kernels, buffers, library calls) and returns a Program; the device is checked first, so a
machine without numba-cuda, a driver or a GPU gets an error naming what is missing."""
from __future__ import annotations

from typing import Any

from tracer import Graph

from .device import require_cuda

__all__ = ["CudaBackend"]


class CudaBackend:
    """backend="cuda". `CudaBackend(to_host=True)` makes programs that return NumPy arrays
    (jit(f, backend=CudaBackend(to_host=True))); the registered one keeps outputs on the
    device."""

    def __init__(self, to_host: bool = False, name: str = "cuda"):
        self.name, self.to_host = name, to_host

    def compile(self, graph: Graph, *, fastmath: bool = False):
        """fastmath is accepted for the interface and ignored: the kernels keep NumPy's
        rounding (libdevice's accurate functions, no reassociation)."""
        require_cuda()
        from .program import Program
        return Program.from_graph(graph, to_host=self.to_host)

    # Device residency (names as in JAX): a caller holding only a backend (nn's fit) keeps
    # pytrees on the GPU between program calls with these; a backend without them (cpu,
    # numpy) works on host arrays, so callers test for `device_put`.
    def device_put(self, tree: Any) -> Any:
        """Every NumPy leaf of `tree` copied to the device (kernels.cuda.transfer.to_device)."""
        from .transfer import to_device
        return to_device(tree)

    def device_get(self, tree: Any) -> Any:
        """Every device-array leaf of `tree` copied to a NumPy array (transfer.to_host)."""
        from .transfer import to_host
        return to_host(tree)
