"""The choices the derivative rules make where derivatives are delicate: zeros in
products, ties, kinks, duplicate scatter indices, branches, symbolic zeros."""
from __future__ import annotations

import numpy as np

from tracer import REGISTRY, Const, make_graph
from transforms import grad, jacfwd, jacrev


def _cumprod_jacobian(x):
    n = len(x)
    jac = np.zeros((n, n))
    for k in range(n):
        for i in range(k + 1):
            jac[k, i] = np.prod([x[j] for j in range(k + 1) if j != i])
    return jac


def test_cumprod_is_exact_with_zeros():
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0, 1.5, -1.0, 0.5, 2.0])
    want = _cumprod_jacobian(x)
    np.testing.assert_array_equal(jacrev(np.cumprod)(x), want)
    np.testing.assert_array_equal(jacfwd(np.cumprod)(x), want)
    y = np.stack([x, x[::-1]])
    jac = jacrev(lambda y: np.cumprod(y, axis=1))(y)
    np.testing.assert_array_equal(jac[1, :, 1, :], _cumprod_jacobian(x[::-1]))
    assert not np.any(jac[0, :, 1, :])


def test_prod_is_exact_with_zeros():
    np.testing.assert_array_equal(grad(np.prod)(np.array([2.0, 0.0, 3.0])), [0.0, 6.0, 0.0])
    np.testing.assert_array_equal(grad(np.prod)(np.array([2.0, 0.0, 0.0])), [0.0, 0.0, 0.0])
    x = np.array([[1.0, 2.0], [0.0, 4.0], [5.0, 6.0]])
    np.testing.assert_array_equal(grad(lambda x: np.sum(np.prod(x, axis=0)))(x),
                                  [[0.0, 24.0], [5.0, 12.0], [0.0, 8.0]])
    # second derivative through the exclusive products: d2/dx0dx1 of x0*x1*x2 = x2
    assert np.isclose(jacrev(grad(np.prod))(np.array([0.0, 0.0, 3.0]))[0, 1], 3.0)


def test_max_min_ties_split_the_gradient():
    gx, gy = grad(lambda x, y: np.maximum(x, y), argnums=(0, 1))(1.0, 1.0)
    assert gx == gy == 0.5
    gx, gy = grad(lambda x, y: np.minimum(x, y), argnums=(0, 1))(2.0, 1.0)
    assert (gx, gy) == (0.0, 1.0)
    np.testing.assert_array_equal(grad(np.max)(np.array([1.0, 3.0, 3.0, 2.0])), [0, 0.5, 0.5, 0])
    np.testing.assert_array_equal(grad(lambda x: np.sum(np.maximum(x, 0)))(np.array([-1.0, 0.0, 2.0])),
                                  [0.0, 0.5, 1.0])


def test_kinks_abs_sign_and_pow_at_zero():
    assert grad(np.abs)(0.0) == 0.0 and grad(np.abs)(-2.0) == -1.0
    assert grad(np.sign)(0.5) == 0.0
    assert grad(lambda x: x ** 0.0)(0.0) == 0.0
    assert grad(lambda x: x ** 2)(0.0) == 0.0
    assert grad(lambda y: 0.0 ** y, argnums=0)(2.0) == 0.0      # no log(0) * 0 = nan
    assert np.isclose(grad(lambda y: 2.0 ** y)(3.0), 8 * np.log(2))


def test_select_passes_the_gradient_only_through_the_chosen_branch():
    x = np.array([-2.0, 0.5, 3.0])
    g = grad(lambda x: np.sum(np.where(x > 0, x ** 2, 3 * x)))(x)
    np.testing.assert_array_equal(g, [3.0, 1.0, 6.0])


def test_scatter_set_duplicates_give_the_last_write_the_gradient():
    idx = np.array([1, 3, 1, 1])
    f = lambda x, u: REGISTRY["scatter"].bind(x, idx, u, axis=0, mode="set")   # noqa: E731
    x, u = np.arange(5.0), np.array([10.0, 20.0, 30.0, 40.0])
    assert f(x, u)[1] == 40.0
    jx, ju = jacrev(f, argnums=(0, 1))(x, u)
    np.testing.assert_array_equal(np.diag(jx), [1, 0, 1, 0, 1])
    np.testing.assert_array_equal(ju[1], [0, 0, 0, 1])
    np.testing.assert_array_equal(ju[3], [0, 1, 0, 0])


def test_scatter_mul_is_exact_with_zeros_and_duplicates():
    idx = np.array([1, 3, 1, 1])
    f = lambda u: REGISTRY["scatter"].bind(np.full(5, 2.0), idx, u, axis=0, mode="mul")  # noqa: E731
    for u in (np.array([0.0, 2.0, 3.0, 4.0]), np.array([0.0, 2.0, 3.0, 0.0]),
              np.array([1.5, 2.0, 3.0, 4.0])):
        want = np.zeros((5, 4))
        for k, i in enumerate(idx):
            want[i, k] = 2.0 * np.prod([u[j] for j in range(4) if idx[j] == i and j != k])
        np.testing.assert_allclose(jacrev(f)(u), want, rtol=1e-15)
        np.testing.assert_allclose(jacfwd(f)(u), want, rtol=1e-15)


def test_cummax_sends_the_gradient_to_the_running_maximum():
    x = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    np.testing.assert_array_equal(grad(lambda x: np.sum(np.maximum.accumulate(x)))(x),
                                  [1.0, 2.0, 0.0, 2.0, 0.0])


def test_symbolic_zeros_make_no_work():
    def f(x, y, n):
        return np.sum(np.sin(x)) + 0 * np.sum(n)
    graph = make_graph(grad(f, argnums=(0, 1)))(np.ones(3), np.ones((2, 2)), np.arange(3))
    zero_out = graph.outputs[1]
    assert isinstance(zero_out, Const) and zero_out.aval.shape == (2, 2) and not np.any(zero_out.value)
    # the seed cotangent's ones are not multiplied in: the whole gradient is one op
    assert [op.prim.name for op in graph.ops] == ["cos"], repr(graph)
