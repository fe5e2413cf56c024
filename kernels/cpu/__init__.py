"""The Numba CPU backend. Importing it registers backend "cpu":

    from kernels.backend import get_backend
    program = get_backend("cpu").compile(graph)      # program(*arrays) -> list of arrays
    print(program.source); print(program.groups)

Modules: lowering/ (the per-primitive table, one module per family, which also tells
the shared kernels/fusion.py what fuses),
emitter + codegen (one Python/Numba source per graph), cache (on disk), program (the
callable), runtime (Numba helpers the generated code calls)."""
from __future__ import annotations

from kernels.backend import register_backend

from .backend import CpuBackend, compile_graph
from .cache import cache_dir

__all__ = ["CpuBackend", "compile_graph", "cache_dir", "BACKEND"]

BACKEND = register_backend(CpuBackend())
