"""Test support: run the cuda backend's tests under the Numba CUDA simulator unless told
otherwise, without leaking the setting into the rest of the process.

NUMBA_ENABLE_CUDASIM decides, once, when numba.cuda is first imported. `cuda_test_mode()`
imports it with the simulator on (unless NUMBA_ENABLE_CUDASIM is set in the environment:
=0 runs the tests on a real GPU) and then restores the environment, so child processes
and other tests do not inherit it."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager

__all__ = ["cuda_test_mode", "short_thread_switches", "compile_ptx_all"]


def cuda_test_mode() -> str:
    """"simulator", "gpu", or "unavailable: <why>" (a reason for pytest.skip)."""
    if "numba.cuda" not in sys.modules and "NUMBA_ENABLE_CUDASIM" not in os.environ:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        try:
            if "numba" in sys.modules:
                # numba (whose config numba-cuda shares) read the environment when it was
                # imported, e.g. by the cpu backend: read it again, or this is no simulator
                from numba.core import config
                config.reload_config()
            import numba.cuda  # noqa: F401
        except ImportError as e:
            return f"unavailable: numba-cuda is not installed ({e})"
        finally:
            del os.environ["NUMBA_ENABLE_CUDASIM"]
    from .device import CudaUnavailableError, is_simulator, require_cuda
    try:
        require_cuda()
    except CudaUnavailableError as e:
        return f"unavailable: {e}"
    return "simulator" if is_simulator() else "gpu"


@contextmanager
def short_thread_switches(interval: float = 1e-4):
    """The simulator runs each CUDA thread as a Python thread, and they wait for each other
    at every syncthreads: with Python's default 5 ms switch interval a reduction kernel
    takes ~10x longer than with a short one."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def compile_ptx_all(programs, cc=(9, 0)) -> tuple[int, list]:
    """Compile every distinct kernel of `programs` to PTX for compute capability `cc` with
    the argument types their launches pass (no GPU needed, only NVVM): (number compiled,
    [(source, error)])."""
    from numba import cuda
    seen, failures = set(), []
    for program in programs:
        for step in program.kernel_steps():
            key = (step.source, step.signature())
            if key in seen:
                continue
            seen.add(key)
            try:
                cuda.compile_ptx(step.kernel.py_func, step.signature(), cc=cc)
            except Exception as e:   # noqa: BLE001  (reported to the caller)
                failures.append((step.source, f"{type(e).__name__}: {e}"))
    return len(seen), failures
