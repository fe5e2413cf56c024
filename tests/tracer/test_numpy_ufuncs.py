"""NumPy ufuncs, operators and dtype promotion on traced arrays, against NumPy itself."""
import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.tracer.numpy_check import DTYPES, assert_traces_like_numpy, sample

# ufunc -> (lo, hi) of the inputs: inside its domain for floats and for integers
POSITIVE, UNIT, ANY = (0.5, 3.0), (-0.9, 0.9), (-3.0, 3.0)
UNARY = {
    np.negative: ANY, np.positive: ANY, np.exp: ANY, np.exp2: ANY, np.log: POSITIVE,
    np.log2: POSITIVE, np.log10: POSITIVE, np.log1p: POSITIVE, np.expm1: ANY,
    np.sqrt: POSITIVE, np.cbrt: ANY, np.square: ANY, np.reciprocal: ANY, np.sin: ANY,
    np.cos: ANY, np.tan: (-1.2, 1.2), np.arcsin: UNIT, np.arccos: UNIT, np.arctan: ANY,
    np.sinh: ANY, np.cosh: ANY, np.tanh: ANY, np.arcsinh: ANY, np.arccosh: (1.1, 4.0),
    np.arctanh: UNIT, np.abs: ANY, np.fabs: ANY, np.sign: ANY, np.floor: ANY, np.ceil: ANY,
    np.rint: ANY, np.logical_not: ANY, np.isnan: ANY, np.isfinite: ANY, np.isinf: ANY,
    np.deg2rad: ANY, np.rad2deg: ANY, np.invert: ANY, scipy.special.expit: ANY,
    scipy.special.erf: ANY,
}
BINARY = {
    np.add: (ANY, ANY), np.subtract: (ANY, ANY), np.multiply: (ANY, ANY),
    np.divide: (ANY, (0.5, 3.0)), np.floor_divide: (ANY, (1.0, 3.0)),
    np.mod: (ANY, (1.0, 3.0)), np.power: (POSITIVE, (0.0, 3.0)), np.maximum: (ANY, ANY),
    np.minimum: (ANY, ANY), np.fmax: (ANY, ANY), np.fmin: (ANY, ANY),
    np.arctan2: (ANY, ANY), np.hypot: (ANY, ANY), np.logaddexp: (ANY, ANY),
    np.logaddexp2: (ANY, ANY), np.equal: (ANY, ANY), np.not_equal: (ANY, ANY),
    np.less: (ANY, ANY), np.less_equal: (ANY, ANY), np.greater: (ANY, ANY),
    np.greater_equal: (ANY, ANY), np.logical_and: (ANY, ANY), np.logical_or: (ANY, ANY),
    np.logical_xor: (ANY, ANY), np.bitwise_and: (ANY, ANY), np.bitwise_or: (ANY, ANY),
    np.bitwise_xor: (ANY, ANY),
}
INTEGER_ONLY = {np.invert, np.bitwise_and, np.bitwise_or, np.bitwise_xor}


def _name(f):
    return getattr(f, "__name__", str(f))


def _accepts(ufunc, dtype) -> bool:
    return np.dtype(dtype).kind in "iub" or ufunc not in INTEGER_ONLY


def _negated(lo_hi):
    """Divisors of both signs: mirror a positive range."""
    lo, hi = lo_hi
    return lo_hi if lo <= 0 else (-hi, hi)


def _pairs(ufuncs, dtypes, undefined_on_bool):
    """(ufunc, dtype) pairs NumPy has a loop for."""
    return [pytest.param(u, d, id=f"{_name(u)}-{np.dtype(d).name}") for u in ufuncs for d in dtypes
            if _accepts(u, d) and not (d == np.bool_ and u in undefined_on_bool)]


@pytest.mark.parametrize("ufunc,dtype", _pairs(UNARY, DTYPES + (np.int32, np.bool_),
                                                (np.negative, np.positive, np.sign)))
def test_unary_ufunc(ufunc, dtype):
    lo, hi = UNARY[ufunc]
    for shape in [(), (3, 4), (2, 1, 3)]:
        x = sample(shape, dtype, lo, hi)
        if np.dtype(dtype).kind in "iu" and ufunc is np.reciprocal:
            x[x == 0] = 1   # integer 1 / 0 is undefined
        with np.errstate(all="ignore"):
            assert_traces_like_numpy(ufunc, x, min_ops=0 if ufunc is np.positive else 1)


def test_unary_ufuncs_on_nonfinite_values():
    x = np.array([0.5, np.nan, np.inf, -np.inf, -0.0], np.float32)
    for ufunc in (np.isnan, np.isinf, np.isfinite, np.sign, np.abs, np.exp, np.floor):
        assert_traces_like_numpy(ufunc, x)


@pytest.mark.parametrize("ufunc,dtype", _pairs(BINARY, DTYPES + (np.bool_,), (
    np.subtract, np.power, np.floor_divide, np.mod, np.divide)))
def test_binary_ufunc_broadcasting(ufunc, dtype):
    (xlo, xhi), (ylo, yhi) = BINARY[ufunc]
    x = sample((3, 1), dtype, xlo, xhi)
    y = sample((4,), dtype, *_negated((ylo, yhi)) if ufunc is not np.power else (ylo, yhi), seed=1)
    if np.dtype(dtype).kind != "b" and ufunc in (np.floor_divide, np.mod, np.divide):
        y[np.abs(y) < 0.5] = 1
    with np.errstate(all="ignore"):
        assert_traces_like_numpy(ufunc, x, y)
        assert_traces_like_numpy(lambda a: ufunc(a, y[:1]), x)          # scalar-like operand


