"""vmap composed with grad and jit, in every order: per-example gradients, gradients of
batched functions, and compiled batched gradients all agree with plain loops."""
import numpy as np
import pytest

from tracer import make_graph, tree_map
from transforms import grad, jit, value_and_grad, vmap

RNG = np.random.default_rng(1)


def _init(sizes=(5, 8, 3)):
    return {"w1": RNG.normal(size=sizes[:2]) / 2, "b1": RNG.normal(size=sizes[1]) / 4,
            "w2": RNG.normal(size=sizes[1:]) / 2, "b2": RNG.normal(size=sizes[2]) / 4}


def _loss(params, x, y):
    """Cross-entropy of a 2-layer MLP on one example (x: features, y: one-hot)."""
    h = np.tanh(x @ params["w1"] + params["b1"])
    logits = h @ params["w2"] + params["b2"]
    shifted = logits - np.max(logits)
    return -np.sum(y * (shifted - np.log(np.sum(np.exp(shifted)))))


def _data(n=6, classes=3):
    xs = RNG.normal(size=(n, 5))
    ys = np.eye(classes)[RNG.integers(0, classes, n)]
    return xs, ys


def _stack_trees(trees):
    return tree_map(lambda *leaves: np.stack(leaves), *trees)


def _assert_trees_close(got, want, rtol=1e-10):
    tree_map(lambda g, w: np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-12), got, want)


def test_per_example_gradients_equal_the_loop():
    params, (xs, ys) = _init(), _data()
    got = vmap(grad(_loss), in_axes=(None, 0, 0))(params, xs, ys)
    want = _stack_trees([grad(_loss)(params, x, y) for x, y in zip(xs, ys)])
    assert {k: v.shape for k, v in got.items()} == {k: (6,) + v.shape for k, v in params.items()}
    _assert_trees_close(got, want)


def test_per_example_value_and_grad():
    params, (xs, ys) = _init(), _data()
    values, grads = vmap(value_and_grad(_loss), in_axes=(None, 0, 0))(params, xs, ys)
    np.testing.assert_allclose(values, [_loss(params, x, y) for x, y in zip(xs, ys)], rtol=1e-12)
    _assert_trees_close(grads, _stack_trees([grad(_loss)(params, x, y) for x, y in zip(xs, ys)]))


def test_gradient_of_a_batched_function():
    params, (xs, ys) = _init(), _data()

    def batch_loss(p):
        return np.mean(vmap(_loss, in_axes=(None, 0, 0))(p, xs, ys))
    want = tree_map(lambda g: g.mean(0), vmap(grad(_loss), in_axes=(None, 0, 0))(params, xs, ys))
    _assert_trees_close(grad(batch_loss)(params), want)


def test_jit_of_vmap_of_grad_equals_eager():
    params, (xs, ys) = _init(), _data()
    per_example = vmap(grad(_loss), in_axes=(None, 0, 0))
    _assert_trees_close(jit(per_example)(params, xs, ys), per_example(params, xs, ys))


def test_vmap_of_jit_equals_the_loop():
    xs = RNG.normal(size=(4, 3, 2)).astype(np.float32)

    @jit
    def f(m):
        return np.sum(np.exp(m) @ m.T, axis=0)
    got = vmap(f)(xs)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.stack([f(m) for m in xs]), rtol=1e-5)


def test_hessian_diagonal_by_vmap_over_basis_vectors():
    x = RNG.normal(size=4)

    def f(v):
        return np.sum(np.sin(v) * v ** 2)
    hvp = vmap(lambda e: grad(lambda v: np.dot(grad(f)(v), e))(x))
    want = np.diag(2 * np.sin(x) + 4 * x * np.cos(x) - x ** 2 * np.sin(x))
    np.testing.assert_allclose(hvp(np.eye(4)), want, rtol=1e-10, atol=1e-12)


def test_per_example_gradient_graph_has_no_loop_over_examples():
    params, (xs, ys) = _init(), _data()

    def ops_for(n):
        graph = make_graph(vmap(grad(_loss), in_axes=(None, 0, 0)))(params, xs[:n], ys[:n])
        return sorted(op.prim.name for op in graph.ops)
    assert ops_for(2) == ops_for(6)


@pytest.mark.parametrize("size", [1, 5])
def test_jit_of_vmap_for_several_batch_sizes(size):
    xs = RNG.normal(size=(size, 3))
    f = jit(vmap(lambda v: np.tanh(v) * 2.0))
    np.testing.assert_allclose(f(xs), np.tanh(xs) * 2.0, rtol=1e-12)
