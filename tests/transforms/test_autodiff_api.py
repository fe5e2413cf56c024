"""The autodiff entry points: grad, value_and_grad, vjp, jvp, linearize: pytrees,
argnums, has_aux, dtypes, closures and nesting, Python control flow, errors, and the
rewritten graph."""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pytest

from tracer import (ConcretizationError, TransformError, make_graph, register_dataclass)
from transforms import grad, jvp, value_and_grad, vjp
from transforms.autodiff import linearize

from tests.cases import central_difference


def test_grad_of_python_float_is_float64_scalar():
    g = grad(np.tanh)(0.3)
    assert np.ndim(g) == 0 and np.asarray(g).dtype == np.float64
    assert np.isclose(g, 1 - np.tanh(0.3) ** 2)


def test_float32_stays_float32_and_float64_stays_float64():
    f = lambda x, y: np.sum(np.sin(x) * y)   # noqa: E731
    x32, y64 = np.linspace(0, 1, 4, dtype=np.float32), np.linspace(1, 2, 4)
    gx, gy = grad(f, argnums=(0, 1))(x32, y64)
    assert gx.dtype == np.float32 and gy.dtype == np.float64
    value, g = value_and_grad(lambda x: np.sum(x * x))(x32)
    assert np.asarray(value).dtype == np.float32 and g.dtype == np.float32


def test_python_scalars_stay_weak():
    """x * 2.0 with a float32 w is float32, as in NumPy; the Python float's gradient is a float64."""
    value, (gx, gw) = value_and_grad(lambda x, w: np.sum(x * 2.0 * w), argnums=(0, 1))(
        0.5, np.ones(3, np.float32))
    assert np.asarray(value).dtype == np.float32
    assert np.asarray(gx).dtype == np.float64 and gw.dtype == np.float32
    assert np.isclose(gx, 6.0) and np.allclose(gw, 1.0)


def test_grad_higher_order_of_tanh():
    t = np.tanh(0.3)
    d1, d2 = 1 - t ** 2, -2 * t * (1 - t ** 2)
    d3 = -2 * (1 - t ** 2) ** 2 + 4 * t ** 2 * (1 - t ** 2)
    assert np.isclose(grad(grad(np.tanh))(0.3), d2)
    assert np.isclose(grad(grad(grad(np.tanh)))(0.3), d3)
    assert np.isclose(grad(np.tanh)(0.3), d1)


def test_inputs_that_do_not_matter_get_exact_zeros():
    g = grad(lambda x, y, z: np.sum(x * 2.0), argnums=(0, 1, 2))(
        np.ones(3), np.ones((2, 2), np.float32), 1.5)
    assert np.array_equal(g[0], [2.0, 2.0, 2.0])
    assert g[1].shape == (2, 2) and g[1].dtype == np.float32 and not np.any(g[1])
    assert np.shape(g[2]) == () and g[2] == 0.0


def test_constant_output_has_zero_gradient():
    assert grad(lambda x: 3.0)(np.float64(2.0)) == 0.0


# --- pytrees, argnums, has_aux -----------------------------------------------------------
@register_dataclass
@dataclass
class Linear:
    w: np.ndarray
    b: np.ndarray


Pair = namedtuple("Pair", "first second")


def test_pytrees_of_dicts_lists_tuples_dataclasses_namedtuples():
    params = {"layers": [Linear(np.ones((3, 2)), np.zeros(2)),
                         (np.full(2, 0.5), Pair(np.float64(2.0), 3.0))]}

    def loss(p, x):
        lin = p["layers"][0]
        scale, pair = p["layers"][1]
        return np.sum(np.tanh(x @ lin.w + lin.b) * scale) * pair.first + pair.second

    x = np.linspace(-1, 1, 6).reshape(2, 3)
    g = grad(loss)(params, x)
    assert isinstance(g["layers"][0], Linear) and isinstance(g["layers"][1][1], Pair)
    flat_value = lambda w: loss({"layers": [Linear(w.reshape(3, 2), np.zeros(2)),  # noqa: E731
                                           (np.full(2, 0.5), Pair(2.0, 3.0))]}, x)
    np.testing.assert_allclose(g["layers"][0].w, central_difference(flat_value, np.ones(6)).reshape(3, 2),
                               rtol=1e-6, atol=1e-9)
    assert np.isclose(g["layers"][1][1].second, 1.0)
    assert np.isclose(g["layers"][1][1].first, loss(params, x) - 3.0)


