"""Finding the GPU: importing numba-cuda, checking the driver and the device, listing what is
there, and the launch configuration every kernel of the backend uses.

Nothing here runs at import time: `import kernels.cuda` works on a machine without
numba-cuda or a GPU, and the first compile says what is missing. Under the Numba CUDA
simulator (`NUMBA_ENABLE_CUDASIM=1`, read when numba.cuda is first imported) kernels run
on the CPU in Python threads, so blocks are tiny there."""
from __future__ import annotations

import functools
import os
from typing import NamedTuple

from tracer.errors import NumbaflowError

__all__ = ["CudaUnavailableError", "Device", "cuda_module", "require_cuda", "is_simulator",
           "devices", "launch_config", "LaunchConfig"]


class CudaUnavailableError(NumbaflowError, RuntimeError):
    """backend="cuda" was asked for, but numba-cuda, the driver or a device is missing."""


class Device(NamedTuple):
    backend: str          # "cpu" or "cuda"
    index: int
    name: str
    memory_bytes: int     # total memory (0 when unknown)
    compute_capability: tuple | None = None

    def __str__(self):
        gib = self.memory_bytes / 2**30
        cc = "" if self.compute_capability is None else \
            f", sm_{self.compute_capability[0]}{self.compute_capability[1]}"
        return f"{self.backend}:{self.index} {self.name} ({gib:.1f} GiB{cc})"


class LaunchConfig(NamedTuple):
    threads: int          # threads per block: a power of two (shared-memory trees need it)
    max_blocks: int       # grid-stride loops launch at most this many blocks
    tile: int             # the tiled matmul's tile edge (tile * tile threads)


_HINT = ("pip install 'numbaflow[cuda]' (numba-cuda), or run on the CPU with "
         "jit(f, backend='cpu') / NUMBAFLOW_BACKEND=cpu; the CUDA simulator "
         "(NUMBA_ENABLE_CUDASIM=1) runs the cuda backend without a GPU, slowly")


def cuda_module():
    """numba.cuda from the numba-cuda package, or CudaUnavailableError naming what is missing."""
    _numpy_compat()
    try:
        from numba import cuda
    except ImportError as e:
        raise CudaUnavailableError(f"backend 'cuda' needs numba-cuda, which is not importable "
                                   f"({e}); {_HINT}") from None
    return cuda


def _numpy_compat() -> None:
    """numba-cuda 0.30 registers an overload of np.row_stack when it compiles its first
    kernel, and NumPy 2.5 removed that alias of np.vstack: without it every compile fails
    with AttributeError. Remove once numba-cuda stops referring to it."""
    import numpy as np
    if not hasattr(np, "row_stack"):
        np.row_stack = np.vstack


def is_simulator() -> bool:
    """Is numba.cuda the simulator? Decided when numba.cuda was first imported, so this
    asks the module itself: Numba re-reads its configuration from the environment later,
    and the environment may have changed since."""
    return cuda_module().to_device.__module__.startswith("numba.cuda.simulator")


def _config():
    try:
        from numba.cuda.core import config    # numba-cuda's own (0.2x and later)
    except ImportError:
        from numba.core import config
    return config


@functools.lru_cache(maxsize=None)
def require_cuda():
    """numba.cuda with a usable device (or the simulator), else a clear error."""
    cuda = cuda_module()
    if is_simulator():
        return cuda
    try:
        available = cuda.is_available()
    except Exception as e:   # noqa: BLE001  (a broken driver raises from deep inside)
        raise CudaUnavailableError(f"backend 'cuda': the CUDA driver failed to load ({e}); "
                                   f"{_HINT}") from None
    if not available:
        reason = "no NVIDIA driver (libcuda) was found"
        try:
            cuda.detect()    # prints its own report; raises or returns False when no device
            reason = "the driver found no CUDA device"
        except Exception:   # noqa: BLE001
            pass
        raise CudaUnavailableError(f"backend 'cuda': {reason}; {_HINT}")
    _quiet(cuda)
    return cuda


def _quiet(cuda) -> None:
    """Small reductions launch few blocks on purpose: no low-occupancy warnings."""
    _config().CUDA_LOW_OCCUPANCY_WARNINGS = 0


@functools.lru_cache(maxsize=None)
def launch_config() -> LaunchConfig:
    """256 threads a block and 32 blocks per multiprocessor on a GPU; under the simulator
    (one Python thread per CUDA thread) 4 threads and 2 blocks, which still exercises the
    grid-stride loops and the shared-memory trees. Without a device (code generation only,
    e.g. for compile_ptx) a GPU-like default."""
    if is_simulator():
        return LaunchConfig(threads=4, max_blocks=2, tile=2)
    sms = 132
    try:
        cuda = require_cuda()
        sms = cuda.get_current_device().MULTIPROCESSOR_COUNT
    except CudaUnavailableError:
        pass
    return LaunchConfig(threads=256, max_blocks=32 * sms, tile=16)


def _cpu_device() -> Device:
    name = "cpu"
    try:
        with open("/proc/cpuinfo") as f:
            name = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                        name)
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = 0
    return Device("cpu", 0, f"{name} ({os.cpu_count()} cores)", memory)


def devices() -> list[Device]:
    """What numbaflow can run on: the CPU, then every CUDA device (the simulator's one
    simulated device when NUMBA_ENABLE_CUDASIM=1). A missing numba-cuda or driver just
    means no CUDA entries."""
    out = [_cpu_device()]
    try:
        cuda = require_cuda()
    except CudaUnavailableError:
        return out
    if is_simulator():
        return out + [Device("cuda", 0, "Numba CUDA simulator", 0)]
    for gpu in cuda.gpus:
        with gpu:
            dev = cuda.get_current_device()
            _, total = cuda.current_context().get_memory_info()
            name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
            out.append(Device("cuda", dev.id, name, int(total), tuple(dev.compute_capability)))
    return out
