"""What the cpu backend generates: fusion groups, shape-generic source, NumPy dtypes and
accuracy, the parallel and blocked-reduction code paths, fastmath, control flow."""
from __future__ import annotations

import numpy as np
import pytest

from tracer import make_graph


def _compile(cpu, f, *args, **options):
    return cpu.compile(make_graph(f)(*args), **options)


def test_elementwise_chain_and_its_reduction_are_one_loop_nest(cpu):
    def f(x, w, b):
        return np.sum(np.tanh(x * w + b) ** 2 + 0.5 * x)
    x = np.linspace(-2, 2, 1000, dtype=np.float32)
    prog = _compile(cpu, f, x, np.float32(0.7), np.float32(0.1))
    (group,) = prog.groups
    assert group.kind == "fused" and len(group.ops) == 7
    assert "np.empty" not in prog.source.split("def program")[1].split("# outputs")[0] \
        .replace("np.empty(d", "")     # no intermediate arrays inside the group
    np.testing.assert_allclose(prog(x, np.float32(0.7), np.float32(0.1))[0],
                               f(x, np.float32(0.7), np.float32(0.1)), rtol=1e-6)


def test_a_reduction_result_is_not_read_inside_its_own_loop(cpu):
    def f(x):
        y = np.exp(x)
        return y / np.sum(y), y * np.max(y, axis=1, keepdims=True), x - np.mean(x, axis=0)
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    for got, want in zip(_compile(cpu, f, x)(x), f(x)):
        np.testing.assert_allclose(got, want, rtol=1e-13)


def test_source_has_no_sizes_and_float32_stays_float32(cpu):
    def f(x, y):
        return np.tanh(x @ y) * 2.5 + 1, np.sum(x, axis=0)
    a = _compile(cpu, f, np.ones((3, 7), np.float32), np.ones((7, 5), np.float32))
    b = _compile(cpu, f, np.ones((11, 7), np.float32), np.ones((7, 5), np.float32))
    assert a.source == b.source
    body = a.source.split("def program")[1]
    for size in ("3", "7", "5", "11"):
        assert f"({size})" not in body and f" {size}," not in body
    # typed literals, and float64 only in the sum's accumulator
    assert "np.float32(2.5)" in body and body.count("2.5") == 1
    assert all("ac" in line or "acc" in line or "fill" in line
               for line in body.splitlines() if "float64" in line)


def test_integer_results_wrap_like_numpy(cpu):
    def f(x, y):
        return x + y, x * y, -x, x // np.int32(3)
    x = np.array([2**31 - 1, -2**31, 7, -7], np.int32)
    y = np.array([1, -1, 3, 5], np.int32)
    for got, want in zip(_compile(cpu, f, x, y)(x, y), f(x, y)):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_float32_sum_matches_numpy_accuracy(cpu):
    x = np.random.default_rng(0).uniform(0, 1, 1_000_003).astype(np.float32)
    prog = _compile(cpu, lambda x: (np.sum(x), np.sum(x.reshape(1000, -1) if False else x)), x)
    got = prog(x)[0]
    exact = np.sum(x.astype(np.float64))
    assert got.dtype == np.float32
    assert abs(float(got) - exact) / exact < 1e-7      # a float32 accumulator: ~1e-5


def test_nan_propagates_through_max_and_reductions(cpu):
    x = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]])
    def f(x):
        return np.max(x, axis=1), np.maximum(x, 2.0), np.min(x), np.argmax(x, axis=1)
    for got, want in zip(_compile(cpu, f, x)(x), f(x)):
        np.testing.assert_array_equal(got, want)


@pytest.fixture()
def small_thresholds(monkeypatch):
    """Make the parallel and blocked code paths kick in on small arrays."""
    import kernels.cpu.fusion as fusion
    import kernels.cpu.lowering.fused as fused
    monkeypatch.setattr(fusion, "PARALLEL_MIN_ELEMENTS", 64)
    monkeypatch.setattr(fused, "BLOCKED_MIN", 100)
    monkeypatch.setattr(fused, "CHUNK", 300)


def test_parallel_and_blocked_reductions(cpu, small_thresholds):
    def f(x, b):
        y = np.exp(-np.abs(x)) + b
        return y, np.sum(y, axis=1), np.max(y, axis=0), np.sum(y * y)
    x = np.random.default_rng(2).standard_normal((40, 1000))
    b = np.linspace(0, 1, 1000)
    prog = _compile(cpu, f, x, b)
    assert "prange" in prog.source.split("def program")[1]
    assert "sum_block" in prog.source
    for got, want in zip(prog(x, b), f(x, b)):
        np.testing.assert_allclose(got, want, rtol=1e-12)



def test_a_leading_axis_reduction_is_serial_and_compiles_without_warnings(cpu, small_thresholds):
    # its group is big enough for prange, but the lowering accumulates rows in order: the
    # program must then not be compiled with parallel=True (Numba would warn the user)
    import warnings
    from numba.core.errors import NumbaPerformanceWarning

    def f(a, b):
        c = a * b
        return c, np.sum(c, axis=0)
    a = np.random.default_rng(3).standard_normal((40, 8)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumbaPerformanceWarning)
        prog = _compile(cpu, f, a, a + 1)
        got = prog(a, a + 1)
    assert "parallel=False" in prog.source and "prange(" not in prog.source.split("def program")[1]
    assert [g.kind for g in prog.groups] == ["fused"]
    for g, w in zip(got, f(a, a + 1)):
        np.testing.assert_allclose(g, w, rtol=1e-6)

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_block_sums_full_and_partial_blocks_to_float64_accuracy(dtype):
    # a full block is a pairwise tree of folds, a partial one eight accumulators: both
    # within a few float64 roundings of the exact sum, for data that cancels a lot
    import math
    from kernels.cpu.runtime import BLOCK, sum_block
    rng = np.random.default_rng(5)
    half = np.empty(BLOCK // 2)
    for m in (BLOCK, BLOCK - 1, 9, 1, 0):
        tmp = (rng.standard_normal(BLOCK) * 10.0 ** rng.integers(-3, 4, BLOCK)).astype(dtype)
        exact = math.fsum(tmp[:m].astype(np.float64)) + 0.25
        got = sum_block(tmp, m, 0.25, half)
        scale = np.abs(tmp[:m]).astype(np.float64).sum() + 0.25
        assert abs(got - exact) <= 16 * np.finfo(np.float64).eps * scale, (m, got, exact)


def test_jitted_sums_over_whole_and_partial_blocks(cpu):
    from kernels.cpu.runtime import BLOCK
    rng = np.random.default_rng(6)
    for n in (16384 + 3 * BLOCK, 16384 + 3 * BLOCK + 17, 40000):
        x = rng.standard_normal(n).astype(np.float32)
        (got,) = _compile(cpu, lambda x: np.sum(x * x), x)(x)
        want = np.sum(x.astype(np.float64) ** 2)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-7)