def test_argnums_int_tuple_and_negative():
    f = lambda a, b, c: np.sum(a * b ** 2 * c)   # noqa: E731
    a, b, c = np.ones(2), np.full(2, 2.0), np.full(2, 3.0)
    assert np.allclose(grad(f, argnums=1)(a, b, c), 2 * b * a * c)
    ga, gc = grad(f, argnums=(0, 2))(a, b, c)
    assert np.allclose(ga, b ** 2 * c) and np.allclose(gc, a * b ** 2)
    assert np.allclose(grad(f, argnums=-1)(a, b, c), a * b ** 2)
    (gb,) = grad(f, argnums=(1,))(a, b, c)
    assert np.allclose(gb, 2 * b * a * c)


def test_integer_arguments_outside_argnums_are_fine():
    f = lambda x, idx: np.sum(x[idx] ** 2)   # noqa: E731
    g = grad(f)(np.arange(4.0), np.array([1, 3, 3]))
    assert np.allclose(g, [0, 2, 0, 12])


def test_has_aux():
    def loss(x):
        y = np.sin(x)
        return np.sum(y), {"y": y, "n": 3}
    x = np.linspace(0, 1, 3)
    g, aux = grad(loss, has_aux=True)(x)
    assert np.allclose(g, np.cos(x)) and np.allclose(aux["y"], np.sin(x)) and aux["n"] == 3
    (value, aux2), g2 = value_and_grad(loss, has_aux=True)(x)
    assert np.isclose(value, np.sum(np.sin(x))) and np.allclose(g2, g)
    assert isinstance(aux2["y"], np.ndarray)


def test_keyword_arguments_pass_through():
    g = grad(lambda x, scale=1.0: np.sum(x) * scale)(np.ones(2), scale=3.0)
    assert np.allclose(g, 3.0)


# --- vjp, jvp, linearize -----------------------------------------------------------------
def test_vjp_returns_a_tuple_per_primal():
    f = lambda x, y: (x * y, np.sin(x))   # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    out, f_vjp = vjp(f, x, y)
    assert np.allclose(out[0], x * y) and np.allclose(out[1], np.sin(x))
    dx, dy = f_vjp((np.ones(2), np.full(2, 2.0)))
    assert np.allclose(dx, y + 2 * np.cos(x)) and np.allclose(dy, x)
    dx2, dy2 = f_vjp((np.zeros(2), np.ones(2)))   # f_vjp can be called again
    assert np.allclose(dx2, np.cos(x)) and np.allclose(dy2, 0)


def test_vjp_has_aux():
    out, f_vjp, aux = vjp(lambda x: (x ** 2, x + 1), np.float64(3.0), has_aux=True)
    assert out == 9.0 and aux == 4.0 and f_vjp(1.0)[0] == 6.0


def test_jvp_and_linearize():
    f = lambda x: {"a": np.exp(x), "b": np.sum(x ** 2)}   # noqa: E731
    x, t = np.array([0.0, 1.0]), np.array([1.0, 0.5])
    out, t_out = jvp(f, (x,), (t,))
    assert np.allclose(out["a"], np.exp(x)) and np.allclose(t_out["a"], np.exp(x) * t)
    assert np.isclose(t_out["b"], np.sum(2 * x * t))
    out2, f_jvp = linearize(f, x)
    assert np.allclose(f_jvp(t)["a"], t_out["a"]) and np.isclose(f_jvp(2 * t)["b"], 2 * t_out["b"])


def test_jvp_of_output_independent_of_input_is_zero_of_its_type():
    out, t = jvp(lambda x: (x, np.ones(3, np.float32)), (np.float64(1.0),), (np.float64(2.0),))
    assert t[0] == 2.0 and t[1].dtype == np.float32 and not np.any(t[1])


# --- closures, nesting, control flow -----------------------------------------------------
def test_closure_over_outer_traced_value():
    assert grad(lambda x: grad(lambda y: x * y)(1.0))(2.0) == 1.0


