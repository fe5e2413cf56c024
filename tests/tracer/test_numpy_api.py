"""The NumPy front end as a whole: ndarray methods and properties, scalars as traced inputs,
whole functions mixing many calls, and tracer.logsumexp/softmax/log_softmax/sigmoid
against scipy.special."""
import numpy as np
import pytest
import scipy.special

import tracer
from tests.tracer.numpy_check import DTYPES, assert_traces_like_numpy, sample
from tracer import make_graph

DTYPE_IDS = lambda d: np.dtype(d).name  # noqa: E731

METHODS = {
    "sum": lambda a: (a.sum(), a.sum(axis=-1, keepdims=True), a.sum(0)),
    "T_and_mT": lambda a: (a.T, a.mT),
    "reshape": lambda a: (a.reshape(-1), a.reshape(4, 6), a.reshape((2, -1))),
    "astype": lambda a: (a.astype(np.float32), a.astype("int16"), a.astype(bool)),
    "mean": lambda a: (a.mean(), a.mean(axis=(0, 2)), a.mean(axis=-1)),
    "std_var": lambda a: (a.std(ddof=1), a.std(axis=1, ddof=1), a.var(axis=0)),
    "max_min": lambda a: (a.max(), a.min(axis=1), a.max(axis=(0, 1), keepdims=True)),
    "prod_cumsum_cumprod": lambda a: (a.prod(axis=0), a.cumsum(-1), a.cumprod(axis=0)),
    "squeeze_swapaxes": lambda a: (a[:1].squeeze(0), a.swapaxes(0, 2)),
    "round": lambda a: (a.round(), np.round(a, 1), np.around(a, 2), np.round(a, -1)),
    "copy_conj": lambda a: (a.copy(), a.conj(), np.copy(a)),
    "shape_ndim_size": lambda a: a * (a.shape[0] + a.ndim + a.size + len(a) + np.size(a, 1)),
    "any_all": lambda a: (a.any(), a.all(axis=0), (a > 0).any(axis=-1)),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(METHODS))
def test_ndarray_methods(name, dtype):
    assert_traces_like_numpy(METHODS[name], sample((2, 3, 4), dtype, -3, 3), min_ops=0)


def test_properties_of_a_tracer():
    def f(x):
        assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float32
        assert np.shape(x) == (2, 3) and np.ndim(x) == 2 and len(x) == 2
        assert np.result_type(x, 2.0) == np.float32 and np.result_type(x, np.float64) == np.float64
        return x
    make_graph(f)(sample((2, 3), np.float32))


SCALAR_ARGS = [2.0, 3, True, np.float32(1.5), np.int64(4), np.float64(-0.5)]


@pytest.mark.parametrize("s", SCALAR_ARGS, ids=lambda s: type(s).__name__)
def test_scalars_as_traced_inputs(s):
    x = sample((3,), np.float32)
    assert_traces_like_numpy(lambda a, b: a * b, s, x)
    assert_traces_like_numpy(lambda a, b: b - a, s, x)
    assert_traces_like_numpy(lambda a, b: np.where(b > 0, a, b), s, x)
    assert_traces_like_numpy(lambda a, b: np.maximum(a, b), s, x)
    assert_traces_like_numpy(lambda a: np.exp(a) + 1, s)
    assert_traces_like_numpy(lambda a, b: np.exp(a) * b, s, x)      # a ufunc of a scalar is strong
    assert_traces_like_numpy(lambda a, b: (a * 2 + 1) * b, s, x)    # Python arithmetic stays weak
    assert_traces_like_numpy(lambda a, b: np.sqrt(np.abs(a)) * b, s, x)
    assert_traces_like_numpy(lambda a, b: np.sum(a) * b, s, x)
    assert_traces_like_numpy(lambda a, b: np.stack([a, b[0]]), s, x)


def test_scalars_and_lists_in_place_of_arrays():
    x = sample((3,), np.float32)
    assert_traces_like_numpy(lambda a: np.concatenate([a, [1.0, 2.0]]), x)
    assert_traces_like_numpy(lambda a: np.dot(a, [1, 2, 3]), x)
    assert_traces_like_numpy(lambda a: np.maximum(a, [0, 1, 0]), x)
    assert_traces_like_numpy(lambda a: np.where([True, False, True], a, 0), x)
    assert_traces_like_numpy(lambda a: np.stack([a[0], a[1], 1.0]), x)
    assert_traces_like_numpy(lambda a: np.clip(a, [0, 0, 0], 1), x)


def _mlp(w1, b1, w2, x):
    h = np.tanh(x @ w1 + b1)
    logits = h @ w2
    return np.mean((logits - logits.max(axis=1, keepdims=True)) ** 2), np.argmax(logits, 1)


def _normalise(x):
    mu = x.mean(axis=0)
    sd = x.std(axis=0, ddof=1)
    z = (x - mu) / sd
    return np.where(np.abs(z) > 1, np.sign(z), z).T[::-1, 1:]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=DTYPE_IDS)
def test_whole_functions(dtype):
    w1, b1, w2 = sample((3, 5), dtype), sample((5,), dtype, seed=1), sample((5, 2), dtype, seed=2)
    x = sample((4, 3), dtype, seed=3)
    assert_traces_like_numpy(_mlp, w1, b1, w2, x)
    assert_traces_like_numpy(_normalise, x)
    assert_traces_like_numpy(lambda p: {"a": p[0] * 2, "b": [p[1].sum(), None]}, (x, w1))


SCIPY_FUNCTIONS = [
    ("logsumexp", tracer.logsumexp, scipy.special.logsumexp),
    ("softmax", tracer.softmax, scipy.special.softmax),
    ("log_softmax", tracer.log_softmax, scipy.special.log_softmax),
]


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)], ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=DTYPE_IDS)
@pytest.mark.parametrize("name,ours,theirs", SCIPY_FUNCTIONS, ids=[f[0] for f in SCIPY_FUNCTIONS])
def test_against_scipy_special(name, ours, theirs, dtype, axis):
    x = sample((3, 4), dtype, -30, 30)
    x[0, 0] = 800 if dtype == np.float64 else 80   # large values stay finite
    got = tracer.eval_graph(make_graph(lambda a: ours(a, axis=axis))(x), [x])[0]
    want = theirs(x, axis=axis)
    assert got.shape == np.shape(want) and got.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)
    np.testing.assert_allclose(ours(x, axis=axis), want, rtol=1e-5, atol=1e-6)   # eager


def test_logsumexp_keepdims_and_infinities():
    x = np.array([[-np.inf, -np.inf], [0.0, np.inf], [1.0, 2.0]])
    graph = make_graph(lambda a: tracer.logsumexp(a, axis=1, keepdims=True))(x)
    with np.errstate(divide="ignore"):      # log(0) = -inf for the all -inf row
        got = tracer.eval_graph(graph, [x])[0]
    np.testing.assert_array_equal(got, scipy.special.logsumexp(x, axis=1, keepdims=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=DTYPE_IDS)
def test_sigmoid(dtype):
    x = sample((5,), dtype, -50, 50)
    assert_traces_like_numpy(tracer.sigmoid, x)
    got = tracer.eval_graph(make_graph(tracer.sigmoid)(x), [x])[0]
    np.testing.assert_allclose(got, scipy.special.expit(x), rtol=1e-6)