# pairs of operands whose result dtype follows NumPy 2 promotion (Python scalars weak)
PROMOTIONS = [
    (np.ones(3, np.float32), 2.0),                 # stays float32
    (np.ones(3, np.float32), 2),
    (np.ones(3, np.int32), 2.5),                   # int32 * 2.5 -> float64
    (np.ones(3, np.int32), 2),                     # stays int32
    (np.ones(3, np.float32), np.float64(2.0)),     # NumPy scalars are strong
    (np.ones(3, np.float32), np.ones(3, np.int64)),
    (np.ones(3, np.int8), np.ones(3, np.uint8)),
    (np.ones(3, np.float16), np.ones(3, np.float32)),
    (np.ones(3, np.bool_), 3),
    (np.ones(3, np.bool_), np.ones(3, np.bool_)),
    (2.0, np.ones(3, np.float32)),
    (np.ones(3, np.uint8), 3),
]


@pytest.mark.parametrize("x,y", PROMOTIONS, ids=lambda v: type(v).__name__ if np.ndim(v) == 0
                         else str(np.asarray(v).dtype))
@pytest.mark.parametrize("op", [np.add, np.multiply, np.true_divide, np.maximum, np.less],
                         ids=_name)
def test_dtype_promotion(op, x, y):
    if isinstance(x, np.ndarray):
        assert_traces_like_numpy(lambda a: op(a, y), x)      # y captured as a constant
    if isinstance(y, np.ndarray):
        assert_traces_like_numpy(lambda b: op(x, b), y)
    assert_traces_like_numpy(op, x, y)                       # both traced, scalars too


OPERATORS = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "truediv": lambda x, y: x / y, "floordiv": lambda x, y: x // y, "mod": lambda x, y: x % y,
    "pow": lambda x, y: abs(x) ** y, "lt": lambda x, y: x < y, "le": lambda x, y: x <= y,
    "gt": lambda x, y: x > y, "ge": lambda x, y: x >= y, "eq": lambda x, y: x == y,
    "ne": lambda x, y: x != y,
}
BITWISE = {"and": lambda x, y: x & y, "or": lambda x, y: x | y, "xor": lambda x, y: x ^ y}
SCALARS = {"py_int": 3, "py_float": 2.5, "np_f32": np.float32(1.5), "np_i64": np.int64(2)}


def _nonzero(dtype, shape, seed=0):
    x = sample(shape, dtype, 1, 3, seed=seed)
    return x * np.where(np.arange(x.size).reshape(shape) % 2, 1, -1).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(OPERATORS))
def test_operators_on_two_tracers_and_reflected(name, dtype):
    op = OPERATORS[name]
    x, y = _nonzero(dtype, (2, 3)), _nonzero(dtype, (3,), seed=1)
    if name == "pow" and np.dtype(dtype).kind == "i":
        y = np.abs(y)
    assert_traces_like_numpy(op, x, y)
    assert_traces_like_numpy(lambda b: op(x, b), y)      # NumPy array on the left
    for s in SCALARS.values():
        if name == "pow" and isinstance(s, (int, np.integer)) and np.dtype(dtype).kind == "i":
            continue
        assert_traces_like_numpy(lambda a: op(a, s), x)
        assert_traces_like_numpy(lambda b: op(s, b), y if name != "pow" else np.abs(y) + 1)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(BITWISE))
def test_bitwise_operators(name, dtype):
    op = BITWISE[name]
    x, y = sample((2, 3), dtype, -5, 5), sample((3,), dtype, -5, 5, seed=3)
    assert_traces_like_numpy(op, x, y)
    assert_traces_like_numpy(lambda b: op(x, b), y)
    s = True if dtype == np.bool_ else 6
    assert_traces_like_numpy(lambda a: op(a, s), x)
    assert_traces_like_numpy(lambda b: op(s, b), y)
    assert_traces_like_numpy(lambda a: ~a, x)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_unary_operators_and_matmul(dtype):
    x, w = sample((2, 3), dtype), sample((3, 4), dtype, seed=2)
    assert_traces_like_numpy(lambda a: -a, x)
    assert_traces_like_numpy(lambda a: abs(a), x)
    assert_traces_like_numpy(lambda a: +a * 1, x)
    assert_traces_like_numpy(lambda a, b: a @ b, x, w)
    assert_traces_like_numpy(lambda b: x @ b, w)             # ndarray @ tracer
    assert_traces_like_numpy(lambda a: a @ w, x)


def test_inplace_operators_are_functional():
    def f(x):
        x += 1
        x *= 2.0
        x -= x / 4
        x **= 2
        return x
    assert_traces_like_numpy(f, sample((2, 3), np.float32))

    def g(x):
        x //= 2
        x %= 3
        x |= 4
        return x
    assert_traces_like_numpy(g, sample((4,), np.int64, -9, 9))


def test_ufunc_dtype_keyword():
    x = sample((3,), np.int32)
    assert_traces_like_numpy(lambda a: np.add(a, 1, dtype=np.float32), x)
    assert_traces_like_numpy(lambda a: np.exp(a, dtype=np.float32), x)


@settings(max_examples=25, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       op=st.sampled_from([np.add, np.multiply, np.maximum, np.arctan2, np.greater]),
       dtypes=st.tuples(*[st.sampled_from([np.float32, np.float64, np.int32, np.int64])] * 2))
def test_binary_broadcasting_property(shapes, op, dtypes):
    x = sample(shapes.input_shapes[0], dtypes[0])
    y = sample(shapes.input_shapes[1], dtypes[1], seed=5)
    assert_traces_like_numpy(op, x, y)
