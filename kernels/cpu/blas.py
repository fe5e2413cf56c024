"""Matrix products inside generated programs through the BLAS NumPy itself uses.

Numba's `np.dot` calls SciPy's OpenBLAS, a second library with its own thread pool: it
measured ~1.4x slower than NumPy's for the MLP's shapes (OpenBLAS 0.3.30 against 0.3.31),
and on a 2-core machine two pools of spinning threads fight each other. When NumPy ships
its OpenBLAS (the scipy-openblas64 wheels), its `cblas_?gemm` is registered with LLVM as
a named symbol and called as an external function: cached programs refer to it by name,
so they load in a new process. Elsewhere (another BLAS, another build), or with
NUMBAFLOW_BLAS=scipy, `AVAILABLE` is False and the code generator calls runtime.matmul_*
(np.dot) instead.

One pool of threads: a matrix product runs its row blocks (and batch items) on Numba's
threads, with OpenBLAS set to one thread for the duration of the call. Two pools on two
cores fight: OpenBLAS's workers spin for ~0.1 s after each product, so the program's next
`prange` loop ran at half speed (measured: per-example gradients 6.1 ms with OpenBLAS's
threads vs 2.2 ms with one BLAS thread). Another Python thread calling NumPy's BLAS at
the same moment sees it single-threaded until the product returns."""
from __future__ import annotations

import ctypes
import glob
import os

import numpy as np
from llvmlite import binding, ir
from numba import config, get_num_threads, njit, prange, types
from numba.extending import intrinsic

__all__ = ["AVAILABLE", "gemm", "gemm_float32", "gemm_float64"]

_SYMBOLS = {"s": "numbaflow_sgemm", "d": "numbaflow_dgemm"}
_THREAD_SYMBOLS = {"set": "numbaflow_blas_set_threads", "get": "numbaflow_blas_get_threads"}


def _register() -> bool:
    """Find NumPy's bundled OpenBLAS and register its cblas_sgemm/dgemm (ILP64)."""
    if os.environ.get("NUMBAFLOW_BLAS") == "scipy":
        return False
    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(libs, "libscipy_openblas64_*.so*")):
        try:
            lib = ctypes.CDLL(path)   # already loaded by NumPy: the same library and pool
            found = {name: getattr(lib, f"scipy_cblas_{kind}gemm64_")
                     for kind, name in _SYMBOLS.items()}
            found.update({name: getattr(lib, f"scipy_openblas_{op}_num_threads64_")
                          for op, name in _THREAD_SYMBOLS.items()})
            for name, fn in found.items():
                binding.add_symbol(name, ctypes.cast(fn, ctypes.c_void_p).value)
            return True
        except (OSError, AttributeError):
            continue
    return False


AVAILABLE = _register()


def _signature(t):
    i32, i64, p = types.int32, types.int64, types.voidptr
    return types.void(i32, i32, i32, i64, i64, i64, t, p, i64, p, i64, t, p, i64)


_SGEMM = types.ExternalFunction(_SYMBOLS["s"], _signature(types.float32))
_DGEMM = types.ExternalFunction(_SYMBOLS["d"], _signature(types.float64))
_SET_THREADS = types.ExternalFunction(_THREAD_SYMBOLS["set"], types.void(types.int32))
_GET_THREADS = types.ExternalFunction(_THREAD_SYMBOLS["get"], types.int32())
# A product is split into row blocks of at least this many multiply-adds: below it, a
# thread's start costs more than it saves.
_MIN_BLOCK_FLOPS = 1 << 21
# Read once, not numba.get_num_threads() per call: that is a "dynamic global" for Numba's
# disk cache. (numba.set_num_threads(1) later only means the blocks run one after another.)
_THREADS = config.NUMBA_NUM_THREADS
# Start Numba's thread pool now: a program without prange of its own (compiled without
# parallel=True) that calls these functions, loaded from the disk cache, would otherwise
# reach their parallel loop before anything started the pool (a segmentation fault).
get_num_threads()
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


@intrinsic
def _address(typingctx, arr, offset):
    """A pointer to arr[offset] (arr 1-D contiguous)."""
    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        return builder.bitcast(ptr, ir.IntType(8).as_pointer())
    return types.voidptr(arr, offset), codegen


@njit(inline="always")
def _plan(nb, m, n, k):
    """How many row blocks each product is cut into (one per thread, each big enough)."""
    return max(1, min(_THREADS, m * n * k // _MIN_BLOCK_FLOPS, m))


@njit(inline="always")
def _block(t, blocks, m, k, at, ao, oo, n):
    """Row range lo:hi of task t, the offsets of its A rows (further along a row-major A,
    further along a row of a transposed one) and of its output rows, and its batch item."""
    i = t // blocks
    lo = (t - i * blocks) * m // blocks
    hi = (t - i * blocks + 1) * m // blocks
    return lo, hi, ao + i * m * k + (lo if at else lo * k), oo + i * m * n + lo * n, i


@njit(inline="always")
def _zero(out, oo, size):
    for j in range(size):   # k == 0: BLAS would leave the output alone
        out[oo + j] = 0


# One plain function, the BLAS routine chosen by a branch on the element size inside the
# loop: an ExternalFunction passed as an argument or held in a closure would be a "dynamic
# global" in the prange body (or hash differently each time), which keeps the function,
# and every program calling it, out of the disk cache.
@njit(cache=True, parallel=True)
def gemm(a, ao, at, b, bo, bt, out, oo, nb, m, n, k):
    """out[oo + i*m*n:] = A[i] @ B[i] for i < nb (row-major, float32 or float64); A[i] is
    the (m, k) matrix at a[ao + i*m*k:], stored transposed ((k, m) row-major) when `at`;
    likewise B (k, n) and `bt`."""
    if k == 0:
        return _zero(out, oo, nb * m * n)
    blocks = _plan(nb, m, n, k)
    saved = _GET_THREADS()
    _SET_THREADS(1)
    for t in prange(nb * blocks):
        lo, hi, a_at, o_at, i = _block(t, blocks, m, k, at, ao, oo, n)
        ta, tb = _TRANS if at else _NO_TRANS, _TRANS if bt else _NO_TRANS
        pa, pb, po = _address(a, a_at), _address(b, bo + i * k * n), _address(out, o_at)
        lda, ldb = m if at else k, k if bt else n
        if out.itemsize == 4:
            _SGEMM(_ROW_MAJOR, ta, tb, hi - lo, n, k, np.float32(1), pa, lda, pb, ldb,
                   np.float32(0), po, n)
        else:
            _DGEMM(_ROW_MAJOR, ta, tb, hi - lo, n, k, 1.0, pa, lda, pb, ldb, 0.0, po, n)
    _SET_THREADS(saved)


gemm_float32 = gemm_float64 = gemm   # the names generated programs import
