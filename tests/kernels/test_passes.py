import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tracer import REGISTRY, Const, Graph, Op, Var, ShapeError, eval_graph, make_graph
from tracer.types import ArrayType
from kernels.passes import (algebraic_simplification, common_subexpression_elimination,
                            constant_folding, dead_code_elimination, simplify,
                            unit_contraction_to_multiply)

F32, F64, I32 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int32)


class _Build:
    """Builds graphs op by op (tracing would already fold or drop some of the patterns)."""

    def __init__(self, *in_types):
        self.inputs = [Var(ArrayType(s, d)) for s, d in in_types]
        self.ops = []

    def __call__(self, name, *inputs, **params):
        prim = REGISTRY[name]
        inputs = tuple(v if isinstance(v, Var) else Const(v) for v in inputs)
        outs = prim.infer(*[v.aval for v in inputs], **params)
        outs = tuple(Var(a) for a in (outs if prim.multiple_results else [outs]))
        self.ops.append(Op(prim, inputs, outs, params))
        return outs if prim.multiple_results else outs[0]

    def graph(self, *outputs):
        return Graph(tuple(self.inputs), tuple(self.ops), tuple(outputs))


def _prims(graph):
    return [op.prim.name for op in graph.ops]


def _assert_same(before, after, *args):
    """Same values, dtypes and shapes on `args` (signed zeros and NaNs included)."""
    for a, b in zip(eval_graph(before, args), eval_graph(after, args)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
        if a.dtype.kind == "f":
            assert np.array_equal(np.signbit(a), np.signbit(b))
    assert [v.aval for v in before.outputs] == [v.aval for v in after.outputs]


X32 = np.array([[-0.0, 1.5, -2.0], [3.0, np.nan, 0.0]], np.float32)
XI = np.array([[1, -2, 3], [4, 5, -6]], np.int32)


def test_dead_code_elimination_drops_unused_ops():
    b = _Build(((2, 3), F32))
    x, = b.inputs
    used = b("exp", x)
    b("sin", x)
    b("cos", b("neg", x))
    g = b.graph(used)
    out = dead_code_elimination(g)
    assert _prims(g) == ["exp", "sin", "neg", "cos"] and _prims(out) == ["exp"]
    _assert_same(g, out, X32)
    assert dead_code_elimination(out) is out


def test_cse_merges_same_prim_inputs_and_params_only():
    def f(x):
        a = np.sin(x) + np.sin(x)
        b = np.sum(x, axis=0) * np.sum(x, axis=0) + np.sum(x, axis=1)[0]
        return a * 2, a * 2.0, b, x * 0.0 + x * -0.0
    g = make_graph(f)(X32)
    out = common_subexpression_elimination(g)
    assert _prims(g).count("sin") == 2 and _prims(out).count("sin") == 1
    assert _prims(out).count("reduce_sum") == 2        # axes (0,) twice merged, (1,) kept
    muls = [op for op in out.ops if op.prim.name == "mul"]
    assert len(muls) == 5       # a*2 and a*2.0 differ (int vs float), 0.0 vs -0.0 too
    _assert_same(g, out, X32)
    assert common_subexpression_elimination(out) is out


def test_constant_folding_runs_constant_ops_and_keeps_types():
    b = _Build(((2, 3), I32), ((2, 3), F32))
    xi, xf = b.inputs
    five = b("add", 2, 3)                       # weak int: folds to a Python int
    y = b("add", xi, five)                      # stays int32
    table = b("exp", np.arange(6.0).reshape(2, 3))   # an array constant
    z = b("mul", xf, b("convert", table, dtype=F32))
    big = b("broadcast_to", np.float32(1), shape=(100, 100))   # too big to materialise
    g = b.graph(y, z, big)
    out = constant_folding(g)
    assert _prims(out) == ["add", "mul", "broadcast_to"]
    assert out.ops[0].inputs[1].value == 5 and type(out.ops[0].inputs[1].value) is int
    folded = out.ops[1].inputs[1]
    assert isinstance(folded, Const) and folded.aval == ArrayType((2, 3), F32)
    _assert_same(g, out, XI, X32)
    assert eval_graph(out, [XI, X32])[0].dtype == np.int32


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_constant_folding_to_a_constant_output_without_warnings():
    b = _Build(((3,), F64))
    x, = b.inputs
    c = b("reduce_sum", np.ones((4, 4)), axes=(0, 1))
    d = b("floor_divide", np.array([1, 2]), np.array([0, 1]))   # warns: still folded, silently
    g = b.graph(b("mul", x, c), c, d)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = constant_folding(g)
    assert _prims(out) == ["mul"] and isinstance(out.outputs[1], Const)
    _assert_same(g, out, np.array([1.0, -2.0, 3.0]))


@pytest.mark.parametrize("name, const, x, removed", [
    ("mul", 1, X32, True),                       # f32 * weak 1 -> f32
    ("mul", np.float32(1), X32, True),
    ("mul", np.float64(1), X32, False),          # strong f64 promotes: must stay
    ("mul", 1.0, XI, False),                     # int * 1.0 is float64
    ("mul", 1, XI, True),
    ("div", 1, X32, True),
    ("div", 1, XI, False),                       # true division makes float64
    ("add", 0, XI, True),                        # int32 + weak 0 keeps int32
    ("add", 0, X32, False),                      # -0.0 + 0 is +0.0
    ("add", -0.0, X32, True),
    ("sub", 0, X32, True),
    ("sub", -0.0, X32, False),                   # -0.0 - (-0.0) is +0.0
    ("sub", 0, XI, True),
    ("mul", 2, X32, False),
    ("add", np.zeros((4, 2, 3), np.float32) - 0.0 * 0, XI, False),  # broadcasts the shape
])
def test_identities_only_when_types_and_values_are_unchanged(name, const, x, removed):
    b = _Build((x.shape, x.dtype))
    xv, = b.inputs
    g = b.graph(b(name, xv, const))
    out = algebraic_simplification(g)
    assert (len(out.ops) == 0) == removed, (name, const, x.dtype)
    _assert_same(g, out, x)


def test_identities_with_the_constant_first():
    b = _Build(((2, 3), F32))
    x, = b.inputs
    g = b.graph(b("mul", 1, x), b("add", -0.0, x), b("add", 0.0, x))
    out = algebraic_simplification(g)
    assert _prims(out) == ["add"] and out.outputs[:2] == (x, x)
    _assert_same(g, out, X32)


def test_shape_ops_collapse():
    x3 = np.arange(24.0).reshape(2, 3, 4)
    b = _Build((x3.shape, F64))
    x, = b.inputs
    back = b("transpose", b("transpose", x, perm=(1, 0, 2)), perm=(1, 0, 2))
    twice = b("transpose", b("transpose", x, perm=(1, 2, 0)), perm=(1, 2, 0))
    r = b("reshape", b("reshape", x, shape=(6, 4)), shape=(4, 6))
    r_back = b("reshape", b("reshape", x, shape=(24,)), shape=(2, 3, 4))
    bc = b("broadcast_to", b("broadcast_to", x, shape=(1, 2, 3, 4)), shape=(5, 2, 3, 4))
    same = b("broadcast_to", b("convert", b("transpose", x, perm=(0, 1, 2)), dtype=F64),
             shape=(2, 3, 4))
    nn = b("neg", b("neg", x))
    g = b.graph(back, twice, r, r_back, bc, same, nn)
    out = simplify(g)
    assert sorted(_prims(out)) == ["broadcast_to", "reshape", "transpose"]
    assert out.outputs[0] is x and out.outputs[3] is x and out.outputs[5] is x
    assert out.outputs[6] is x
    assert next(op for op in out.ops if op.prim.name == "transpose").params["perm"] == (2, 0, 1)
    _assert_same(g, out, x3)


def test_convert_of_a_weak_value_is_kept():
    b = _Build()
    c = b("add", 1.5, 1.0)        # weak f64: convert makes it strong, which changes promotion
    g = b.graph(b("convert", c, dtype=F64))
    out = algebraic_simplification(g)
    assert _prims(out) == ["add", "convert"]
    assert np.asarray(eval_graph(out, [])[0]).dtype == np.float64


def test_select_on_a_constant_condition():
    b = _Build(((2, 3), F32), ((2, 3), F32))
    x, y = b.inputs
    g = b.graph(b("select", True, x, y), b("select", np.zeros((2, 3), bool), x, y),
                b("select", np.array([True, False, True]), x, y),
                b("select", True, x, 2.0))    # f32 vs weak float: f32, same as x
    out = algebraic_simplification(g)
    assert _prims(out) == ["select"]
    assert out.outputs[0] is x and out.outputs[1] is y and out.outputs[3] is x
    _assert_same(g, out, X32, -X32)


def test_simplify_reaches_a_fixed_point_and_keeps_results():
    def f(x, y):
        a = (x * 1).T.T
        s = np.sum(a, axis=0) + np.sum(x * 1, axis=0)
        return np.where(True, s, 0.0) / 1, -(-(y - 0))
    x = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    y = np.arange(5, dtype=np.int64)
    g = make_graph(f)(x, y)
    out = simplify(g)
    assert _prims(out) == ["reduce_sum", "add"]
    assert out.outputs[1] is out.inputs[1]
    _assert_same(g, out, x, y)
    assert simplify(out) is out


def test_passes_recurse_into_subgraphs_and_keep_other_params():
    cond = REGISTRY["cond"]
    branch_b = _Build(((3,), F32))
    bx, = branch_b.inputs
    branch = branch_b.graph(b_out := branch_b("add", branch_b("mul", bx, 1), branch_b("add", 2, 3)))
    other_b = _Build(((3,), F32))
    other = other_b.graph(other_b("neg", other_b.inputs[0]))
    b = _Build(((), np.dtype(bool)), ((3,), F32))
    p, x = b.inputs
    (out_var,) = b("cond", p, x, true_branch=branch, false_branch=other)
    g = b.graph(out_var)
    out = simplify(g)
    new_branch = out.ops[0].params["true_branch"]
    assert _prims(branch) == ["mul", "add", "add"] and _prims(new_branch) == ["add"]
    assert out.ops[0].params["false_branch"] is other
    assert out.ops[0].prim is cond and b_out is not None
    xs = np.array([1.0, -2.0, 3.0], np.float32)
    for flag in (True, False):
        _assert_same(g, out, np.bool_(flag), xs)


_CONSTS = [0, 1, 2, 0.0, -0.0, 1.0, True, np.float32(1), np.float32(-0.0), np.int32(0),
           np.ones(3, np.float32), np.array([True, False, True])]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_simplify_keeps_values_and_types_of_random_expressions(data):
    """Random chains of element-wise and shape ops over inputs and identity-like constants."""
    dtypes = st.sampled_from([np.float32, np.float64, np.int32, np.int64])
    b = _Build(((2, 3), np.dtype(data.draw(dtypes))), ((3,), np.dtype(data.draw(dtypes))))
    values = list(b.inputs)
    for _ in range(data.draw(st.integers(1, 8))):
        name = data.draw(st.sampled_from(["add", "sub", "mul", "div", "neg", "select",
                                          "convert", "transpose", "reshape"]))
        pick = st.sampled_from(values)
        operand = st.one_of(pick, st.sampled_from(_CONSTS))
        try:
            if name == "neg":
                values.append(b(name, data.draw(pick)))
            elif name == "select":
                values.append(b(name, data.draw(st.sampled_from([True, False, _CONSTS[-1]])),
                                data.draw(operand), data.draw(operand)))
            elif name == "convert":
                values.append(b(name, data.draw(pick), dtype=np.dtype(data.draw(dtypes))))
            elif name in ("transpose", "reshape"):
                x = data.draw(pick)
                params = ({"perm": tuple(reversed(range(x.aval.ndim)))} if name == "transpose"
                          else {"shape": tuple(reversed(x.aval.shape))})
                values.append(b(name, x, **params))
            else:
                values.append(b(name, data.draw(operand), data.draw(operand)))
        except (ShapeError, TypeError):
            pass        # no NumPy loop for these dtypes: infer refused it before recording
    g = b.graph(*values[2:]) if len(values) > 2 else b.graph(values[0])
    out = simplify(g)
    assert len(out.ops) <= len(g.ops)
    args = (np.array([[-0.0, 1.5, -2.0], [3.0, np.nan, 0.0]]).astype(b.inputs[0].aval.dtype)
            if b.inputs[0].aval.dtype.kind == "f" else XI.astype(b.inputs[0].aval.dtype),
            np.array([0.0, -1.0, 2.5]).astype(b.inputs[1].aval.dtype))
    with np.errstate(all="ignore"):
        _assert_same(g, out, *args)


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 2, 2)])
def test_transpose_of_transpose_composes_the_permutations(shape):
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    b = _Build((shape, F32))
    y = b("transpose", b("transpose", b.inputs[0], perm=(1, 0, 2)), perm=(0, 2, 1))
    g = b.graph(y)
    out = dead_code_elimination(algebraic_simplification(g))
    assert _prims(out) == ["transpose"] and out.ops[0].params["perm"] == (1, 2, 0)
    _assert_same(g, out, x)


