"""dot_general: batched matrix products through cuBLAS when CuPy or PyTorch is installed
(float32/float64; both wrap our buffers zero-copy through __cuda_array_interface__ and
run on the legacy default stream, as Numba's launches do, so no synchronisation is
needed), else a tiled shared-memory kernel (also for integer and bool products, which
accumulate in int64 and wrap to the result dtype like NumPy's).

Operands are seen as stacks of matrices, x as (B, M, K) and y as (B, K, N). When each
group of axes is walkable as one (a transposed matrix is), that is a view with strides;
otherwise, or when the dtype differs from the result's, the operand is copied first.
`NUMBAFLOW_CUDA_BLAS=cupy|torch|numba` picks the library (default: the first installed)."""
from __future__ import annotations

import functools
import os

import numpy as np

from tracer.ops.linalg import free_axes

from .device import is_simulator
from .expr import cast, np_type
from .layout import Loc, prod
from .source import BufArg

__all__ = ["lower_dot_general", "blas_library"]


def blas_library() -> str:
    """"cupy", "torch" or "numba" (the tiled kernel): what float products run on."""
    choice = os.environ.get("NUMBAFLOW_CUDA_BLAS", "auto")
    if choice == "numba" or is_simulator():
        return "numba"
    for name in ("cupy", "torch") if choice == "auto" else (choice,):
        if _works(name):
            return name
        if choice != "auto":
            raise RuntimeError(f"NUMBAFLOW_CUDA_BLAS={choice}, but {choice} cannot use the GPU")
    return "numba"


@functools.lru_cache(maxsize=None)
def _works(name: str) -> bool:
    """Is the library installed, and does it see the GPU?"""
    try:
        if name == "cupy":
            import cupy
            return cupy.cuda.runtime.getDeviceCount() > 0
        import torch
        return torch.cuda.is_available()
    except Exception:   # noqa: BLE001  (not installed, or built for another CUDA)
        return False


def _merged(loc: Loc, groups) -> Loc | None:
    """loc viewed with each group of axes as one axis (None if some group is not walkable
    as one: a stride that is not the next one times its size)."""
    s, shape, strides = loc.stride_values(), [], []
    for axes in groups:
        live = [a for a in axes if loc.shape[a] != 1]
        if any(s[p] != s[q] * loc.shape[q] for p, q in zip(live, live[1:])):
            return None
        shape.append(prod([loc.shape[a] for a in axes]))
        strides.append(s[live[-1]] if live else 0)
    return loc.with_layout(shape, loc.offset, strides)


def _stack(pl, v, batch, rows, cols, dtype) -> Loc:
    loc = pl.loc(v)
    if loc.dtype == dtype:
        view = _merged(loc, (batch, rows, cols))
        if view is not None:
            return view
    moved = loc.transposed(tuple(batch) + tuple(rows) + tuple(cols))
    dst = pl.temp(moved.shape, dtype)
    pl.copy(moved, dst)
    return _merged(dst, (range(len(batch)), range(len(batch), len(batch) + len(rows)),
                         range(len(batch) + len(rows), dst.ndim)))


def lower_dot_general(pl, op):
    x, y = op.inputs
    out = op.outputs[0]
    (xc, yc), (xb, yb) = op.params["contract"], op.params["batch"]
    xf, yf = free_axes(x.aval.ndim, xc, xb), free_axes(y.aval.ndim, yc, yb)
    dtype = np.dtype(out.aval.dtype)
    a = _stack(pl, x, xb, xf, xc, dtype)
    b = _stack(pl, y, yb, yc, yf, dtype)
    o = pl.alloc(out)
    c = o.with_layout((a.shape[0], a.shape[1], b.shape[2]), o.offset, None)
    library = blas_library() if dtype.kind == "f" else "numba"
    if library == "numba" or c.size == 0 or a.shape[2] == 0:
        _tiled(pl, a, b, c)
    else:
        slots = (a.slot, b.slot, c.slot)
        pl.host(lambda bufs: _blas(library, [bufs[s] for s in slots], a, b, c),
                f"cuBLAS through {library}: ({a.shape}) @ ({b.shape})")


class _View:
    """A strided window of a flat device buffer, for CuPy and PyTorch (zero-copy)."""

    def __init__(self, buf, loc: Loc):
        item = loc.dtype.itemsize
        ptr = buf.__cuda_array_interface__["data"][0] + loc.offset * item
        shape, strides = loc.shape, loc.stride_values()
        if shape[0] == 1:     # one matrix: plain GEMM
            shape, strides = shape[1:], strides[1:]
        self.__cuda_array_interface__ = {
            "shape": tuple(shape), "strides": tuple(s * item for s in strides),
            "data": (ptr, False), "typestr": loc.dtype.str, "version": 3}


def _blas(library, bufs, a, b, c):
    views = [_View(buf, loc) for buf, loc in zip(bufs, (a, b, c))]
    if library == "cupy":
        import cupy
        x, y, o = (cupy.asarray(v) for v in views)
        cupy.matmul(x, y, out=o)
    else:
        import torch
        x, y, o = (torch.as_tensor(v, device="cuda") for v in views)
        torch.matmul(x, y, out=o)


def _tiled_source(tile: int, acc: np.dtype, out: np.dtype) -> str:
    zero = cast("0", None, acc)
    return f"""def kernel(a, ao, asb, asm, ask, b, bo, bsb, bsk, bsn, c, co, m, n, k):
    sa = cuda.shared.array(({tile}, {tile}), {np_type(acc)})
    sb = cuda.shared.array(({tile}, {tile}), {np_type(acc)})
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    z = cuda.blockIdx.z
    row = cuda.blockIdx.y * {tile} + ty
    col = cuda.blockIdx.x * {tile} + tx
    acc = {zero}
    for k0 in range(0, k, {tile}):
        ka = k0 + tx
        kb = k0 + ty
        if row < m and ka < k:
            sa[ty, tx] = {cast(f"a[ao + z * asb + row * asm + ka * ask]", None, acc)}
        else:
            sa[ty, tx] = {zero}
        if kb < k and col < n:
            sb[ty, tx] = {cast(f"b[bo + z * bsb + kb * bsk + col * bsn]", None, acc)}
        else:
            sb[ty, tx] = {zero}
        cuda.syncthreads()
        for kk in range({tile}):
            acc = {cast("acc + sa[ty, kk] * sb[kk, tx]", None, acc)}
        cuda.syncthreads()
    if row < m and col < n:
        c[co + z * m * n + row * n + col] = {cast("acc", acc, out)}
"""


class _Tiled:
    name = "kernel"

    def __init__(self, text, values):
        self._text, self.values = text, values

    def source(self):
        from .source import HEADER
        return HEADER + self._text


def _tiled(pl, a: Loc, b: Loc, c: Loc):
    """C[z] = A[z] @ B[z], one tile x tile block per output tile and batch element."""
    tile = pl.cfg.tile
    acc = c.dtype if c.dtype.kind == "f" else np.dtype(np.int64)
    bz, m, k = a.shape
    n = b.shape[2]
    sa, sb = a.stride_values(), b.stride_values()
    values = [BufArg(a.slot, a.dtype), a.offset, *sa, BufArg(b.slot, b.dtype), b.offset, *sb,
              BufArg(c.slot, c.dtype), c.offset, m, n, k]
    grid = (max(1, -(-n // tile)), max(1, -(-m // tile)), max(1, bz))
    pl.launch(_Tiled(_tiled_source(tile, acc, c.dtype), values), grid, (tile, tile))
