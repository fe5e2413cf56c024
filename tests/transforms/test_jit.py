import dataclasses
from typing import NamedTuple

import numpy as np
import pytest

from tracer import ConcretizationError, TransformError, make_graph, register_dataclass
from transforms import grad, jit, vmap
from transforms.jit import Jitted
from kernels.backend import default_backend, get_backend


import kernels.cpu  # noqa: F401,E402  (registers the "cpu" backend)

BACKEND_NAMES = ["numpy", "cpu"]


@pytest.fixture(scope="module", autouse=True)
def _private_kernel_cache(tmp_path_factory):
    """The cpu backend's generated programs go to a directory of this test run."""
    patch = pytest.MonkeyPatch()
    patch.setenv("NUMBAFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("numbaflow_cache")))
    yield
    patch.undo()


@pytest.fixture(params=BACKEND_NAMES)
def backend(request):
    return request.param


class _Recording:
    """A backend that records what it is asked to compile and runs the reference."""
    name = "recording"

    def __init__(self):
        self.graphs, self.options = [], []

    def compile(self, graph, **options):
        self.graphs.append(graph)
        self.options.append(options)
        return get_backend("numpy").compile(graph)


def _check(out, expected, jitted=True):
    """jit returns ndarrays; other transforms return what NumPy would."""
    assert type(out) is np.ndarray or not jitted, type(out)
    assert out.dtype == np.asarray(expected).dtype and out.shape == np.shape(expected)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-12)


rng = np.random.default_rng(0)
X32 = rng.normal(size=(4, 3)).astype(np.float32)
W32 = rng.normal(size=(3, 2)).astype(np.float32)
X64 = rng.normal(size=(5, 3))


