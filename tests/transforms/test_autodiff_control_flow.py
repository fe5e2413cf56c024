"""Derivatives through cond, while_loop, fori_loop and scan: eagerly (concrete values),
under an abstract trace (make_graph, as jit traces), nested, and against finite
differences."""
from __future__ import annotations

import numpy as np
import pytest

from tracer import TransformError, eval_graph, make_graph, tree_leaves
from tracer.control_flow import cond, fori_loop, scan, while_loop
from transforms import grad, hessian, jacfwd, jacrev, jvp, vmap

from tests.cases import central_difference


def traced(f):
    """f evaluated through its abstract trace (no concrete values, as under jit)."""
    return lambda *args: eval_graph(make_graph(f)(*args), tree_leaves(args))


def _branchy(x):
    return np.sum(cond(np.sum(x) > 0, lambda v: np.sin(v) * 2, lambda v: v ** 3, x))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cond(sign):
    x = sign * np.array([0.5, 1.0])
    want = 2 * np.cos(x) if sign > 0 else 3 * x ** 2
    np.testing.assert_allclose(grad(_branchy)(x), want, rtol=1e-12)
    np.testing.assert_allclose(traced(grad(_branchy))(x)[0], want, rtol=1e-12)
    t = np.array([1.0, -2.0])
    np.testing.assert_allclose(jvp(_branchy, (x,), (t,))[1], want @ t, rtol=1e-12)
    np.testing.assert_allclose(traced(lambda x: jvp(_branchy, (x,), (t,))[1])(x)[0], want @ t,
                               rtol=1e-12)
    np.testing.assert_allclose(hessian(_branchy)(x), np.diag(-2 * np.sin(x) if sign > 0 else 6 * x),
                               rtol=1e-12, atol=1e-15)


def _rnn(w, xs, h0=0.1):
    def step(h, x):
        h = np.tanh(w * h + x)
        return h, h ** 2
    h, ys = scan(step, h0, xs)
    return h + np.sum(ys)


def test_scan_against_finite_differences():
    w, xs = 0.7, np.linspace(-1, 1, 5)
    gw, gxs = grad(_rnn, argnums=(0, 1))(w, xs)
    assert np.isclose(gw, central_difference(lambda v: _rnn(v, xs), w), rtol=1e-7)
    np.testing.assert_allclose(gxs, central_difference(lambda v: _rnn(w, v), xs), rtol=1e-7)
    assert np.isclose(grad(_rnn, argnums=2)(w, xs, 0.3), central_difference(lambda v: _rnn(w, xs, v), 0.3), rtol=1e-7)
    assert np.isclose(traced(grad(_rnn))(w, xs)[0], gw, rtol=1e-12)
    assert np.isclose(jvp(_rnn, (w, xs), (1.0, np.zeros(5)))[1], gw, rtol=1e-12)
    np.testing.assert_allclose(jacfwd(_rnn, argnums=1)(w, xs), gxs, rtol=1e-12)
    assert np.isclose(grad(grad(_rnn))(w, xs), central_difference(lambda v: grad(_rnn)(v, xs), w, 1e-5), rtol=1e-6)


def test_scan_reverse_pytree_carry_constants_and_integers():
    a = np.array([0.5, -1.0, 2.0])

    def f(a, xs):
        def step(carry, x):
            n, (h, s) = carry
            h = h * x + a           # a: a closed-over constant of the body
            return (n + 1, (h, s + np.sum(h))), {"y": h * n}
        (n, (h, s)), ys = scan(step, (0, (np.zeros(3), 0.0)), xs, reverse=True)
        return np.sum(h) + s + np.sum(ys["y"])

    xs = np.linspace(0.5, 1.5, 4)
    ga, gx = grad(f, argnums=(0, 1))(a, xs)
    np.testing.assert_allclose(ga, central_difference(lambda v: f(v, xs), a), rtol=1e-7)
    np.testing.assert_allclose(gx, central_difference(lambda v: f(a, v), xs), rtol=1e-7)
    np.testing.assert_allclose(jacfwd(f, argnums=1)(a, xs), gx, rtol=1e-12)
    np.testing.assert_allclose(traced(grad(f, argnums=(0, 1)))(a, xs)[1], gx, rtol=1e-12)


def test_fori_loop_static_bounds_is_reverse_differentiable():
    f = lambda x: fori_loop(0, 4, lambda i, v: v * x + i, 1.0)   # noqa: E731  x^4 + x^2 + 2x + 3
    assert np.isclose(grad(f)(0.5), 4 * 0.5 ** 3 + 2 * 0.5 + 2)
    assert np.isclose(traced(grad(f))(0.5)[0], 3.5)


def _power_loop(x):
    return while_loop(lambda v: v[0] < 5, lambda v: (v[0] + 1, v[1] * x), (0, 1.0))[1]


def test_while_loop():
    assert np.isclose(grad(_power_loop)(1.1), 5 * 1.1 ** 4)
    assert np.isclose(grad(grad(_power_loop))(1.1), 20 * 1.1 ** 3)
    assert np.isclose(jvp(_power_loop, (1.1,), (1.0,))[1], 5 * 1.1 ** 4)
    assert np.isclose(traced(lambda x: jvp(_power_loop, (x,), (1.0,))[1])(1.1)[0], 5 * 1.1 ** 4)
    with pytest.raises(TransformError, match="while_loop"):
        traced(grad(_power_loop))(1.1)


def test_vmap_of_grad_through_scan():
    xs = np.linspace(-1, 1, 5)
    ws = np.array([0.2, 0.7, -0.4])
    np.testing.assert_allclose(vmap(grad(_rnn), in_axes=(0, None))(ws, xs),
                               [grad(_rnn)(w, xs) for w in ws], rtol=1e-12)
    np.testing.assert_allclose(jacrev(lambda w: np.stack([_rnn(w, xs), _rnn(2 * w, xs)]))(0.7),
                               [grad(_rnn)(0.7, xs), 2 * grad(_rnn)(1.4, xs)], rtol=1e-12)
