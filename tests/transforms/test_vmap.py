"""vmap's user-facing behaviour: axes specs, pytrees, nesting, axis_size, errors, and that
it batches whole operations instead of looping over examples."""
import numpy as np
import pytest

from tracer import ConcretizationError, TransformError, at, make_graph
from transforms import vmap

RNG = np.random.default_rng(0)


def _loop(f, *args, in_axes, out_axis=0):
    """The reference: f applied example by example, stacked along `out_axis`."""
    size = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = [f(*[a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)])
            for i in range(size)]
    return np.stack(outs, axis=out_axis)


def _mlp_layer(w, b, x):
    return np.tanh(x @ w + b)


def test_in_axes_int_none_and_negative():
    w, b = RNG.normal(size=(4, 3)), RNG.normal(size=3)
    xs = RNG.normal(size=(4, 6))     # examples along the last axis
    got = vmap(_mlp_layer, in_axes=(None, None, -1))(w, b, xs)
    np.testing.assert_allclose(got, _loop(_mlp_layer, w, b, xs, in_axes=(None, None, 1)))
    assert got.shape == (6, 3)


def test_in_axes_and_out_axes_one():
    x = RNG.normal(size=(3, 5, 4)).astype(np.float32)

    def f(v):
        return np.cumsum(v, axis=0) * 2.0 - np.max(v, axis=1, keepdims=True)
    got = vmap(f, in_axes=1, out_axes=1)(x)
    want = _loop(f, x, in_axes=(1,), out_axis=1)
    assert got.dtype == np.float32 and got.shape == want.shape == (3, 5, 4)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_out_axes_negative():
    x = RNG.normal(size=(5, 2, 3))
    got = vmap(lambda v: v.T, out_axes=-1)(x)
    assert got.shape == (3, 2, 5)
    np.testing.assert_array_equal(got, np.stack([v.T for v in x], axis=-1))


def test_nested_vmap():
    x = RNG.normal(size=(3, 4, 5))

    def f(v):   # one row of 5
        return np.sum(np.sin(v) * v) / np.linalg.norm(v)
    got = vmap(vmap(f))(x)
    want = np.array([[f(row) for row in mat] for mat in x])
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_nested_vmap_closing_over_the_outer_example():
    xs, ys = RNG.normal(size=4), RNG.normal(size=(3, 2))
    got = vmap(lambda x: vmap(lambda y: x * y + np.sum(y))(ys))(xs)
    want = xs[:, None, None] * ys[None] + ys.sum(1)[None, :, None]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_nested_vmap_on_different_axes_gives_an_outer_product():
    a, b = RNG.normal(size=(3, 4)), RNG.normal(size=(5, 4))
    dot = vmap(vmap(np.dot, in_axes=(None, 0)), in_axes=(0, None))
    np.testing.assert_allclose(dot(a, b), a @ b.T, rtol=1e-12)


def test_pytree_arguments_with_none_axes_and_prefix_specs():
    params = {"w": RNG.normal(size=(6, 4, 3)), "b": RNG.normal(size=3)}   # per-example w
    x = RNG.normal(size=4)

    def f(p, v):
        return {"out": _mlp_layer(p["w"], p["b"], v), "norm": np.sum(p["w"] ** 2)}
    got = vmap(f, in_axes=({"w": 0, "b": None}, None))(params, x)
    assert set(got) == {"out", "norm"}
    want_out = np.stack([_mlp_layer(w, params["b"], x) for w in params["w"]])
    np.testing.assert_allclose(got["out"], want_out, rtol=1e-12)
    np.testing.assert_allclose(got["norm"], (params["w"] ** 2).sum(axis=(1, 2)), rtol=1e-12)


def test_tuple_prefix_covers_a_whole_subtree():
    pair = (RNG.normal(size=(2, 5)), [RNG.normal(size=(2, 5)), RNG.normal(size=(2,))])
    got = vmap(lambda t: t[0] * t[1][0] + t[1][1], in_axes=(0,))(pair)
    np.testing.assert_allclose(got, pair[0] * pair[1][0] + pair[1][1][:, None])


def test_out_axes_as_a_pytree_prefix_and_none_for_unbatched_outputs():
    x = RNG.normal(size=(4, 3))
    scale = np.float32(2.5)

    def f(v, s):
        return (v * 2, {"sum": np.sum(v), "scale": s * 1.0})
    a, d = vmap(f, in_axes=(0, None), out_axes=(1, {"sum": 0, "scale": None}))(x, scale)
    np.testing.assert_allclose(a, (x * 2).T)
    np.testing.assert_allclose(d["sum"], x.sum(1))
    assert np.ndim(d["scale"]) == 0 and float(d["scale"]) == 2.5


def test_axis_size_broadcasts_outputs_when_nothing_is_mapped():
    x = np.arange(3.0, dtype=np.float32)
    got = vmap(lambda v: v * 2, in_axes=None, axis_size=4)(x)
    assert got.shape == (4, 3) and got.dtype == np.float32
    np.testing.assert_array_equal(got, np.broadcast_to(x * 2, (4, 3)))
    got[0, 0] = 1.0     # the user's own array, not a read-only broadcast view


def test_outputs_never_alias_the_inputs():
    xs = np.arange(6.0).reshape(2, 3)
    for out in (vmap(lambda v: v)(xs), vmap(lambda v: v, in_axes=1)(xs), vmap(lambda v: v[1:])(xs)):
        out[...] = -1.0
    np.testing.assert_array_equal(xs, np.arange(6.0).reshape(2, 3))


def test_constant_and_unbatched_outputs_are_broadcast():
    xs = RNG.normal(size=(5, 2))
    shared = RNG.normal(size=3)
    c, s = vmap(lambda v, w: (1.5, w + 1), in_axes=(0, None))(xs, shared)
    np.testing.assert_array_equal(c, np.full(5, 1.5))
    np.testing.assert_array_equal(s, np.broadcast_to(shared + 1, (5, 3)))


