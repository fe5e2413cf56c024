"""x[...] with basic and advanced indices, take, take_along_axis, sort and argsort on traced
arrays, against NumPy."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tracer.numpy_check import DTYPES, assert_traces_like_numpy, sample
from tracer import make_graph

DTYPE_IDS = lambda d: np.dtype(d).name  # noqa: E731

I2 = np.array([[0, 2], [1, 0]])
# index expressions on an array of shape (4, 5, 6)
INDICES = {
    "int": 1, "negative_int": -1, "slice": slice(1, 3), "step": slice(None, None, 2),
    "negative_step": slice(None, None, -1), "negative_bounds": slice(-3, -1),
    "negative_step_bounds": (slice(None), slice(-1, 0, -2)), "empty_slice": slice(3, 1),
    "out_of_range_slice": slice(-10, 10), "ints": (1, 2, 3), "int_and_slice": (0, slice(1, None)),
    "ellipsis": (Ellipsis, 1), "ellipsis_middle": (1, Ellipsis, slice(0, 4, 3)),
    "none": (None, 1), "none_many": (slice(None), None, 2, None), "ellipsis_none": (..., None),
    "array": np.array([3, 0, 0]), "list": [1, -1], "negative_array": np.array([-1, -4]),
    "array_2d": I2, "arrays_broadcast": (I2, np.array([1, 4])),
    "array_slice_array_nonadjacent": (np.array([0, 3]), slice(None), np.array([5, 0])),
    "slice_arrays_adjacent": (slice(1, 3), np.array([0, 4]), np.array([1, 2])),
    "slice_array": (slice(None), I2), "int_array": (2, np.array([1, 3])),
    "int_slice_array": (1, slice(None), np.array([0, -1])),
    "array_none": (np.array([1, 2]), None, slice(1, 3)),
    "ellipsis_array": (Ellipsis, np.array([5, 1])),
    "bool_mask_constant": np.array([True, False, True, True]),
    "int32_array": np.array([2, 1], np.int32),
    "scalar_array": np.array(2),
    "np_int": np.int64(-2),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(INDICES))
def test_getitem(name, dtype):
    index = INDICES[name]
    assert_traces_like_numpy(lambda a: a[index], sample((4, 5, 6), dtype, -9, 9), min_ops=0)


def test_getitem_with_traced_indices():
    x = sample((4, 5), np.float32)
    i = np.array([3, -1, 0])
    assert_traces_like_numpy(lambda a, j: a[j], x, i)
    assert_traces_like_numpy(lambda a, j: a[:, j], x, i)
    assert_traces_like_numpy(lambda a, j: a[j, j + 1], x, i)
    assert_traces_like_numpy(lambda a, j: a[j[0]], x, np.array([2]))


def test_getitem_of_0d_and_iteration():
    x = sample((3, 2), np.float64)
    assert_traces_like_numpy(lambda a: a[1, 1][()], x)
    assert_traces_like_numpy(lambda a: a[0][None], x)
    assert_traces_like_numpy(lambda a: list(a), x)
    assert_traces_like_numpy(lambda a: [r.sum() for r in a], x)
    assert_traces_like_numpy(lambda a: len(a) * a, x)


@pytest.mark.parametrize("axis", [None, 0, 1, -1], ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_take(dtype, axis):
    x = sample((3, 4), dtype)
    for idx in ([2, -1, 0], np.array([[1, 1], [0, 2]]), 1, np.array(-2)):
        assert_traces_like_numpy(lambda a: np.take(a, idx, axis=axis), x)
    assert_traces_like_numpy(lambda a: a.take([0, 2], axis=axis), x)
    for mode in ("clip", "wrap"):
        assert_traces_like_numpy(lambda a: np.take(a, [-1, 7, 2, -13], axis=axis, mode=mode), x)
        assert_traces_like_numpy(lambda a, i: np.take(a, i, axis=axis, mode=mode), x,
                                 np.array([[-5, 9], [0, 3]]))


@pytest.mark.parametrize("axis", [0, 1, -1, None], ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_take_along_axis(dtype, axis):
    x = sample((3, 4), dtype)
    idx = np.argsort(x, axis=axis) if axis is not None else np.array([11, 0, -1])
    assert_traces_like_numpy(lambda a: np.take_along_axis(a, idx, axis=axis), x)
    if axis is not None:
        first = np.take(idx, [0], axis=axis)           # broadcasts along the other axis
        assert_traces_like_numpy(lambda a: np.take_along_axis(a, first, axis=axis), x)
        assert_traces_like_numpy(lambda a: np.take_along_axis(a, np.argmax(a, axis=axis,
                                 keepdims=True), axis=axis), x)


@pytest.mark.parametrize("axis", [0, 1, -1, None], ids=str)
@pytest.mark.parametrize("dtype", DTYPES + (np.bool_,), ids=DTYPE_IDS)
def test_sort_argsort(dtype, axis):
    x = sample((3, 5), dtype, -3, 3)     # integer samples have ties: argsort must be stable
    assert_traces_like_numpy(lambda a: np.sort(a, axis=axis), x)
    assert_traces_like_numpy(lambda a: np.argsort(a, axis=axis, kind="stable"), x)
    if axis is not None:
        assert_traces_like_numpy(lambda a: a.argsort(axis=axis, kind="stable"), x)


def test_index_errors_as_in_numpy():
    x = sample((3, 4), np.float32)
    for index in [(np.array([0, 1]), np.array([0, 1, 2])), (0, 0, 0), 3, (slice(None), -5),
                  (Ellipsis, Ellipsis), 1.5]:
        with pytest.raises(IndexError):
            x[index]
        with pytest.raises(IndexError):
            make_graph(lambda a: a[index])(x)


def test_sort_of_0d_and_descending():
    x = sample((6,), np.float64)
    assert_traces_like_numpy(lambda a: np.sort(a)[::-1], x)
    assert_traces_like_numpy(lambda a: np.argsort(-a), x)
    assert_traces_like_numpy(lambda a: np.sort(a[0], axis=None), x)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_slicing_property(data):
    shape = data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    bounds = st.one_of(st.none(), st.integers(-7, 7))
    k = data.draw(st.integers(1, 3))     # advanced indices of one length broadcast together
    index = tuple(data.draw(st.one_of(
        st.builds(slice, bounds, bounds, st.one_of(st.none(), st.integers(-3, 3).filter(bool))),
        st.integers(-n, n - 1), st.lists(st.integers(-n, n - 1), min_size=k, max_size=k)))
        for n in shape)
    assert_traces_like_numpy(lambda a: a[index], sample(tuple(shape), np.float32), min_ops=0)