_FUNCTIONS = [
    (lambda x, w: np.tanh(x @ w) * 2 + 1, (X32, W32)),
    (lambda x, s: x * s - np.float32(0.5), (X32, 3.0)),          # weak Python float
    (lambda x, n: (x + n * 3) // 2, (np.arange(6, dtype=np.int32), 5)),
    (lambda x: np.mean(x), (X64,)),                              # 0-d result
    (lambda x: np.sum(x ** 2, axis=1) / x.shape[1], (X64,)),
    (lambda x: np.maximum(x, 0).T @ x, (X64,)),
]
# The cpu backend compiles each of these (seconds, cold): its own tests cover the kernels,
# so here it runs the first four, and the reference backend all of them.
_CASES = [("numpy", f, a) for f, a in _FUNCTIONS] + [("cpu", f, a) for f, a in _FUNCTIONS[:4]]


@pytest.mark.parametrize("backend_name, fun, args", _CASES)
def test_results_equal_numpy(backend_name, fun, args):
    backend = backend_name
    f = jit(fun, backend=backend)
    for _ in range(2):                                           # traced, then cached
        _check(f(*args), fun(*args))
    assert f.cache_info().hits == 1 and f.cache_info().compilations == 1


class _Pair(NamedTuple):
    x: np.ndarray
    i: np.ndarray


@register_dataclass
@dataclasses.dataclass
class _Layer:
    w: np.ndarray
    b: np.ndarray


def test_pytrees_in_and_out_and_keyword_arguments(backend):
    def f(params, xs, scale=1.0, extra=None):
        h = np.tanh(xs[0] @ params["layer"].w + params["layer"].b)
        return {"out": (h * scale, np.sum(h)), "none": None, "second": [xs[1] * 2]}

    params = {"layer": _Layer(W32, np.ones(2, np.float32)), "z": None}
    xs = _Pair(X32, np.arange(3))
    g = jit(f, backend=backend)
    ref = f(params, xs, scale=np.float32(0.5))
    for _ in range(2):      # traced (leaves from tree_flatten), then a hit (from the key)
        out = g(params, xs, scale=np.float32(0.5))
        assert out["none"] is None and set(out) == {"out", "none", "second"}
        _check(out["out"][0], ref["out"][0])
        _check(out["out"][1], ref["out"][1])
        _check(out["second"][0], ref["second"][0])
    assert g.cache_info().hits == 1


def test_static_arguments_key_the_cache_by_value():
    def f(x, n, training=False):
        y = x * n
        return y + 1 if training else y

    g = jit(f, static_argnums=(1,), static_argnames=("training",), backend="numpy")
    _check(g(X64, 2), f(X64, 2))
    _check(g(X64, 2), f(X64, 2))
    _check(g(X64, 3), f(X64, 3))
    assert "'n'" in g.cache_info().last_miss and "2 -> static 3" in g.cache_info().last_miss
    _check(g(X64, 3, training=True), f(X64, 3, training=True))
    _check(g(X64, n=3, training=True), f(X64, 3, training=True))   # static by name too
    info = g.cache_info()
    assert (info.hits, info.misses, info.size) == (1, 4, 4)
    assert "the same argument types as the last call, passed another way" in info.last_miss
    _check(g(X64, 3.0), f(X64, 3.0))        # 3.0 is not 3: float64 vs int path, new entry
    assert g.cache_info().misses == 5


def test_unhashable_static_argument_is_a_clear_error():
    g = jit(lambda x, shape: x.reshape(shape), static_argnums=1, backend="numpy")
    with pytest.raises(TransformError, match=r"static argument 'shape' must be hashable.*list"):
        g(X64, [15])
    _check(g(X64, (15,)), X64.reshape(15))
    with pytest.raises(TypeError, match="str is not an array"):
        jit(lambda x, mode: x)(X64, "fast")


def test_a_new_batch_size_is_a_new_entry_and_the_miss_is_explained():
    rec = _Recording()
    f = jit(lambda params, x: x @ params["w"], backend=rec)
    params = {"w": W32}
    f(params, X32)
    f(params, X32)
    f(params, np.ones((7, 3), np.float32))
    info = f.cache_info()
    assert (info.hits, info.misses, info.compilations, info.size) == (1, 2, 2, 2)
    assert info.last_miss == "argument 'x' changed shape: f32[4,3] -> f32[7,3]"
    f(params, np.ones((7, 3)))
    assert f.cache_info().last_miss == "argument 'x' changed dtype: f32[7,3] -> f64[7,3]"
    f({"w": W32, "b": 0.0}, np.ones((7, 3)))
    assert f.cache_info().last_miss == ("argument 'params' changed structure: {'w': *} -> "
                                        "{'b': *, 'w': *}")
    f(params, X32)                                   # still cached: a hit, no compile
    assert f.cache_info().compilations == 4 and f.cache_info().hits == 2


def test_scalar_arguments_reach_the_compiled_program_with_numpys_dtypes(backend):
    # a cached call converts Python and NumPy scalars to the 0-d arrays the program takes:
    # weak Python scalars keep float32 float32, a NumPy scalar is as strong as in NumPy
    f = jit(lambda x, s: x * s + 1, backend=backend)
    for s in (2.0, 3, np.float64(0.5), 2.5, 4, np.float64(1.5)):    # traced, then cached
        _check(f(X32, s), X32 * s + 1)
    assert f.cache_info().compilations == 3 and f.cache_info().hits == 3
    if backend == "cpu":
        with pytest.raises(OverflowError):
            f(X32, 2 ** 70)


def test_the_cache_is_bounded_lru():
    f = Jitted(lambda x: x + 1, backend="numpy", maxsize=2)
    a, b, c = np.ones(1), np.ones(2), np.ones(3)
    for x in (a, b, a, c):          # c evicts b, the least recently used
        f(x)
    f(a)
    assert f.cache_info().size == 2 and f.cache_info().misses == 3
    f(b)
    assert f.cache_info().misses == 4


def test_python_control_flow_on_traced_values_names_the_users_line():
    def f(x):
        if np.sum(x) > 0:
            return x
        return -x
    with pytest.raises(ConcretizationError) as err:
        jit(f)(X64)
    code = f.__code__
    assert f"{code.co_filename}:{code.co_firstlineno + 1}" in str(err.value)
    assert "static_argnums" in str(err.value)


def test_closures_over_arrays_are_constants_and_outputs_are_fresh_arrays():
    table = np.arange(3.0)
    f = jit(lambda x: (x * table, table * 2, 7), backend="numpy")
    y, doubled, seven = f(X64)
    _check(y, X64 * table)
    _check(doubled, table * 2)
    _check(seven, np.asarray(7))
    doubled[:] = 0                  # writing to an output must not change the next call
    _check(f(X64)[1], table * 2)
    assert f.lower(X64).graph.ops[0].prim.name == "mul"   # table * 2 was folded


def test_lower_gives_the_optimized_graph_and_source(backend):
    f = jit(lambda x: (x * 1 + np.sin(x)) + np.sin(x), backend=backend)
    lowered = f.lower(X32)
    assert [op.prim.name for op in lowered.graph.ops] == ["sin", "add", "add"]
    assert f.cache_info().compilations == 0             # lowering alone compiles nothing
    program_source = getattr(lowered.program, "source", None)
    if program_source is None:                          # the reference backend: the graph
        assert lowered.source == repr(lowered.graph)
    else:
        assert lowered.source == program_source and "sin" in program_source
    _check(f(X32), (X32 + np.sin(X32)) + np.sin(X32))
    assert f.cache_info().compilations == 1


def test_fastmath_reaches_the_backend_and_the_default_backend_follows_the_environment(monkeypatch):
    rec = _Recording()
    jit(lambda x: x + 1, backend=rec, fastmath=True)(X64)
    jit(lambda x: x + 1, backend=rec)(X64)
    assert rec.options == [{"fastmath": True}, {}]
    monkeypatch.setenv("NUMBAFLOW_BACKEND", "numpy")
    assert default_backend().name == "numpy"
    monkeypatch.setenv("NUMBAFLOW_BACKEND", "no-such-backend")
    with pytest.raises(ValueError, match="unknown backend 'no-such-backend'"):
        jit(lambda x: x)(X64)


def test_jit_inside_make_graph_and_jit_is_inlined():
    inner = jit(lambda x: np.exp(x) * 2)
    outer = jit(lambda x: inner(x) + inner(x * 3), backend="numpy")
    _check(outer(X64), np.exp(X64) * 2 + np.exp(X64 * 3) * 2)
    graph = make_graph(lambda x: inner(x) - 1)(X32)
    assert [op.prim.name for op in graph.ops] == ["exp", "mul", "sub"]
    assert inner.cache_info().compilations == 0      # only ever inlined


def test_tracers_never_take_the_fast_path():
    f = jit(lambda x: np.sum(x * x), backend="numpy")
    xs = rng.normal(size=(6, 3))
    _check(f(xs[0]), np.sum(xs[0] ** 2))                        # cached under f64[3]
    _check(vmap(f)(xs), np.sum(xs ** 2, axis=1), jitted=False)  # Tracers of f64[3]: inlined
    _check(vmap(f)(xs * 2), np.sum(xs ** 2, axis=1) * 4, jitted=False)
    info = f.cache_info()       # the traced graph is reused; Tracer calls never compile
    assert (info.hits, info.misses, info.compilations) == (1, 2, 1)


def test_jit_inside_vmap_and_vmap_inside_jit():

    def f(x, w):
        return np.tanh(x @ w).sum()
    xs = rng.normal(size=(5, 4, 3))
    expected = np.stack([f(x, W32.astype(np.float64)) for x in xs])
    _check(vmap(jit(f), in_axes=(0, None))(xs, W32.astype(np.float64)), expected, jitted=False)
    _check(jit(vmap(f, in_axes=(0, None)))(xs, W32.astype(np.float64)), expected)


def test_jit_inside_grad_and_grad_inside_jit():

    def loss(w, x):
        return np.mean(np.tanh(x @ w) ** 2)
    expected = grad(loss)(W32, X32)
    _check(grad(jit(loss))(W32, X32), expected, jitted=False)
    _check(jit(grad(loss))(W32, X32), expected)


def test_closure_over_an_outer_tracer_is_a_captured_input():

    def outer(w):
        scaled = jit(lambda x: np.sum(np.sin(x * w)))    # closes over grad's Tracer
        return scaled(X64[0])
    w = np.float64(0.3)
    _check(grad(outer)(w), np.sum(np.cos(X64[0] * w) * X64[0]), jitted=False)


def test_methods_with_a_static_self():
    class Scaler:
        def __init__(self, k):
            self.k = k

        @jit(static_argnums=0, backend="numpy")
        def apply(self, x):
            return x * self.k

    a, b = Scaler(2.0), Scaler(3.0)
    _check(a.apply(X64), X64 * 2.0)
    _check(b.apply(X64), X64 * 3.0)
    assert Scaler.apply.cache_info().size == 2


def test_the_key_path_flattens_like_tree_flatten():
    from tracer import tree_flatten
    from transforms.jit_keys import add_tokens
    tree = {"b": [X32, (1.5, None)], "a": _Pair(np.float32(2), {"z": X64, "y": True}),
            "c": _Layer(W32, np.int64(3))}
    tokens, leaves = [], []
    add_tokens(tree, tokens, leaves)
    expected, _ = tree_flatten(tree)
    assert len(leaves) == len(expected) and all(a is b for a, b in zip(leaves, expected))
    other_tokens = []
    add_tokens({**tree, "b": [X64, (1.5, None)]}, other_tokens, [])
    assert tuple(tokens) != tuple(other_tokens) and hash(tuple(tokens)) is not None