def test_keyword_arguments_are_mapped_over_axis_zero():
    xs, ys = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    got = vmap(lambda x, *, y: np.dot(x, y))(xs, y=ys)
    np.testing.assert_allclose(got, np.einsum("ij,ij->i", xs, ys))


def test_dtypes_follow_numpy_per_example():
    ints = np.arange(12).reshape(4, 3)
    halves = vmap(lambda v: v / 2)(ints)
    assert halves.dtype == np.float64
    f32 = np.ones((4, 3), np.float32)
    assert vmap(lambda v: v * 3.0 + 1)(f32).dtype == np.float32
    assert vmap(lambda v: np.sum(v > 0))(f32).dtype == np.sum(np.ones(3) > 0).dtype


def test_indexing_with_batched_indices_and_functional_updates():
    xs = RNG.normal(size=(4, 6))
    idx = np.array([[0, 5], [1, 1], [2, 3], [5, 4]])
    np.testing.assert_array_equal(vmap(lambda x, i: x[i])(xs, idx),
                                  np.take_along_axis(xs, idx, axis=1))
    got = vmap(lambda x, i: at(x)[i].add(1.0))(xs, idx)
    want = xs.copy()
    for row, i in zip(want, idx):
        np.add.at(row, i, 1.0)
    np.testing.assert_allclose(got, want)


def test_random_draws_with_one_key_per_example():
    from tracer import random
    keys = random.split(random.key(7), 4)
    got = vmap(lambda k: random.normal(k, (3,)))(keys)
    np.testing.assert_array_equal(got, np.stack([random.normal(k, (3,)) for k in keys]))
    shared = vmap(lambda x, k: x + random.uniform(k, (2,)), in_axes=(0, None))(
        np.zeros((3, 2)), keys[0])
    np.testing.assert_array_equal(shared, np.broadcast_to(random.uniform(keys[0], (2,)), (3, 2)))


def test_closure_over_an_array_is_unbatched():
    table = RNG.normal(size=(3, 3))
    xs = RNG.normal(size=(5, 3))
    np.testing.assert_allclose(vmap(lambda v: table @ v)(xs), xs @ table.T)


def test_shapes_are_static_inside():
    xs = RNG.normal(size=(5, 3, 2))

    def f(v):
        assert v.shape == (3, 2)     # the function sees one example
        return v.reshape(v.shape[0] * v.shape[1])
    assert vmap(f)(xs).shape == (5, 6)


def test_a_matmul_is_one_batched_op_whatever_the_batch_size():
    w = RNG.normal(size=(4, 3))

    def ops_for(size):
        graph = make_graph(vmap(lambda x: np.tanh(x @ w)))(RNG.normal(size=(size, 4)))
        return [op.prim.name for op in graph.ops]
    assert ops_for(2) == ops_for(50)
    assert ops_for(50).count("dot_general") == 1


def test_python_control_flow_on_a_batched_value_raises():
    with pytest.raises(ConcretizationError, match="np.where") as info:
        vmap(lambda v: v if v > 0 else -v)(np.arange(3.0))
    assert "test_vmap.py" in str(info.value)
    np.testing.assert_array_equal(vmap(lambda v: np.where(v > 0, v, -v))(np.arange(-1.0, 2.0)),
                                  [1.0, 0.0, 1.0])


# --- errors -------------------------------------------------------------------------------
def test_mismatched_sizes_name_the_arguments_and_sizes():
    with pytest.raises(TransformError) as info:
        vmap(lambda a, b: a + b)(np.ones((3, 2)), {"k": np.ones((4, 2))})
    msg = str(info.value)
    assert "argument 0 has size 3" in msg and "argument 1['k'] has size 4" in msg


def test_axis_size_disagreeing_with_the_arguments():
    with pytest.raises(TransformError, match="axis_size=5"):
        vmap(lambda a: a, axis_size=5)(np.ones((3, 2)))


def test_batch_axis_out_of_range():
    with pytest.raises(TransformError, match=r"axis 2 of argument 0, which is f64\[3,4\]"):
        vmap(lambda a: a, in_axes=2)(np.ones((3, 4)))
    with pytest.raises(TransformError, match="0 axes"):
        vmap(lambda a, s: a * s, in_axes=(0, 0))(np.ones(3), 2.0)


def test_in_axes_not_matching_the_arguments():
    with pytest.raises(TransformError, match="2 entries but the function was called with 3"):
        vmap(lambda a, b, c: a, in_axes=(0, 0))(np.ones(2), np.ones(2), np.ones(2))
    with pytest.raises(TransformError, match=r"keys \['b', 'w'\].*keys \['w'\]"):
        vmap(lambda p: p["w"], in_axes=({"w": 0, "b": None},))({"w": np.ones(2)})
    with pytest.raises(TransformError, match="only ints and None"):
        vmap(lambda a: a, in_axes=(1.5,))
    with pytest.raises(TransformError, match="one entry per positional argument"):
        vmap(lambda a: a, in_axes={"w": 0})(np.ones(2))


def test_nothing_mapped_without_axis_size():
    with pytest.raises(TransformError, match="axis_size"):
        vmap(lambda a: a, in_axes=None)(np.ones(3))


def test_out_axes_none_for_a_batched_output():
    with pytest.raises(TransformError, match="out_axes is None for output"):
        vmap(lambda a: a * 2, out_axes=None)(np.ones((3, 2)))


def test_out_axes_out_of_range():
    with pytest.raises(TransformError, match="out_axes asks for axis 3"):
        vmap(lambda a: a * 2, out_axes=3)(np.ones((3, 2)))
