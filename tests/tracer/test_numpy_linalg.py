"""Contractions on traced arrays, against NumPy: dot, matmul, tensordot, einsum, inner,
outer, vdot, and the ufunc method np.multiply.outer."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tracer.numpy_check import DTYPES, assert_traces_like_numpy, sample

DTYPE_IDS = lambda d: np.dtype(d).name  # noqa: E731

# name -> (function of two arrays, shape of x, shape of y)
PRODUCTS = {
    "dot_1d_1d": (np.dot, (4,), (4,)),
    "dot_2d_2d": (np.dot, (3, 4), (4, 2)),
    "dot_2d_1d": (np.dot, (3, 4), (4,)),
    "dot_1d_2d": (np.dot, (4,), (4, 2)),
    "dot_3d_2d": (np.dot, (2, 3, 4), (4, 5)),
    "dot_2d_3d": (np.dot, (3, 4), (2, 4, 5)),
    "dot_scalar": (np.dot, (), (3, 2)),
    "method_dot": (lambda a, b: a.dot(b), (3, 4), (4,)),
    "matmul_1d_1d": (np.matmul, (4,), (4,)),
    "matmul_1d_2d": (np.matmul, (4,), (4, 3)),
    "matmul_2d_1d": (np.matmul, (3, 4), (4,)),
    "matmul_1d_3d": (np.matmul, (4,), (2, 4, 3)),
    "matmul_3d_1d": (np.matmul, (2, 3, 4), (4,)),
    "matmul_batched": (np.matmul, (2, 3, 4), (2, 4, 5)),
    "matmul_broadcast_batch": (np.matmul, (2, 1, 3, 4), (5, 4, 2)),
    "matmul_operator": (lambda a, b: a @ b, (3, 4), (2, 4, 2)),
    "tensordot_default": (np.tensordot, (2, 3, 4), (3, 4, 5)),
    "tensordot_int": (lambda a, b: np.tensordot(a, b, 1), (2, 3), (3, 4)),
    "tensordot_zero": (lambda a, b: np.tensordot(a, b, 0), (2,), (3,)),
    "tensordot_pairs": (lambda a, b: np.tensordot(a, b, ((1, 0), (0, 2))), (3, 2, 4),
                        (2, 5, 3)),
    "tensordot_negative": (lambda a, b: np.tensordot(a, b, (-1, 0)), (2, 3), (3, 4)),
    "inner_1d": (np.inner, (4,), (4,)),
    "inner_nd": (np.inner, (2, 4), (3, 4)),
    "inner_scalar": (np.inner, (), (3,)),
    "outer": (np.outer, (3,), (4,)),
    "outer_flattens": (np.outer, (2, 2), (3,)),
    "multiply_outer": (np.multiply.outer, (2, 3), (4,)),
    "add_outer": (np.add.outer, (3,), (2,)),
    "vdot": (np.vdot, (2, 3), (3, 2)),
}


@pytest.mark.parametrize("dtype", DTYPES + (np.int32,), ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(PRODUCTS))
def test_product(name, dtype):
    fn, xs, ys = PRODUCTS[name]
    assert_traces_like_numpy(fn, sample(xs, dtype, -3, 3), sample(ys, dtype, -3, 3, seed=1))


def test_products_promote_dtypes():
    x, y = sample((3, 4), np.float32), sample((4, 2), np.int64)
    assert_traces_like_numpy(np.matmul, x, y)
    assert_traces_like_numpy(np.dot, x, y)
    assert_traces_like_numpy(lambda a: np.dot(a, 2.5), y)
    assert_traces_like_numpy(lambda a: a @ np.ones((4, 2), np.float64), x)


EINSUMS = {
    "ij,jk->ik": [(3, 4), (4, 2)],
    "ij,jk": [(3, 4), (4, 2)],
    "ii": [(3, 3)],
    "ii->i": [(3, 3)],
    "ij->ji": [(2, 3)],
    "ij->": [(2, 3)],
    "ij->j": [(2, 3)],
    "i,i->": [(4,), (4,)],
    "i,j->ij": [(2,), (3,)],
    "ij,ij->ij": [(2, 3), (2, 3)],
    "ij,ij->i": [(2, 3), (2, 3)],
    "bij,bjk->bik": [(2, 3, 4), (2, 4, 5)],
    "bij,bkj->bik": [(2, 3, 4), (2, 5, 4)],
    "ijk,jil->kl": [(2, 3, 4), (3, 2, 5)],
    "ij,jk,kl->il": [(2, 3), (3, 4), (4, 2)],
    "ba,ca": [(2, 3), (4, 3)],
    "...ij,...jk->...ik": [(2, 3, 4), (4, 5)],
    "...ij,...jk": [(5, 2, 3), (5, 3, 2)],
    "i...->...": [(3, 2, 4)],
    "...i,...i->...": [(2, 3), (2, 3)],
    "iij->j": [(3, 3, 2)],
    "i j , j k -> i k": [(2, 3), (3, 2)],
}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("subscripts", list(EINSUMS))
def test_einsum(subscripts, dtype):
    operands = [sample(s, dtype, -3, 3, seed=k) for k, s in enumerate(EINSUMS[subscripts])]
    assert_traces_like_numpy(lambda *ops: np.einsum(subscripts, *ops), *operands)


@settings(max_examples=25, deadline=None)
@given(batch=st.lists(st.integers(1, 3), max_size=2), m=st.integers(1, 3),
       k=st.integers(1, 3), n=st.integers(1, 3), drop=st.integers(0, 2))
def test_matmul_property(batch, m, k, n, drop):
    x = sample(tuple(batch) + (m, k), np.float64)
    y = sample(tuple(batch[drop:]) + (k, n), np.float64, seed=1)
    assert_traces_like_numpy(np.matmul, x, y)



@pytest.mark.parametrize("x, y, contract, batch, want", [
    ((0,), (4,), ((), ()), ((), ()), np.multiply.outer),   # outer product, one side empty
    ((0, 3), (3, 4), ((1,), (0,)), ((), ()), np.matmul),
    ((2, 0, 3), (2, 3, 5), ((2,), (1,)), ((0,), (0,)), np.matmul),
    ((2, 3, 0), (2, 0, 5), ((2,), (1,)), ((0,), (0,)), np.matmul),  # empty sum: zeros
])
def test_dot_general_reference_on_zero_sizes(x, y, contract, batch, want):
    from tracer.ops.linalg import dot_general
    a, b = np.ones(x), np.ones(y)
    got = dot_general.numpy(a, b, contract=contract, batch=batch)
    assert got.shape == want(a, b).shape
    np.testing.assert_array_equal(got, want(a, b))


def test_dot_general_reference_types_python_scalars_as_its_infer_rule_does():
    from tracer.types import type_of
    from tracer.ops.linalg import dot_general
    x = np.arange(3, dtype=np.float32)
    for scalar in (2, 2.0):
        params = {"contract": ((), ()), "batch": ((), ())}
        got = dot_general.numpy(x, scalar, **params)
        assert got.dtype == dot_general.infer(type_of(x), type_of(scalar), **params).dtype
        np.testing.assert_array_equal(got, x * scalar)


@pytest.mark.parametrize("fun", [
    lambda x: np.dot(x, 2.0), lambda x: np.dot(3, x), lambda x: np.inner(x, 2.0),
    lambda x: np.tensordot(x, 2.0, 0), lambda x: np.einsum("i,->i", x, 2.0),
    lambda x: np.multiply.outer(x, 2.0), lambda x: np.add.outer(3, x),
    lambda x: np.outer(x, 2.0), lambda x: x @ x,
], ids=["dot", "dot_left_int", "inner", "tensordot", "einsum", "multiply_outer",
        "add_outer_left", "outer", "matmul"])
def test_python_scalars_are_strong_where_numpy_converts_them(fun):
    # np.dot & co. call np.asarray on their operands: a Python float is float64 there,
    # not weak as in x * 2.0
    assert_traces_like_numpy(fun, sample((3,), np.float32))
