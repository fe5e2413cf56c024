"""The CUDA backend: the same fusion groups as the cpu backend, emitted as numba.cuda
kernels working on device buffers. Importing it registers backend "cuda" (numba-cuda
itself is imported on the first compile, so this import works anywhere):

    jit(f, backend="cuda")(x)        # or kernels.set_default_backend("cuda"), or
                                     # NUMBAFLOW_BACKEND=cuda
    out = ...                        # a numba device array: stays on the GPU
    np.asarray(out); out.copy_to_host()          # to the host
    jit(f, backend=kernels.cuda.CudaBackend(to_host=True))   # programs returning NumPy
    d = BACKEND.device_put(params); BACKEND.device_get(d)    # whole pytrees to and fro

Inputs: NumPy arrays and scalars (copied to the device) or device arrays (anything with
__cuda_array_interface__: numba, CuPy, PyTorch; used zero-copy). Host fallback: argsort
runs through NumPy on the host (see lowering.HOST_FALLBACKS). Tests run under the Numba
CUDA simulator (NUMBA_ENABLE_CUDASIM=1) without a GPU.

Modules: device (discovery, errors, launch configuration), layout (Locs: views as index
arithmetic), expr + runtime (element-wise expressions), nests + fused (kernel sources
for fusion groups), loops, matmul, control (the other ops), lowering (the table),
planner (buffers and liveness), program (the callable), transfer (pytrees to and from
the device), backend."""
from __future__ import annotations

from kernels.backend import register_backend

from .backend import CudaBackend
from .device import CudaUnavailableError, Device, devices

__all__ = ["CudaBackend", "CudaUnavailableError", "Device", "devices", "BACKEND"]

BACKEND = register_backend(CudaBackend())
