"""Shape functions on traced arrays, against NumPy: reshape, transpose, stacking, splitting,
padding, flipping, rolling, tiling, where, clip, the *_like constructors, triangles."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tracer.numpy_check import DTYPES, assert_traces_like_numpy, sample
from tracer import make_graph

DTYPE_IDS = lambda d: np.dtype(d).name  # noqa: E731

# name -> (function of one array, input shape)
UNARY_SHAPE_FUNCTIONS = {
    "reshape": (lambda a: np.reshape(a, (4, -1)), (2, 3, 4)),
    "reshape_0d": (lambda a: np.reshape(a, (1, 1)), ()),
    "reshape_to_0d": (lambda a: np.reshape(a, ()), (1, 1)),
    "method_reshape_varargs": (lambda a: a.reshape(3, -1), (2, 3, 2)),
    "method_reshape_tuple": (lambda a: a.reshape((-1,)), (2, 3)),
    "ravel": (np.ravel, (2, 3, 4)),
    "method_ravel_flatten": (lambda a: (a.ravel(), a.flatten()), (2, 3)),
    "broadcast_to": (lambda a: np.broadcast_to(a, (2, 3, 4)), (3, 1)),
    "broadcast_to_int": (lambda a: np.broadcast_to(a, 5), ()),
    "transpose": (np.transpose, (2, 3, 4)),
    "transpose_axes": (lambda a: np.transpose(a, (1, -1, 0)), (2, 3, 4)),
    "T": (lambda a: a.T, (2, 3)),
    "method_transpose": (lambda a: (a.transpose(), a.transpose(2, 0, 1)), (2, 3, 4)),
    "swapaxes": (lambda a: np.swapaxes(a, 0, -1), (2, 3, 4)),
    "moveaxis": (lambda a: np.moveaxis(a, 0, -1), (2, 3, 4)),
    "moveaxis_many": (lambda a: np.moveaxis(a, (0, 1), (-1, 0)), (2, 3, 4)),
    "squeeze": (np.squeeze, (1, 3, 1, 2)),
    "squeeze_axis": (lambda a: np.squeeze(a, axis=-2), (1, 3, 1, 2)),
    "squeeze_axes": (lambda a: np.squeeze(a, axis=(0, 2)), (1, 3, 1, 2)),
    "expand_dims": (lambda a: np.expand_dims(a, 1), (2, 3)),
    "expand_dims_negative": (lambda a: np.expand_dims(a, -1), (2, 3)),
    "expand_dims_many": (lambda a: np.expand_dims(a, (0, -1)), (2, 3)),
    "atleast_1d": (lambda a: (np.atleast_1d(a), np.atleast_1d(a[None])), ()),
    "atleast_2d": (lambda a: (np.atleast_2d(a), np.atleast_2d(a[0]), np.atleast_2d(a[0, 0])),
                   (2, 3)),
    "atleast_3d": (lambda a: (np.atleast_3d(a), np.atleast_3d(a[0]), np.atleast_3d(a[0, 0])),
                   (2, 3)),
    "flip": (np.flip, (2, 3, 4)),
    "flip_axis": (lambda a: np.flip(a, -1), (2, 3, 4)),
    "flip_axes": (lambda a: np.flip(a, (0, 2)), (2, 3, 4)),
    "fliplr_flipud": (lambda a: (np.fliplr(a), np.flipud(a)), (3, 4)),
    "roll": (lambda a: np.roll(a, 2), (3, 4)),
    "roll_axis": (lambda a: np.roll(a, -1, axis=1), (3, 4)),
    "roll_axes": (lambda a: np.roll(a, (1, 5), axis=(0, 1)), (3, 4)),
    "repeat": (lambda a: np.repeat(a, 2), (2, 3)),
    "repeat_axis": (lambda a: np.repeat(a, 3, axis=-1), (2, 3)),
    "repeat_counts": (lambda a: np.repeat(a, [1, 0, 2], axis=1), (2, 3)),
    "method_repeat": (lambda a: a.repeat(2, axis=0), (2, 3)),
    "tile": (lambda a: np.tile(a, 2), (2, 3)),
    "tile_reps": (lambda a: np.tile(a, (2, 1, 2)), (2, 3)),
    "tile_0d": (lambda a: np.tile(a, (2, 2)), ()),
    "split": (lambda a: np.split(a, 3, axis=1), (2, 6)),
    "split_indices": (lambda a: np.split(a, [1, 4], axis=-1), (2, 6)),
    "array_split": (lambda a: np.array_split(a, 4), (6,)),
    "hsplit_vsplit": (lambda a: (np.hsplit(a, 2), np.vsplit(a, [1])), (2, 4)),
    "triu": (np.triu, (4, 4)),
    "triu_k": (lambda a: np.triu(a, 1), (3, 5)),
    "tril": (np.tril, (4, 3)),
    "tril_k_batched": (lambda a: np.tril(a, -1), (2, 4, 4)),
    "clip": (lambda a: np.clip(a, -1, 1.5), (3, 4)),
    "clip_one_side": (lambda a: (np.clip(a, None, 0.5), np.clip(a, -0.5, None)), (3, 4)),
    "clip_arrays": (lambda a: np.clip(a, a[0], np.float32(1)), (3, 4)),
    "method_clip": (lambda a: a.clip(0, 1), (3, 4)),
    "where": (lambda a: np.where(a > 0, a, 0), (3, 4)),
    "where_scalar_float": (lambda a: np.where(a > 0, a, 0.5), (3, 4)),
    "where_broadcast": (lambda a: np.where(a[:, :1] > 0, a[0], -a), (3, 4)),
    "where_nonbool_condition": (lambda a: np.where(a, 1, 2), (3, 4)),
    "astype": (lambda a: (a.astype(np.int32), a.astype(np.float32), a.astype(bool)), (3, 4)),
    "np_astype": (lambda a: np.astype(a, np.float64), (3,)),
    "zeros_ones_like": (lambda a: (np.zeros_like(a), np.ones_like(a, dtype=np.int8)), (2, 3)),
    "full_like": (lambda a: (np.full_like(a, 7), np.full_like(a, 2.5, dtype=np.float32)), (2, 3)),
    "full_like_traced_value": (lambda a: np.full_like(a, a[0, 0]), (2, 3)),
    "diag_1d": (np.diag, (3,)),
    "diag_1d_k": (lambda a: (np.diag(a, 2), np.diag(a, -1)), (3,)),
    "diag_2d": (lambda a: (np.diag(a), np.diag(a, 1), np.diag(a, -2)), (3, 4)),
    "diagonal": (lambda a: (np.diagonal(a), a.diagonal(1)), (3, 4)),
    "diagonal_axes": (lambda a: np.diagonal(a, -1, 2, 0), (4, 2, 3)),
    "trace": (lambda a: (np.trace(a), np.trace(a, 1), a.trace()), (3, 4)),
    "trace_axes": (lambda a: np.trace(a, 0, 1, 2), (2, 3, 3)),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(UNARY_SHAPE_FUNCTIONS))
def test_shape_function(name, dtype):
    fn, shape = UNARY_SHAPE_FUNCTIONS[name]
    assert_traces_like_numpy(fn, sample(shape, dtype, -3, 3), min_ops=0)


@pytest.mark.parametrize("dtype", DTYPES + (np.bool_,), ids=DTYPE_IDS)
def test_joining(dtype):
    x, y, z = sample((2, 3), dtype), sample((2, 3), dtype, seed=1), sample((3,), dtype, seed=2)
    assert_traces_like_numpy(lambda a, b: np.concatenate([a, b]), x, y)
    assert_traces_like_numpy(lambda a, b: np.concatenate((a, b), axis=-1), x, y)
    assert_traces_like_numpy(lambda a, b: np.concatenate([a, b], axis=None), x, z)
    assert_traces_like_numpy(lambda a, b: np.stack([a, b]), x, y)
    assert_traces_like_numpy(lambda a, b: np.stack([a, b, a], axis=-1), x, y)
    assert_traces_like_numpy(lambda a, b: np.hstack([a, b]), x, y)
    assert_traces_like_numpy(lambda a, b: np.hstack([b, b]), x, z)
    assert_traces_like_numpy(lambda a, b: np.vstack([a, b]), x, z)
    assert_traces_like_numpy(lambda a, b: np.vstack([b, b]), x, z)
    assert_traces_like_numpy(lambda a, b: np.column_stack([b, b]), x, z)
    assert_traces_like_numpy(lambda a, b: np.dstack([a, a]), x, z)
    assert_traces_like_numpy(lambda a: np.concatenate([a, np.ones((1, 3), np.float32)]), x)


def test_joining_promotes_dtypes():
    x, y = sample((2,), np.int64), sample((3,), np.float32)
    assert_traces_like_numpy(lambda a, b: np.concatenate([a, b]), x, y)
    assert_traces_like_numpy(lambda a: np.stack([a, a], dtype=np.float32), x)
    assert_traces_like_numpy(lambda a: np.stack([a[0], 2.5]), y)     # scalars join in


def test_split_into_unequal_sections_is_refused_as_in_numpy():
    with pytest.raises(ValueError, match="equal division"):
        make_graph(lambda a: np.split(a, 4))(np.ones(6))


PAD_WIDTHS = [1, (1, 2), ((0, 2), (3, 1)), ((2, 2),), ((1,), (2,)), 5]


@pytest.mark.parametrize("mode", ["constant", "edge", "wrap", "reflect", "symmetric"])
@pytest.mark.parametrize("width", PAD_WIDTHS, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_pad(dtype, width, mode):
    x = sample((3, 4), dtype)
    assert_traces_like_numpy(lambda a: np.pad(a, width, mode=mode), x)
    assert_traces_like_numpy(lambda a: np.pad(a[0], 2, mode=mode), x)
    if mode == "constant":
        assert_traces_like_numpy(lambda a: np.pad(a, width, constant_values=1.5), x)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_reshape_transpose_property(shape, data):
    x = sample(tuple(shape), np.float32)
    perm = data.draw(st.permutations(range(len(shape))))
    new = data.draw(st.sampled_from([(-1,), (x.size, 1), (1, -1, 1), tuple(reversed(shape))]))
    assert_traces_like_numpy(lambda a: np.transpose(a, perm).reshape(new), x, min_ops=0)
    shift = data.draw(st.integers(-5, 5))
    assert_traces_like_numpy(lambda a: np.roll(np.flip(a, 0), shift, 0), x)
