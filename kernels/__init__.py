"""Backends that compile graphs: "numpy" (the reference), "cpu" (Numba), "cuda" (numba-cuda).

    kernels.devices()                    # what is available: the CPU, then each GPU
    kernels.set_default_backend("cuda")  # what jit uses when given no backend"""
from __future__ import annotations

import importlib
import os

from . import cuda as _cuda   # noqa: F401  (registers backend "cuda"; imports no numba)

__all__ = ["devices", "set_default_backend"]


def devices() -> list:
    """The CPU and every CUDA device (name, memory, compute capability); no CUDA entries
    when numba-cuda, the driver or a GPU is missing."""
    from .cuda.device import devices as _devices
    return _devices()


def set_default_backend(name: str) -> None:
    """Make `name` ("cpu", "cuda", "numpy") the backend of every jit compiled from now on
    without a backend of its own. It sets $NUMBAFLOW_BACKEND, which
    `kernels.backend.default_backend` reads (so child processes inherit it)."""
    from .backend import BACKENDS
    if name not in BACKENDS:
        try:
            importlib.import_module(f"kernels.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"kernels.{name}":
                raise
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; available: {sorted(BACKENDS)}")
    os.environ["NUMBAFLOW_BACKEND"] = name
