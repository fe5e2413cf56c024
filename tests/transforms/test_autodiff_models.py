"""Autodiff on whole models and maps: logistic regression and MLP losses against finite
differences, the Rosenbrock Hessian against the analytic one, jacfwd == jacrev, and the
numerical helpers (logsumexp, softmax)."""
from __future__ import annotations

import numpy as np
import pytest

from tracer import log_softmax, logsumexp, softmax
from transforms import grad, hessian, jacfwd, jacrev, jit, vmap


def _numeric_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _check_tree_grad(loss, params, *rest):
    g = grad(loss)(params, *rest)
    for name, p in params.items():
        def partial(v, name=name):
            return loss({**params, name: v}, *rest)
        np.testing.assert_allclose(g[name], _numeric_grad(partial, p), rtol=1e-6, atol=1e-9)


def test_logistic_regression_loss():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)), (rng.random(20) < 0.5).astype(np.float64)

    def loss(p, x, y):
        z = x @ p["w"] + p["b"]
        return np.mean(np.logaddexp(0, z) - y * z) + 0.01 * np.sum(p["w"] ** 2)
    _check_tree_grad(loss, {"w": rng.normal(size=3), "b": np.array(0.3)}, x, y)


@pytest.mark.parametrize("activation", [np.tanh, lambda z: np.maximum(z, 0)], ids=["tanh", "relu"])
def test_mlp_loss(activation):
    rng = np.random.default_rng(1)
    sizes = (4, 5, 3)
    params = {"w1": rng.normal(size=sizes[:2]), "b1": rng.normal(size=sizes[1]),
              "w2": rng.normal(size=sizes[1:]), "b2": rng.normal(size=sizes[2])}
    x, y = rng.normal(size=(6, 4)), np.eye(3)[rng.integers(0, 3, 6)]

    def loss(p, x, y):
        h = activation(x @ p["w1"] + p["b1"])
        return -np.mean(np.sum(y * log_softmax(h @ p["w2"] + p["b2"]), axis=-1))
    _check_tree_grad(loss, params, x, y)


def _rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def _rosenbrock_hessian(x):
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
    return h


def test_rosenbrock_hessian():
    x = np.array([1.2, 0.7, -0.3, 2.0, 0.1])
    np.testing.assert_allclose(hessian(_rosenbrock)(x), _rosenbrock_hessian(x), rtol=1e-12)
    np.testing.assert_allclose(jacrev(jacrev(_rosenbrock))(x), _rosenbrock_hessian(x), rtol=1e-12)
    np.testing.assert_allclose(jacfwd(grad(_rosenbrock))(x), _rosenbrock_hessian(x), rtol=1e-12)


def test_jacfwd_equals_jacrev_on_non_square_maps():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(3, 5))

    def f(x, y):
        return {"u": np.tanh(a @ x) * np.sum(y ** 2), "v": np.cumprod(x[:3]) + y[0, :3]}
    x, y = rng.normal(size=5), rng.normal(size=(2, 3))
    jf, jr = jacfwd(f, argnums=(0, 1))(x, y), jacrev(f, argnums=(0, 1))(x, y)
    for key, shape in (("u", (3,)), ("v", (3,))):
        for k, arg in enumerate((x, y)):
            assert jf[key][k].shape == shape + arg.shape
            np.testing.assert_allclose(jf[key][k], jr[key][k], rtol=1e-12, atol=1e-14)
    # against finite differences, column by column
    for i in range(5):
        e = np.zeros(5)
        e[i] = 1e-6
        fd = (f(x + e, y)["u"] - f(x - e, y)["u"]) / 2e-6
        np.testing.assert_allclose(jr["u"][0][:, i], fd, rtol=1e-6, atol=1e-9)


def test_jacobian_shapes_and_dtypes():
    f = lambda x: np.outer(x, x)[:, :2]   # noqa: E731
    x = np.arange(3, dtype=np.float32)
    jr, jf = jacrev(f)(x), jacfwd(f)(x)
    assert jr.shape == jf.shape == (3, 2, 3) and jr.dtype == jf.dtype == np.float32
    np.testing.assert_allclose(jr, jf)
    assert jacrev(np.sin)(0.5) == np.cos(0.5)


def test_jacobian_has_aux():
    jac, aux = jacrev(lambda x: (x ** 2, x.sum()), has_aux=True)(np.array([1.0, 2.0]))
    assert np.allclose(jac, np.diag([2.0, 4.0])) and aux == 3.0


def test_grad_of_logsumexp_is_softmax_even_for_large_inputs():
    x = np.array([1000.0, 1001.0, -5.0])
    np.testing.assert_allclose(grad(logsumexp)(x), softmax(x), rtol=1e-12)
    jac = jacrev(softmax)(x)
    s = softmax(x)
    np.testing.assert_allclose(jac, np.diag(s) - np.outer(s, s), atol=1e-15)
    assert np.all(np.isfinite(grad(lambda v: np.sum(log_softmax(v) * [1.0, 0.0, 0.0]))(x)))


def test_vmap_of_grad_and_grad_of_vmap():
    f = lambda w, x: np.sum(np.tanh(x @ w))   # noqa: E731
    w, xs = np.linspace(-1, 1, 6).reshape(3, 2), np.linspace(0, 1, 12).reshape(4, 3)
    per_example = vmap(grad(f), in_axes=(None, 0))(w, xs)
    expected = np.stack([grad(f)(w, x) for x in xs])
    np.testing.assert_allclose(per_example, expected, rtol=1e-12)
    np.testing.assert_allclose(grad(lambda w: np.sum(vmap(f, in_axes=(None, 0))(w, xs)))(w),
                               expected.sum(0), rtol=1e-12)


def test_jit_of_grad_and_grad_of_jit():
    f = lambda w, x: np.sum(np.tanh(x @ w) ** 2)   # noqa: E731
    w, x = np.linspace(-1, 1, 6).reshape(3, 2), np.linspace(0, 1, 12).reshape(4, 3)
    want = grad(f)(w, x)
    np.testing.assert_allclose(jit(grad(f))(w, x), want, rtol=1e-12)
    np.testing.assert_allclose(grad(jit(f))(w, x), want, rtol=1e-12)
    # the reference backend: this checks the rewritten graph, not a kernel compiler
    h = hessian(lambda v: f(v.reshape(3, 2), x))
    np.testing.assert_allclose(jit(h, backend="numpy")(w.reshape(-1)), h(w.reshape(-1)), rtol=1e-12)
