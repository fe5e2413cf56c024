"""Bad input: every error says what went wrong, where in the user's code (this file and
the exact line), and what to do instead."""
import os
import re

import numpy as np
import pytest
import scipy.special

import tracer
from tracer import ConcretizationError, InplaceUpdateError, ShapeError, at, make_graph

HERE = os.path.basename(__file__)
X = np.ones((2, 3), np.float32)


def line_of(marker: str) -> int:
    """The line number of the one line of this file that ends with `# <marker>`."""
    with open(__file__) as f:
        hits = [k for k, text in enumerate(f, 1) if text.rstrip().endswith(f"# {marker}")]
    assert len(hits) == 1, marker
    return hits[0]


def assert_points_here(error, marker):
    assert f"{HERE}:{line_of(marker)}" in str(error), str(error)


# --- functions NumPy has and numbaflow does not ---------------------------------------------
UNSUPPORTED = [
    (lambda a: np.linalg.svd(a), "np.linalg.svd", None),
    (lambda a: np.fft.fft(a), "np.fft.fft", None),
    (lambda a: np.linalg.inv(a), "np.linalg.inv", None),
    (lambda a: np.nanmean(a), "np.nanmean", "mean"),
    (lambda a: np.cumulative_sum(a, axis=0), "np.cumulative_sum", "cumsum"),
    (lambda a: np.median(a), "np.median", "mean"),
    (lambda a: np.float_power(a, 2), "np.float_power", "power"),
    (lambda a: np.gcd(a, a), "np.gcd", None),
    (lambda a: scipy.special.gammaln(a), "scipy.special.gammaln", None),
    (lambda a: np.add.reduceat(a, [0]), "np.add.reduceat", "np.add.reduce"),
]


@pytest.mark.parametrize("fun,name,near", UNSUPPORTED, ids=[u[1] for u in UNSUPPORTED])
def test_unsupported_function_names_itself_and_a_near_alternative(fun, name, near):
    x = X.astype(np.int64) if name == "np.gcd" else X
    with pytest.raises(NotImplementedError) as info:
        make_graph(fun)(x)
    message = str(info.value)
    assert re.search(rf"\b{re.escape(name)}\b", message)
    if near:
        assert near in message


def test_unsupported_ufunc_keyword():
    with pytest.raises(NotImplementedError, match="where"):
        make_graph(lambda a: np.add(a, 1, where=a > 0))(X)


# --- shape errors ----------------------------------------------------------------------------
def _matmul(a, b):
    return a @ b  # MATMUL


def _batched_matmul(a, b):
    return np.matmul(a, b)  # BATCH


def _reshape(a):
    return a.reshape(4, 2)  # RESHAPE


def _broadcast(a, b):
    return a + b  # BROADCAST


def _concatenate(a, b):
    return np.concatenate([a, b], axis=1)  # CONCATENATE


def _dot(a, b):
    return np.dot(a, b)  # DOT


def _reduce(a):
    return np.sum(a, axis=2)  # AXIS


SHAPE_ERRORS = [
    (_matmul, (X, np.ones((2, 4), np.float32)), "matmul", ["f32[2,3]", "f32[2,4]"], "MATMUL"),
    (_batched_matmul, (np.ones((2, 3, 4)), np.ones((3, 4, 5))), "matmul", ["f64[2,3,4]"],
     "BATCH"),
    (_reshape, (X,), "reshape", ["f32[2,3]"], "RESHAPE"),
    (_broadcast, (X, np.ones(4, np.float32)), "add", ["f32[2,3]", "f32[4]"], "BROADCAST"),
    (_concatenate, (X, np.ones((3, 3), np.float32)), "concatenate", ["f32[3,3]"],
     "CONCATENATE"),
    (_dot, (X, np.ones((4, 2), np.float32)), "dot", ["f32[2,3]", "f32[4,2]"], "DOT"),
    (_reduce, (X,), "sum", [], "AXIS"),
]


@pytest.mark.parametrize("fun,args,op,types,marker", SHAPE_ERRORS,
                         ids=[s[-1].lower() for s in SHAPE_ERRORS])
def test_shape_error_names_op_types_and_user_line(fun, args, op, types, marker):
    with pytest.raises(ShapeError) as info:
        make_graph(fun)(*args)
    message = str(info.value)
    assert op in message
    for t in types:
        assert t in message
    assert_points_here(info.value, marker)


def test_shape_errors_are_value_errors_as_in_numpy():
    with pytest.raises(ValueError):
        make_graph(_broadcast)(X, np.ones(4, np.float32))


