"""Reductions, statistics, cumulative ops and norms on traced arrays, against NumPy."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tracer.numpy_check import DTYPES, assert_traces_like_numpy, sample

DTYPE_IDS = lambda d: np.dtype(d).name  # noqa: E731
AXES = [None, 0, -1, 1, (0, 2), (-1, 0), ()]
REDUCTIONS = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "any": np.any,
              "all": np.all, "mean": np.mean, "amax": np.amax}


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES + (np.int32, np.bool_), ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction(name, dtype, axis):
    x = sample((2, 3, 4), dtype, -1.5, 1.5)
    fn = REDUCTIONS[name]
    for keepdims in (False, True):
        assert_traces_like_numpy(lambda a: fn(a, axis=axis, keepdims=keepdims), x, min_ops=0)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_reductions_of_0d_and_1d(dtype):
    for shape in [(), (5,)]:
        x = sample(shape, dtype)
        for fn in (np.sum, np.prod, np.max, np.min, np.any, np.all, np.mean, np.argmax):
            assert_traces_like_numpy(fn, x, min_ops=0)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, -3], ids=str)
@pytest.mark.parametrize("dtype", DTYPES + (np.bool_,), ids=DTYPE_IDS)
@pytest.mark.parametrize("fn", [np.argmax, np.argmin], ids=lambda f: f.__name__)
def test_arg_reductions(fn, dtype, axis):
    x = sample((3, 4, 2), dtype, -9, 9)    # with ties: the first index wins, as in NumPy
    for keepdims in (False, True):
        assert_traces_like_numpy(lambda a: fn(a, axis=axis, keepdims=keepdims), x)


def test_reduction_dtype_arguments():
    x = sample((3, 4), np.int32, -5, 5)
    assert_traces_like_numpy(lambda a: np.sum(a), x)               # int32 sums in int64
    assert_traces_like_numpy(lambda a: np.sum(a, dtype=np.float32), x)
    assert_traces_like_numpy(lambda a: np.prod(a > 0, axis=0), x)  # bool product is int64
    assert_traces_like_numpy(lambda a: np.mean(a, axis=1, dtype=np.float32), x)
    assert_traces_like_numpy(lambda a: np.add.reduce(a, axis=1), x)
    assert_traces_like_numpy(lambda a: np.maximum.reduce(a, axis=-1, keepdims=True), x)
    assert_traces_like_numpy(lambda a: np.logical_or.reduce(a > 2, axis=0), x)


@pytest.mark.parametrize("ddof", [0, 1, 2])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_mean_var_std(dtype, axis, ddof):
    x = sample((3, 4, 5), dtype, -5, 5)
    assert_traces_like_numpy(lambda a: np.mean(a, axis=axis), x)
    assert_traces_like_numpy(lambda a: np.var(a, axis=axis, ddof=ddof), x)
    assert_traces_like_numpy(lambda a: np.std(a, axis=axis, ddof=ddof, keepdims=True), x)
    assert_traces_like_numpy(lambda a: a.std(axis=axis, ddof=ddof), x)
    assert_traces_like_numpy(lambda a: a.mean(axis=axis), x)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_average(dtype):
    x = sample((3, 4), dtype, -5, 5)
    w1, w2 = np.array([1.0, 2.0, 0.5, 3.0], np.float32), sample((3, 4), np.float64, 0.5, 2)
    assert_traces_like_numpy(lambda a: np.average(a), x)
    assert_traces_like_numpy(lambda a: np.average(a, axis=1, weights=w1), x)
    assert_traces_like_numpy(lambda a: np.average(a, axis=-1, weights=w1), x)
    assert_traces_like_numpy(lambda a: np.average(a, weights=w2), x)
    assert_traces_like_numpy(lambda a: np.average(a, axis=0, weights=w2, keepdims=True), x)
    assert_traces_like_numpy(lambda a: np.average(a, axis=1, weights=w1, returned=True), x)
    assert_traces_like_numpy(lambda a, w: np.average(a, axis=1, weights=w), x, w1)
    assert_traces_like_numpy(lambda a: np.average(a, axis=0, returned=True), x)


@pytest.mark.parametrize("axis", [None, 0, 1, -1], ids=str)
@pytest.mark.parametrize("dtype", DTYPES + (np.int32, np.bool_), ids=DTYPE_IDS)
def test_cumulative(dtype, axis):
    x = sample((3, 4), dtype, -2, 2)
    assert_traces_like_numpy(lambda a: np.cumsum(a, axis=axis), x)
    assert_traces_like_numpy(lambda a: np.cumprod(a, axis=axis), x)
    assert_traces_like_numpy(lambda a: a.cumsum(axis=axis), x)
    if axis is not None:
        assert_traces_like_numpy(lambda a: np.maximum.accumulate(a, axis=axis), x)
        assert_traces_like_numpy(lambda a: np.minimum.accumulate(a, axis=axis), x)
        assert_traces_like_numpy(lambda a: np.add.accumulate(a, axis=axis), x)
        assert_traces_like_numpy(lambda a: np.multiply.accumulate(a, axis=axis), x)


VECTOR_ORDS = [None, 1, 2, 3, 0.5, np.inf, -np.inf, 0, -1]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
def test_vector_norm(ord, dtype):
    x = sample((3, 4), dtype, -3, 3)
    x[x == 0] = 1
    assert_traces_like_numpy(lambda a: np.linalg.norm(a[0], ord=ord), x)
    assert_traces_like_numpy(lambda a: np.linalg.norm(a, ord=ord, axis=1), x)
    assert_traces_like_numpy(lambda a: np.linalg.norm(a, ord=ord, axis=0, keepdims=True), x)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_matrix_norm(ord, dtype):
    x = sample((2, 3, 4), dtype, -3, 3)
    assert_traces_like_numpy(lambda a: np.linalg.norm(a[0], ord=ord), x)
    assert_traces_like_numpy(lambda a: np.linalg.norm(a, ord=ord, axis=(1, 2)), x)
    assert_traces_like_numpy(lambda a: np.linalg.norm(a, ord=ord, axis=(2, 0), keepdims=True), x)


def test_norm_of_whole_array():
    x = sample((2, 3, 4), np.float32)
    assert_traces_like_numpy(np.linalg.norm, x)
    assert_traces_like_numpy(lambda a: np.linalg.norm(a, keepdims=True), x)


def test_ptp_and_methods():
    x = sample((3, 4), np.float64)
    assert_traces_like_numpy(lambda a: np.ptp(a, axis=0), x)
    assert_traces_like_numpy(lambda a: (a.sum(), a.sum(axis=0), a.prod(1), a.max(), a.min(0),
                                        a.argmax(), a.argmin(axis=1), a.any(), a.all(0),
                                        a.var()), x)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=4),
       fn=st.sampled_from([np.sum, np.max, np.mean, np.all, np.std]),
       keepdims=st.booleans(), data=st.data())
def test_reduction_axes_property(shape, fn, keepdims, data):
    ndim = len(shape)
    axes = data.draw(st.lists(st.integers(-ndim, ndim - 1), unique_by=lambda a: a % ndim,
                              max_size=ndim))
    x = sample(tuple(shape), np.float64)
    assert_traces_like_numpy(lambda a: fn(a, axis=tuple(axes), keepdims=keepdims), x, min_ops=0)
