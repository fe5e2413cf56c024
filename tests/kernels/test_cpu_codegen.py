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


def test_groups_that_read_each_others_reductions_do_not_merge(cpu):
    # `m` joins tanh's group, reading the sum of another group; `m > g` then consumes both
    # groups: merging them would read the sum inside its own loop (found by a random
    # program; it raised a KeyError in the lowering)
    def f(a):
        g = a * a
        m = np.tanh(a) * np.sum(g)
        return np.where(m > g, m, g - 1)
    a = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    prog = _compile(cpu, f, a)
    assert len([g for g in prog.groups if g.kind == "fused"]) == 2
    np.testing.assert_allclose(prog(a)[0], f(a), rtol=1e-6)


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
    import kernels.fusion as fusion
    import kernels.cpu.lowering.fused as fused
    monkeypatch.setattr(fusion, "PARALLEL_MIN_WORK", 64)
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


def test_fastmath_is_opt_in(cpu):
    def f(x):
        return np.sum(x * 3.0)
    x = np.arange(100.0)
    plain, fast = _compile(cpu, f, x), _compile(cpu, f, x, fastmath=True)
    assert "fastmath=False" in plain.source and "fastmath=True" in fast.source
    np.testing.assert_allclose(fast(x)[0], f(x), rtol=1e-12)


def test_views_are_index_arithmetic(cpu):
    def f(x):
        t = np.transpose(x)[::-1, 1:]
        return t * 2, np.reshape(x, (-1,))[::3] + 1
    x = np.arange(24.0).reshape(4, 6)
    prog = _compile(cpu, f, x)
    assert [g.kind for g in prog.groups].count("view") == 4
    for got, want in zip(prog(x), f(x)):
        np.testing.assert_array_equal(got, want)


def test_control_flow_runs_inside_the_program(cpu):
    from tracer import fori_loop, while_loop

    def f(x, n):
        y = fori_loop(0, 5, lambda i, c: c * 0.5 + i, x)
        return while_loop(lambda c: np.sum(c) < n, lambda c: c * 2 + 1, y)
    x, n = np.ones(3), np.float64(500.0)
    prog = _compile(cpu, f, x, n)
    got = prog(x, n)
    want = f(x, n)
    np.testing.assert_allclose(got[0], want, rtol=1e-12)


def test_matmul_layouts_batched_transposed_and_mixed(cpu):
    def f(a, b, c):
        return (np.transpose(a, (0, 2, 1)) @ b, np.transpose(b, (0, 2, 1)) @ a,
                c.T @ a[1].T, np.einsum("bij,jk->bik", a, c.astype(np.float64)),
                (a > 0).astype(np.int32)[0] @ (c > 0).astype(np.int32))
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 4, 3)).astype(np.float32)
    b = rng.standard_normal((2, 4, 5)).astype(np.float32)
    c = rng.standard_normal((3, 6)).astype(np.float32)
    for got, want in zip(_compile(cpu, f, a, b, c)(a, b, c), f(a, b, c)):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_program_takes_arrays_as_given_and_returns_them_shaped(cpu):
    # the program flattens its inputs and shapes its outputs itself (one Numba call from
    # Python); inputs of any layout and rank (also through `unchecked`), inputs and
    # constants as outputs
    def f(x, s):
        return x * s + 1, x, np.sum(x, axis=0), 2.0, s
    x = np.arange(12.0).reshape(3, 4)
    prog = _compile(cpu, f, x, np.array(2.0))
    assert "np.ascontiguousarray(x0).reshape(-1)" in prog.source and ".reshape((d" in prog.source
    for arg in (x, np.asfortranarray(x), x.T.copy().T, np.arange(24.0).reshape(3, 8)[:, ::2]):
        out = prog(arg, np.array(2.0))
        want = f(arg, np.array(2.0))
        assert [o.shape for o in out] == [np.shape(w) for w in want]
        for o, w in zip(out, want):
            np.testing.assert_array_equal(o, w)
        assert out[1] is not arg and not np.shares_memory(out[1], arg)
    for arg in (x, np.asfortranarray(x), np.arange(24.0).reshape(3, 8)[:, ::2]):
        (fast,) = prog.unchecked(arg, np.array(3.0))[:1]
        np.testing.assert_array_equal(fast, arg * 3 + 1)


