"""custom_vjp: user-defined reverse-mode derivatives under grad, nested grad, jit and vmap."""
from __future__ import annotations

import numpy as np
import pytest

from tracer import TransformError, make_graph
from transforms import custom_vjp, grad, jacfwd, jacrev, jit, jvp, vjp, vmap


@custom_vjp
def clip_gradient(x):
    return x


def _clip_fwd(x):
    return x, None


def _clip_bwd(_, g):
    return (np.clip(g, -1.0, 1.0),)


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


@custom_vjp
def softplus(x):
    """log(1 + exp(x)): its naive gradient exp(x) / (1 + exp(x)) is nan for large x."""
    return np.logaddexp(0.0, x)


def _softplus_fwd(x):
    return softplus(x), x


def _softplus_bwd(x, g):
    return (g * (0.5 * (np.tanh(x / 2) + 1)),)    # the sigmoid, finite everywhere


softplus.defvjp(_softplus_fwd, _softplus_bwd)


def test_clipped_gradient():
    x = np.array([0.5, -2.0, 3.0])
    np.testing.assert_array_equal(grad(lambda x: np.sum(clip_gradient(x) * 3.0))(x), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(grad(lambda x: np.sum(clip_gradient(x) * 0.5))(x), [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(clip_gradient(x), x)      # eagerly: just the function


def test_numerically_stable_gradient():
    x = np.array([1000.0, 0.0, -1000.0])
    g = grad(lambda x: np.sum(softplus(x)))(x)
    np.testing.assert_allclose(g, [1.0, 0.5, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = grad(lambda x: np.sum(np.log(1 + np.exp(x))))(x)
    assert np.isnan(naive[0])    # what the custom rule avoids


def test_nested_grad_differentiates_through_fwd_and_bwd():
    x = 0.7
    s = 1 / (1 + np.exp(-x))
    assert np.isclose(grad(softplus)(x), s)
    assert np.isclose(grad(grad(softplus))(x), s * (1 - s))
    assert np.isclose(grad(grad(grad(softplus)))(x), s * (1 - s) * (1 - 2 * s))


def test_pytree_arguments_and_outputs():
    @custom_vjp
    def scaled(params, x):
        return {"y": params["a"] * x, "z": np.sum(x)}

    def fwd(params, x):
        return scaled(params, x), (params["a"], x)

    def bwd(res, ct):
        a, x = res
        return {"a": np.sum(ct["y"] * x) * 10.0}, None     # marked: x gets zero

    scaled.defvjp(fwd, bwd)
    p, x = {"a": np.float64(2.0)}, np.array([1.0, 2.0])
    gp, gx = grad(lambda p, x: np.sum(scaled(p, x)["y"]) + scaled(p, x)["z"], argnums=(0, 1))(p, x)
    assert np.isclose(gp["a"], 30.0) and np.array_equal(gx, [0.0, 0.0])
    out, f_vjp = vjp(scaled, p, x)
    assert np.allclose(out["y"], [2.0, 4.0])


def test_printable():
    text = repr(make_graph(lambda x: np.sum(softplus(x) * 2.0))(np.ones(3)))
    assert "custom_vjp_call" in text and "_softplus_fwd/_softplus_bwd" in text
    assert "max" in text     # the sub-graph (logaddexp) is printed inside the op


def test_under_jit_and_vmap():
    x = np.array([1000.0, 0.0, -1000.0])
    f = lambda x: np.sum(softplus(x))    # noqa: E731
    np.testing.assert_allclose(jit(grad(f))(x), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(vmap(grad(softplus))(x), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(vmap(softplus)(x), softplus(x))
    # grad of vmap keeps the custom rule, and sums the cotangent of an unbatched argument
    xs = np.array([0.5, -2.0, 3.0])
    g = grad(lambda w: np.sum(vmap(lambda a, b: clip_gradient(a * b), in_axes=(0, None))(xs, w) * 3))(2.0)
    assert np.isclose(g, np.sum(xs))
    np.testing.assert_allclose(jacrev(lambda x: clip_gradient(x) * 3.0)(xs), np.eye(3))


def test_errors():
    with pytest.raises(TransformError, match="forward-mode"):
        jvp(softplus, (1.0,), (1.0,))
    with pytest.raises(TransformError, match="forward-mode"):
        jacfwd(lambda x: softplus(x))(np.ones(2))

    @custom_vjp
    def f(x, y):
        return x * y
    with pytest.raises(TransformError, match="defvjp"):
        grad(f)(1.0, 2.0)
    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g * res[1],))    # one cotangent, two args
    with pytest.raises(TransformError, match="one cotangent per argument"):
        grad(f)(1.0, 2.0)



def _closing_over(w):
    @custom_vjp
    def h(x):
        return x * w
    h.defvjp(lambda x: (x * w, None), lambda _, ct: (ct * w,))
    return h


def test_closures():
    # the closed-over w is a constant of the inner grad; the outer grad differentiates bwd
    assert grad(lambda w: grad(_closing_over(w))(1.0))(2.0) == 1.0
    # but the custom rule cannot give the cotangent of a closed-over differentiated value
    with pytest.raises(TransformError, match="closes over"):
        grad(lambda w: _closing_over(w)(w + 1.0))(2.0)
