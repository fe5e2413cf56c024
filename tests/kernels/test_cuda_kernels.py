"""The cuda backend's kernels on shapes the registry cases are too small for: reductions
split over several blocks (and their final pass), both reduction strategies, broadcasting
by index arithmetic, matrix products on every library, and device arrays of CuPy and
PyTorch as inputs (on a GPU).

Runs under the Numba CUDA simulator unless NUMBA_ENABLE_CUDASIM=0 is set (then on a GPU)."""
from __future__ import annotations

import pytest

from kernels.cuda.testing import cuda_test_mode, short_thread_switches

MODE = cuda_test_mode()
if MODE.startswith("unavailable"):
    pytest.skip(MODE, allow_module_level=True)

import numpy as np  # noqa: E402

from kernels.cuda import CudaBackend  # noqa: E402
from transforms import jit  # noqa: E402

HOST = CudaBackend(to_host=True)
rng = np.random.default_rng(0)


@pytest.fixture(scope="module", autouse=True)
def _fast_simulator():
    with short_thread_switches():
        yield


def _close(got, want, tol):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("shape, axis", [((3000,), None), ((40, 50), None), ((3, 700), 1),
                                         ((700, 3), 0), ((6, 20, 30), (0, 2))])
def test_reductions_split_over_blocks(shape, axis):
    x = rng.normal(size=shape).astype(np.float32)
    x.reshape(-1)[7] = np.nan if len(shape) == 2 else x.reshape(-1)[7]
    i = rng.integers(-50, 50, size=shape)

    def f(x, i):
        return (np.sum(x * 2.0, axis=axis), np.max(x, axis=axis), np.min(np.abs(x), axis=axis),
                np.sum(i, axis=axis), np.any(x > 2.5, axis=axis), np.all(i < 49, axis=axis),
                np.prod(np.cos(x * 0.01), axis=axis))
    for got, want in zip(jit(f, backend=HOST)(x, i), f(x, i)):
        _close(got, want, 2e-5 if np.asarray(want).dtype.kind == "f" else 0)


def test_broadcasting_strided_and_sliced_operands():
    a = rng.normal(size=(4, 1, 6))
    b = rng.normal(size=(5, 1))
    c = rng.normal(size=(6, 5))

    def f(a, b, c):
        return np.tanh(a + b) * c.T[::-1] - a[:, :, ::2].sum(axis=2, keepdims=True)
    _close(jit(f, backend=HOST)(a, b, c), f(a, b, c), 1e-12)


def test_groups_reading_each_others_reductions_stay_apart():
    # the shared partition (kernels/fusion.py): `m` reads the sum of another group, and
    # `m > g` consumes both groups, which must not merge
    a = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)

    def f(a):
        g = a * a
        m = np.tanh(a) * np.sum(g)
        return np.where(m > g, m, g - 1)
    _close(jit(f, backend=HOST)(a), f(a), 1e-6)


@pytest.mark.parametrize("library", ["numba", "cupy", "torch"])
def test_matrix_products_on_every_library(monkeypatch, library):
    from kernels.cuda.matmul import blas_library
    monkeypatch.setenv("NUMBAFLOW_CUDA_BLAS", library)
    if library != "numba":
        pytest.importorskip(library)
        if MODE != "gpu":
            pytest.skip("cuBLAS needs a GPU")
    assert blas_library() == library
    x, y = rng.normal(size=(2, 9, 5)), rng.normal(size=(2, 5, 6))
    w = rng.normal(size=(5, 3)).astype(np.float32)

    def f(x, y, w):
        return (x @ y, x.astype(np.float32) @ w, np.swapaxes(x, 1, 2)[0].T @ w.T.T,
                np.einsum("bij,bkj->bik", x, x))
    tols = (1e-10, 1e-4, 1e-4, 1e-10)
    for got, want, tol in zip(jit(f, backend=HOST)(x, y, w), f(x, y, w), tols):
        _close(got, want, tol)
    k = rng.integers(-9, 9, size=(5, 4))
    _close(jit(lambda k: k @ k.T, backend=HOST)(k), k @ k.T, 0)


@pytest.mark.skipif(MODE != "gpu", reason="CuPy and PyTorch device arrays need a GPU")
def test_cupy_and_torch_device_arrays_are_inputs():
    x = rng.normal(size=(4, 3)).astype(np.float32)
    f = jit(lambda x: np.exp(x) * 2, backend="cuda")
    ok = 0
    try:
        import cupy
        _close(np.asarray(f(cupy.asarray(x))), np.exp(x) * 2, 1e-6)
        _close(np.asarray(f(cupy.asarray(x).T)), np.exp(x.T) * 2, 1e-6)   # strided
        ok += 1
    except ImportError:
        pass
    try:
        import torch
        _close(np.asarray(f(torch.from_numpy(x).cuda())), np.exp(x) * 2, 1e-6)
        ok += 1
    except ImportError:
        pass
    if not ok:
        pytest.skip("neither CuPy nor PyTorch is installed")


def test_repeated_calls_take_jits_fast_path():
    # the second call of the same signature is jit's fast path: it must call the program
    # as the first call did (a program's own `run` method is not that call)
    f = jit(lambda x, y: x * 2.0 + y, backend=HOST)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=4)
    for _ in range(3):
        _close(f(x, y), x * 2.0 + y, 1e-12)
    assert f.cache_info().hits == 2
