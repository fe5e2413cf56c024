"""jit(f) == f on randomly generated NumPy programs of 5-40 primitives: element-wise chains
with broadcasting, reductions over random axes, views, contractions, selects and
concatenations, in float32 and float64, compiled through the cpu backend."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings, strategies as st  # noqa: E402

from transforms import jit  # noqa: E402


def _unary(name):
    return {
        "tanh": np.tanh, "sin": np.sin, "abs": np.abs, "neg": np.negative,
        "exp_neg": lambda x: np.exp(-np.abs(x)), "sqrt1": lambda x: np.sqrt(np.abs(x) + 1),
        "log1": lambda x: np.log1p(np.abs(x)), "square": lambda x: x * x,
        "half": lambda x: 0.5 * x, "floor": np.floor,
    }[name]


_UNARY = ["tanh", "sin", "abs", "neg", "exp_neg", "sqrt1", "log1", "square", "half", "floor"]
_BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "max": np.maximum,
           "min": np.minimum, "where": lambda a, b: np.where(a > b, a, b - 1)}


def _apply(step, pool):
    """One random step: reads values from `pool` (a list of arrays or tracers) by index and
    appends its result. Every step keeps values finite and shapes valid."""
    kind, i, j, k = step
    x = pool[i % len(pool)]
    y = pool[j % len(pool)]
    if kind == "unary":
        return _unary(_UNARY[k % len(_UNARY)])(x)
    if kind == "binary":
        try:
            np.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            return x + np.float32(1.5) * x
        return list(_BINARY.values())[k % len(_BINARY)](x, y)
    if kind == "reduce":
        if x.ndim == 0:
            return x * 2
        axis = k % x.ndim
        fn = [np.sum, np.max, np.mean, np.min][k % 4]
        return fn(x, axis=axis, keepdims=bool(k % 2))
    if kind == "view":
        if x.ndim >= 2:
            return [np.transpose(x), x.reshape(-1), x[::-1, 1:], x[:, ::2]][k % 4]
        return x[::-1] if x.ndim == 1 else x.reshape(1, 1)
    if kind == "dot":
        if x.ndim == 2 and y.ndim == 2 and x.shape[1] == y.shape[0]:
            return np.tanh(x @ y)
        if x.ndim == 2 and y.ndim == 2 and x.shape[1] == y.shape[1]:
            return np.tanh(x @ y.T)
        return np.sum(x * x)
    if kind == "concat":
        if x.ndim >= 1 and x.shape[1:] == y.shape[1:] and x.ndim == y.ndim:
            return np.concatenate([x, y], axis=0)
        return np.stack([x, x])
    raise AssertionError(kind)


_step = st.tuples(st.sampled_from(["unary", "binary", "reduce", "view", "dot", "concat",
                                   "unary", "binary"]),
                  st.integers(0, 63), st.integers(0, 63), st.integers(0, 63))


# each example compiles a program (~1 s): a dozen examples, and no shrinking (minutes)
@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(steps=st.lists(_step, min_size=5, max_size=40),
       dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2**16))
def test_jit_equals_numpy_on_random_programs(cpu, steps, dtype, seed):
    rng = np.random.default_rng(seed)
    args = (rng.uniform(-2, 2, (4, 6)).astype(dtype), rng.uniform(-2, 2, (6,)).astype(dtype),
            rng.uniform(-2, 2, (6, 3)).astype(dtype), dtype(0.75))

    def program(*xs):
        pool = list(xs)
        for step in steps:
            pool.append(_apply(step, pool))
        return pool[len(xs):][-3:]     # the last values (dead code before them is fine)

    want = program(*args)
    got = jit(program, backend=cpu)(*args)      # simplified by jit's passes, then compiled
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def test_jit_transform_uses_the_cpu_backend(cpu):
    def f(x, w, b):
        return np.sum(np.tanh(x * w + b) ** 2 + 0.5 * x), np.max(x, axis=0)

    x = np.random.default_rng(1).standard_normal((64, 8)).astype(np.float32)
    w, b = np.float32(0.7), np.float32(-0.2)
    jf = jit(f, backend="cpu")
    for got, want in zip(jf(x, w, b), f(x, w, b)):
        np.testing.assert_allclose(got, want, rtol=1e-5)
        assert np.asarray(got).dtype == np.asarray(want).dtype
    assert "def program" in jf.lower(x, w, b).source