# --- dot_general over a contracted size of 1 -> broadcasted mul ---------------------------

def _random(shape, dtype, rng):
    """Values of `dtype` without zeros (a product of size-1 contraction is then the same
    bits from matmul and mul: no signed-zero sums), ints small enough never to overflow."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind in "iu":
        return rng.integers(1, 9, shape).astype(dtype)
    values = rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape)
    if dtype.kind == "c":
        values = values + 1j * rng.uniform(0.5, 2.0, shape)
    return values.astype(dtype)


def _dot_graph(x_shape, y_shape, contract, batch, x_dtype=F64, y_dtype=F64):
    b = _Build((x_shape, np.dtype(x_dtype)), (y_shape, np.dtype(y_dtype)))
    return b.graph(b("dot_general", *b.inputs, contract=contract, batch=batch))


def _assert_rewritten_equal(g, out, seed=0):
    """`out` has no dot_general, the same output types, and the same values on random
    inputs (exactly: a product over one term rounds once either way)."""
    assert "dot_general" not in _prims(out)
    assert [v.aval for v in out.outputs] == [v.aval for v in g.outputs]
    for op in out.ops:      # every op's recorded type is what its primitive infers
        assert op.prim.infer(*[v.aval for v in op.inputs], **op.params) == op.outputs[0].aval
    rng = np.random.default_rng(seed)
    args = [_random(v.aval.shape, v.aval.dtype, rng) for v in g.inputs]
    for want, got in zip(eval_graph(g, args), eval_graph(out, args)):
        want, got = np.asarray(want), np.asarray(got)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


# the last column: whether an operand's axes of size above 1 must move (a transpose)
@pytest.mark.parametrize("x_shape, y_shape, contract, batch, moves", [
    ((3,), (4,), ((), ()), ((), ()), False),                        # np.outer
    ((2, 3), (4, 5), ((), ()), ((), ()), False),                    # outer of matrices
    ((), (4,), ((), ()), ((), ()), False),                          # a 0-d operand
    ((0, 3), (0, 4), ((), ()), ((0,), (0,)), False),                # an empty result
    ((5, 3), (5, 4), ((), ()), ((0,), (0,)), False),                # per-example outer product
    ((3, 5), (4, 5), ((), ()), ((1,), (1,)), True),                 # batch axes last
    ((3, 5), (5, 4), ((), ()), ((1,), (0,)), True),                 # batch axes elsewhere
    ((3, 5, 2), (2, 4, 5), ((), ()), ((1, 2), (2, 0)), True),       # two batch axes, reordered
    ((3, 1), (1, 4), ((1,), (0,)), ((), ()), False),                # matmul with k = 1
    ((6, 1, 3), (6, 1, 4), ((1,), (1,)), ((0,), (0,)), False),      # what vmap(grad) records
    ((1, 3, 1), (1, 1, 4), ((0, 2), (1, 0)), ((), ()), False),      # two size-1 contractions
    ((2, 1, 3), (4, 1, 2), ((1,), (1,)), ((0,), (2,)), True),       # batch, contract, free mixed
    ((1, 3), (1, 1), ((0,), (1,)), ((), ()), False),                # size-1 free axes too
    ((3, 1), (1, 4), ((), ()), ((1,), (0,)), False),                # only a size-1 axis moves
])
def test_unit_contractions_become_a_multiply(x_shape, y_shape, contract, batch, moves):
    g = _dot_graph(x_shape, y_shape, contract, batch)
    out = unit_contraction_to_multiply(g)
    assert _prims(out)[-1] == "mul" and out.outputs == g.outputs
    assert ("transpose" in _prims(out)) == moves
    _assert_rewritten_equal(g, out)


@pytest.mark.parametrize("x_dtype, y_dtype", [
    (F32, F32), (F32, F64), (I32, F32), (np.int64, F64), (I32, I32), (np.int8, np.uint8),
    (bool, bool), (bool, F32), (np.complex64, F32), (np.uint16, np.int16),
])
def test_unit_contractions_keep_the_promoted_dtype(x_dtype, y_dtype):
    g = _dot_graph((5, 3, 1), (1, 5, 4), ((2,), (0,)), ((0,), (1,)), x_dtype, y_dtype)
    assert g.outputs[0].aval.dtype == np.result_type(x_dtype, y_dtype)
    _assert_rewritten_equal(g, unit_contraction_to_multiply(g))


def test_unit_contraction_with_a_python_scalar_operand_keeps_its_type():
    b = _Build(((3, 2), F32))
    x, = b.inputs
    g = b.graph(b("dot_general", 2, x, contract=((), ()), batch=((), ())),      # weak int
                b("dot_general", x, 1.5, contract=((), ()), batch=((), ())))    # weak float
    out = unit_contraction_to_multiply(g)
    assert "dot_general" not in _prims(out)
    assert [str(v.aval) for v in out.outputs] == [str(v.aval) for v in g.outputs] == [
        "f32[3,2]", "f32[3,2]"]
    # against NumPy itself: the reference dot_general takes np.asarray(2), an int64 array
    xv = _random((3, 2), F32, np.random.default_rng(0))
    for got, want in zip(eval_graph(out, [xv]), (2 * xv, xv * 1.5)):
        assert got.dtype == want.dtype == np.float32
        np.testing.assert_array_equal(got, want)


def test_unit_contraction_is_left_alone_where_mul_would_change_the_type():
    b = _Build()
    g = b.graph(b("dot_general", True, False, contract=((), ()), batch=((), ())))
    assert g.outputs[0].aval.weak      # bool * bool is a strong bool: the type would change
    assert unit_contraction_to_multiply(g) is g


@pytest.mark.parametrize("x_shape, y_shape, contract, batch", [
    ((3, 2), (2, 4), ((1,), (0,)), ((), ())),                   # k = 2: a real product
    ((5, 3, 2), (5, 2, 4), ((2,), (1,)), ((0,), (0,))),
    ((3, 0), (0, 4), ((1,), (0,)), ((), ())),                   # k = 0: zeros, not a product
    ((3, 1, 2), (2, 1, 4), ((1, 2), (1, 0)), ((), ())),         # sizes 1 and 2: k = 2
])
def test_other_contractions_are_left_alone(x_shape, y_shape, contract, batch):
    g = _dot_graph(x_shape, y_shape, contract, batch)
    assert unit_contraction_to_multiply(g) is g


def test_simplify_turns_per_example_outer_products_into_one_multiply():
    def per_example(x, y, w):
        return np.einsum("bi,bj->bij", x, y), np.outer(x[0], w), x @ w.reshape(1, -1)[:, :3]
    rng = np.random.default_rng(1)
    x, y, w = rng.normal(size=(6, 1)), rng.normal(size=(6, 4)), rng.normal(size=(3,))
    g = make_graph(per_example)(x, y, w)
    assert _prims(g).count("dot_general") == 3
    out = simplify(g)
    assert "dot_general" not in _prims(out) and _prims(out).count("mul") == 3
    _assert_same(g, out, x, y, w)
    assert simplify(out) is out


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_random_unit_contractions_keep_values_and_types(data):
    """Batch, free and size-1 contracted axes in random numbers, sizes and positions."""
    n_batch, n_xfree, n_yfree, n_contract = (data.draw(st.integers(0, 2)) for _ in range(4))
    size = st.integers(1, 3)
    batch_sizes = [data.draw(size) for _ in range(n_batch)]
    x_axes = ([("b", i) for i in range(n_batch)] + [("f", data.draw(size)) for _ in range(n_xfree)]
              + [("c", i) for i in range(n_contract)])
    y_axes = ([("b", i) for i in range(n_batch)] + [("f", data.draw(size)) for _ in range(n_yfree)]
              + [("c", i) for i in range(n_contract)])
    x_axes, y_axes = data.draw(st.permutations(x_axes)), data.draw(st.permutations(y_axes))

    def shape(axes):
        return tuple(batch_sizes[i] if k == "b" else 1 if k == "c" else i for k, i in axes)

    def where(axes, kind, n):
        return tuple(axes.index((kind, i)) for i in range(n))
    contract = (where(x_axes, "c", n_contract), where(y_axes, "c", n_contract))
    batch = (where(x_axes, "b", n_batch), where(y_axes, "b", n_batch))
    dtypes = st.sampled_from([F32, F64, I32, np.int64, np.dtype(bool)])
    g = _dot_graph(shape(x_axes), shape(y_axes), contract, batch, data.draw(dtypes),
                   data.draw(dtypes))
    _assert_rewritten_equal(g, simplify(g), seed=data.draw(st.integers(0, 99)))
