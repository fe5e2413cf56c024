"""Control flow and random numbers under jit (the default cpu backend): the same results
as eagerly, and an RNN cell written with scan trains under jit(grad)."""
import numpy as np
import pytest

from tracer import cond, fori_loop, random, scan, while_loop
from transforms import grad, jit, vmap


@pytest.fixture(scope="module", autouse=True)
def _private_kernel_cache(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    patch.setenv("NUMBAFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("numbaflow_cache")))
    yield
    patch.undo()


def _program(x, w):
    """One of each construct, closing over w."""
    a = cond(np.sum(x) > 0, lambda v: v * w, lambda v: v - w, x)
    b = while_loop(lambda v: np.max(np.abs(v)) < 10.0, lambda v: v * 1.5 + 0.1, a)
    c = fori_loop(0, 3, lambda i, v: v + np.sin(v) * i, b)
    carry, ys = scan(lambda h, xi: (np.tanh(h * w + xi), h), c[0], c)
    return carry + np.sum(ys)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_constructs_under_jit_equal_eager(sign):
    x = sign * np.array([0.3, -0.2, 0.5])
    w = np.float64(1.2)
    np.testing.assert_allclose(jit(_program)(x, w), _program(x, w), rtol=1e-12)


def test_scan_gradient_under_jit_equals_the_unrolled_loop():
    xs = np.linspace(-1, 1, 6)

    def scanned(w):
        h, _ = scan(lambda h, x: (np.tanh(h * w + x), None), 0.1, xs)
        return h

    def unrolled(w):
        h = 0.1
        for x in xs:
            h = np.tanh(h * w + x)
        return h
    np.testing.assert_allclose(jit(grad(scanned))(0.7), grad(unrolled)(0.7), rtol=1e-12)


def test_random_numbers_are_the_same_eager_jit_and_vmap():
    """The bits are identical everywhere, so uniform draws are too; normal draws go through
    log and cos, which compiled kernels compute to within 2 ulp of NumPy."""
    key = random.key(5)
    keys = random.split(key, 3)
    uniform = lambda k: random.uniform(k, (4,), np.float32)  # noqa: E731
    normal = lambda k: random.normal(k, (4,), np.float32)    # noqa: E731
    for draw, ulps in ((uniform, 0), (normal, 2)):
        eager = np.stack([draw(k) for k in keys])
        for got, want in ((jit(draw)(key), draw(key)), (vmap(draw)(keys), eager),
                          (jit(vmap(draw))(keys), eager)):
            assert got.dtype == want.dtype
            if ulps:
                np.testing.assert_array_max_ulp(got, want, maxulp=ulps)
            else:
                np.testing.assert_array_equal(got, want)


def test_an_rnn_cell_written_with_scan_trains_under_jit():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(8, 16, 1))                     # batch 8, 16 steps, 1 feature
    target = np.cumsum(xs[:, :, 0], axis=1)[:, -1] / 4   # a running sum to remember

    def loss(p):
        def cell(h, x):
            return np.tanh(h @ p["wh"] + x @ p["wx"] + p["b"]), None
        h, _ = scan(cell, np.zeros((8, 4)), np.swapaxes(xs, 0, 1))
        return np.mean((h @ p["wo"] - target[:, None]) ** 2)

    p = {"wh": rng.normal(size=(4, 4)) * 0.3, "wx": rng.normal(size=(1, 4)),
         "b": np.zeros(4), "wo": rng.normal(size=(4, 1)) * 0.3}
    step = jit(lambda p: {k: v - 0.1 * g for (k, v), g in zip(p.items(), grad(loss)(p).values())})
    first = loss(p)
    for _ in range(150):
        p = step(p)
    assert loss(p) < 0.5 * first