def test_perturbation_confusion():
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1, not 2
    assert grad(lambda x: x * grad(lambda y: x + y)(1.0))(2.0) == 1.0
    # d/dx [x * d/dy (x * y)]|_{y=1} = d/dx x**2 = 2x
    assert grad(lambda x: x * grad(lambda y: x * y)(1.0))(3.0) == 6.0
    # Siskind & Pearlmutter: d/dx (x * (d/dy x + y)|y=x) ... with shared names
    f = lambda x: grad(lambda y: np.sin(x * y))(x)   # noqa: E731   # x cos(x**2)
    x = 0.7
    assert np.isclose(grad(f)(x), np.cos(x * x) - 2 * x * x * np.sin(x * x))


def test_perturbation_confusion_in_forward_mode():
    inner = lambda x: jvp(lambda y: x + y, (1.0,), (1.0,))[1]   # noqa: E731   # 1
    assert jvp(lambda x: x * inner(x), (2.0,), (1.0,))[1] == 1.0
    assert grad(lambda x: jvp(np.sin, (x,), (1.0,))[1])(0.5) == -np.sin(0.5)


def test_nested_grad_of_closure_over_array():
    w = np.array([1.0, -2.0])
    hess_diag = grad(lambda x: np.sum(grad(lambda z: np.sum(w * z ** 3))(x)))(np.array([0.5, 1.0]))
    assert np.allclose(hess_diag, 6 * w * np.array([0.5, 1.0]))


def test_python_control_flow_on_values():
    def f(x):
        total = 0.0
        while x < 10:                     # a loop whose trip count depends on x
            x = x * 2
            total = total + x
        if np.sum(total) > 20:
            return total * 3
        return total
    # x=3: 6, 12 -> total 18 = 6x, not > 20  -> grad 6
    assert np.isclose(grad(f)(3.0), 6.0)
    # x=4: 8, 16 -> total 24 = 6x > 20 -> 3 * 6
    assert np.isclose(grad(f)(4.0), 18.0)


def test_retraced_every_call_so_rebound_closures_are_seen():
    scale = 2.0
    g = grad(lambda x: x * scale)
    assert g(1.0) == 2.0
    scale = 5.0
    assert g(1.0) == 5.0


def test_control_flow_under_abstract_trace_raises_concretization_error():
    def f(x):
        return x if x > 0 else -x
    with pytest.raises(ConcretizationError):
        make_graph(grad(f))(1.0)


# --- errors ---------------------------------------------------------------------------------
def test_grad_of_non_scalar_output_names_the_shape():
    with pytest.raises(TransformError, match=r"scalar.*f64\[3\]"):
        grad(lambda x: x * 2)(np.ones(3))


def test_grad_with_respect_to_integer_argument_names_it():
    with pytest.raises(TransformError, match=r"argument 1.*int64"):
        grad(lambda x, n: x * n, argnums=(0, 1))(1.0, np.int64(3))
    with pytest.raises(TransformError, match=r"argument 0\['b'\].*bool"):
        grad(lambda d: np.sum(d["a"]))({"a": np.ones(2), "b": np.array([True])})
    with pytest.raises(TransformError, match="argument 0"):
        grad(lambda n: n * 1.0)(3)


def test_bad_argnums_and_has_aux():
    with pytest.raises(TransformError, match="argnums"):
        grad(lambda x: x, argnums=2)(1.0)
    with pytest.raises(TransformError, match="argnums"):
        grad(lambda x: x, argnums="0")(1.0)
    with pytest.raises(TransformError, match="pair"):
        grad(lambda x: x, has_aux=True)(1.0)


def test_vjp_cotangent_must_match_output():
    _, f_vjp = vjp(lambda x: x * 2, np.ones(3))
    with pytest.raises(TransformError, match="shape"):
        f_vjp(np.ones(4))


# --- the rewritten graph --------------------------------------------------------------------
def test_make_graph_of_grad_prints_a_small_graph():
    def f(x, w):
        return np.sum(np.tanh(x @ w) ** 2)
    x, w = np.ones((4, 3), np.float32), np.ones((3, 2), np.float32)
    graph = make_graph(grad(f, argnums=1))(x, w)
    text = repr(graph)
    assert "tanh" in text and text.count("dot_general") == 2    # forward and dW
    assert len(graph.ops) <= 8, text     # forward 2, backward 5 (mul 2 d, 1 - d*d, mul, dot)
    assert graph.out_types[0].shape == (3, 2) and str(graph.out_types[0]) == "f32[3,2]"