# --- Python needs a concrete value --------------------------------------------------------------
def _bool(a):
    if a.sum() > 0:  # BOOL
        return a
    return -a


def _float(a):
    return float(a[0, 0])  # FLOAT


def _int(a):
    return a * int(a[0, 0])  # INT


def _item(a):
    return a.item()  # ITEM


def _while(a):
    while a.max() < 10:  # WHILE
        a = a * 2
    return a


def _asarray(a):
    return np.asarray(a)  # ASARRAY


def _range(a):
    return [a[i] for i in range(a.shape[0] + a[0])]  # RANGE


def _mask(a):
    return a[a > 0]  # MASK


CONCRETIZATIONS = [(_bool, "BOOL"), (_float, "FLOAT"), (_int, "INT"), (_item, "ITEM"),
                   (_while, "WHILE"), (_asarray, "ASARRAY"), (_range, "RANGE"), (_mask, "MASK")]


@pytest.mark.parametrize("fun,marker", CONCRETIZATIONS, ids=[c[1].lower() for c in CONCRETIZATIONS])
def test_concretization_error_points_at_the_line_and_says_what_to_do(fun, marker):
    x = np.ones((1,), np.int64) if marker == "RANGE" else X
    if marker == "ITEM":
        x = np.ones((), np.float32)
    with pytest.raises(ConcretizationError) as info:
        make_graph(fun)(x)
    assert_points_here(info.value, marker)
    message = str(info.value)
    assert "np.where" in message
    if marker not in ("MASK", "ASARRAY"):
        assert "static_argnums" in message and "cond" in message


def test_concrete_tracing_lets_python_control_flow_run():
    def f(x):
        if x.sum() > 0:
            return x * 2
        return -x
    for x, want in ((X, X * 2), (-X, X)):
        graph, _, _, builder = tracer.trace(f, (x,), concrete=True)
        assert builder.consulted
        np.testing.assert_array_equal(tracer.eval_graph(graph, [x])[0], want)
    graph, _, _, builder = tracer.trace(lambda x: x * 2, (X,), concrete=True)
    assert not builder.consulted


def test_concrete_tracing_allows_float_int_item_and_masks():
    def f(x):
        scale = float(x[0, 0]) + int(x[0, 1]) + x[1, 2].item()
        return x[x > 0] * scale
    x = np.array([[1.0, 2.0, -1.0], [0.5, -3.0, 4.0]])
    graph, _, _, builder = tracer.trace(f, (x,), concrete=True)
    assert builder.consulted
    np.testing.assert_array_equal(tracer.eval_graph(graph, [x])[0], f(x))


# --- in-place updates ------------------------------------------------------------------------
def _setitem(a):
    a[0] = 1  # SETITEM
    return a


def _view_iadd(a):
    v = a[1:]
    v += 1  # VIEW_IADD
    return a


def _transposed_imul(a):
    v = a.T
    v *= 2  # VIEW_IMUL
    return a


def _ufunc_out(a):
    np.add(a, 1, out=a)  # UFUNC_OUT
    return a


def _sort(a):
    a.sort()  # SORT
    return a


INPLACE = [(_setitem, "SETITEM"), (_view_iadd, "VIEW_IADD"), (_transposed_imul, "VIEW_IMUL"),
           (_ufunc_out, "UFUNC_OUT"), (_sort, "SORT")]


@pytest.mark.parametrize("fun,marker", INPLACE, ids=[c[1].lower() for c in INPLACE])
def test_inplace_update_is_refused_with_the_functional_form(fun, marker):
    with pytest.raises(InplaceUpdateError) as info:
        make_graph(fun)(X)
    assert "at(x)[idx].set(" in str(info.value)
    assert_points_here(info.value, marker)


def test_augmented_assignment_on_a_non_view_is_functional():
    def f(a):
        b = a * 1
        b += 1
        a -= 0.5
        return a, b
    graph = make_graph(f)(X)
    got = tracer.eval_graph(graph, [X])
    np.testing.assert_array_equal(got[0], X - 0.5)
    np.testing.assert_array_equal(got[1], X + 1)


def test_the_functional_form_works():
    def f(a):
        return at(a)[0].set(7.0), at(a)[:, [0, 0]].add(1.0)
    got = tracer.eval_graph(make_graph(f)(X), [X])
    want0, want1 = X.copy(), X.copy()
    want0[0] = 7
    np.add.at(want1, (slice(None), [0, 0]), 1.0)
    np.testing.assert_array_equal(got[0], want0)
    np.testing.assert_array_equal(got[1], want1)