def test_rank_one_inputs_of_any_stride(cpu):
    def f(v):
        return np.cumsum(v * 2.0), np.sum(v)
    v = np.arange(16.0)
    prog = _compile(cpu, f, v[:8])
    for arg in (v[:8], v[::2], v[::-2], v[1::2]):
        for got, want in zip(prog.unchecked(arg), f(arg)):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("at", [False, True])
@pytest.mark.parametrize("bt", [False, True])
def test_gemm_row_blocks_on_numbas_threads(at, bt):
    # big enough to be cut into row blocks (and batch items) run by prange, with OpenBLAS
    # at one thread during the call and its own setting restored after
    from kernels.cpu import blas
    if not blas.AVAILABLE:
        pytest.skip("NumPy's OpenBLAS is not available (another BLAS or NUMBAFLOW_BLAS=scipy)")
    rng = np.random.default_rng(0)
    nb, m, n, k = 3, 129, 130, 131       # 2.2M multiply-adds each: two blocks on two threads
    a = rng.standard_normal((nb, k, m) if at else (nb, m, k))
    b = rng.standard_normal((nb, n, k) if bt else (nb, k, n))
    want = (a.transpose(0, 2, 1) if at else a) @ (b.transpose(0, 2, 1) if bt else b)
    for dtype, gemm, tol in ((np.float64, blas.gemm_float64, 1e-12),
                             (np.float32, blas.gemm_float32, 1e-4)):
        out = np.full(5 + nb * m * n, 7, dtype)
        gemm(a.astype(dtype).ravel(), 0, at, b.astype(dtype).ravel(), 0, bt, out, 5, nb, m, n, k)
        assert (out[:5] == 7).all()
        np.testing.assert_allclose(out[5:].reshape(nb, m, n), want, rtol=tol, atol=tol)


def test_helpers_are_called_without_literal_arguments(cpu):
    # Numba compiles a helper once per distinct literal argument (a flag, an offset 0): the
    # programs pass runtime integers, so every call site shares one compiled helper
    from kernels.cpu import blas, runtime
    x = np.arange(12.0).reshape(3, 4)

    def f(a, b):
        return a @ b.T, a.T @ b, np.concatenate([a, b], axis=1), np.pad(a, 1)
    prog = _compile(cpu, f, x, x + 1)
    for got, want in zip(prog(x, x + 1), f(x, x + 1)):
        np.testing.assert_allclose(got, want)
    helpers = [runtime.strided_copy, runtime.fill]
    if blas.AVAILABLE:
        helpers.append(blas.gemm_float64)
    for helper in helpers:
        assert helper.signatures
        assert not any("Literal" in str(sig) for sig in helper.signatures), helper


def test_parallel_loops_are_chosen_by_work_not_only_size():
    # a cheap memory-bound loop stays serial where a transcendental one of the same size
    # runs on every core (each parallel loop costs ~1 s of first compile)
    from kernels.cpu.lowering import family_of
    from kernels.fusion import PARALLEL_MIN_WORK, partition
    x = np.ones(PARALLEL_MIN_WORK // 8, np.float32)
    cheap = partition(make_graph(lambda x: x * 2.0 - 1.0)(x), family_of)
    costly = partition(make_graph(lambda x: np.tanh(x) * 2.0)(x), family_of)
    big = partition(make_graph(lambda x: x * 2.0 - 1.0)(np.ones(PARALLEL_MIN_WORK, np.float32)),
                    family_of)
    assert [g.parallel for g in cheap] == [False]
    assert [g.parallel for g in costly] == [True]
    assert [g.parallel for g in big] == [True]
