"""Matrix products inside generated programs through the BLAS NumPy itself uses.

Numba's `np.dot` calls SciPy's OpenBLAS, a second library with its own thread pool: it
measured ~1.4x slower than NumPy's for the MLP's shapes (OpenBLAS 0.3.30 against 0.3.31),
and on a 2-core machine two pools of spinning threads fight each other. When NumPy ships
its OpenBLAS (the scipy-openblas64 wheels), its `cblas_?gemm` is registered with LLVM as
a named symbol and called as an external function: cached programs refer to it by name,
so they load in a new process. Elsewhere (another BLAS, another build), or with
NUMBAFLOW_BLAS=scipy, `AVAILABLE` is False and the code generator calls runtime.matmul_*
(np.dot) instead."""
from __future__ import annotations

import ctypes
import glob
import os

import numpy as np
from llvmlite import binding, ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["AVAILABLE", "gemm_float32", "gemm_float64"]

_SYMBOLS = {"s": "numbaflow_sgemm", "d": "numbaflow_dgemm"}


def _register() -> bool:
    """Find NumPy's bundled OpenBLAS and register its cblas_sgemm/dgemm (ILP64)."""
    if os.environ.get("NUMBAFLOW_BLAS") == "scipy":
        return False
    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(libs, "libscipy_openblas64_*.so*")):
        try:
            lib = ctypes.CDLL(path)   # already loaded by NumPy: the same library and pool
            for kind, name in _SYMBOLS.items():
                fn = getattr(lib, f"scipy_cblas_{kind}gemm64_")
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
def _gemm(external, one, a, ao, at, b, bo, bt, out, oo, nb, m, n, k):
    """out[oo + i*m*n:] = A[i] @ B[i] for i < nb (row-major). A[i] is the (m, k) matrix at
    a[ao + i*m*k:], stored transposed ((k, m) row-major) when `at`; the same for B (k, n)
    and `bt`."""
    lda = m if at else k
    ldb = k if bt else n
    ta = _TRANS if at else _NO_TRANS
    tb = _TRANS if bt else _NO_TRANS
    for i in range(nb):
        o = oo + i * m * n
        if k == 0:       # BLAS would leave the output alone
            for j in range(m * n):
                out[o + j] = 0
            continue
        external(_ROW_MAJOR, ta, tb, m, n, k, one, _address(a, ao + i * m * k), lda,
                 _address(b, bo + i * k * n), ldb, one - one, _address(out, o), n)


# Two plain functions, not a closure: Numba's cache key hashes a closure's cells, and an
# ExternalFunction there never hashes the same twice (so it would never load from disk).
@njit(cache=True)
def gemm_float32(a, ao, at, b, bo, bt, out, oo, nb, m, n, k):
    _gemm(_SGEMM, np.float32(1), a, ao, at, b, bo, bt, out, oo, nb, m, n, k)


@njit(cache=True)
def gemm_float64(a, ao, at, b, bo, bt, out, oo, nb, m, n, k):
    _gemm(_DGEMM, 1.0, a, ao, at, b, bo, bt, out, oo, nb, m, n, k)
