"""The tables behind `tests.cases`: per-operand samplers that stay inside each primitive's
smooth domain, operand specs, and one `Family` (samplers + layouts) per primitive."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracer import make_graph

__all__ = ["A", "S", "N", "Sub", "Family", "FAMILIES"]


# --- samplers: (rng, shape, dtype) -> array, or None where the dtype is not accepted ------
def _sampler(floats, ints=None, bools=None):
    def sample(rng, shape, dtype):
        kind = np.dtype(dtype).kind
        make = {"f": floats, "i": ints, "u": ints, "b": bools}.get(kind)
        return None if make is None else np.asarray(make(rng, shape)).astype(dtype)
    return sample


def _int_range(lo, hi):
    return lambda rng, shape: rng.integers(lo, hi + 1, shape)


def _random_sign(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1, 1)


def _uniform(lo, hi, ints=(-3, 3)):
    return _sampler(lambda rng, s: rng.uniform(lo, hi, s), ints and _int_range(*ints))


def _signed(lo, hi, ints=(1, 3)):
    """Magnitude in [lo, hi] with a random sign: away from zero."""
    return _sampler(lambda rng, s: _random_sign(rng, s) * rng.uniform(lo, hi, s),
                    ints and (lambda rng, s: _random_sign(rng, s) * _int_range(*ints)(rng, s)))


def _offgrid(frac, scale=1.0, ints=(-3, 3)):
    """scale * (k + u) with integer k and u in `frac`: away from multiples of `scale`."""
    return _sampler(lambda rng, s: scale * (rng.integers(-2, 2, s) + rng.uniform(*frac, s)),
                    ints and _int_range(*ints))


def _distinct_floats(rng, shape):
    size = int(np.prod(shape, dtype=np.int64))
    perm = rng.permutation(size) - size / 2
    return (0.5 * perm + rng.uniform(-0.1, 0.1, size)).reshape(shape)


def _distinct_ints(rng, shape):
    size = int(np.prod(shape, dtype=np.int64))
    return (rng.permutation(size) - size // 2).reshape(shape)


def _with_nonfinite(rng, shape):
    x = rng.uniform(-2, 2, shape)
    flat = x.reshape(-1)
    picks = rng.choice([np.nan, np.inf, -np.inf, 1.0], flat.size)
    flat[::2] = picks[::2]
    return flat.reshape(shape)


def _bools(rng, shape):
    return rng.random(shape) < 0.5


_ANY = _uniform(-2, 2)
_DISTINCT = _sampler(_distinct_floats, _distinct_ints)      # no ties: max/min/argmax/sort
_UNIT = _signed(0.5, 1.5, ints=(1, 2))                      # products stay moderate
_GRID = _sampler(lambda rng, s: 0.5 * rng.integers(-2, 3, s), _int_range(-2, 2), _bools)
_BITS = _sampler(None, _int_range(-4, 4), _bools)
_BOOL = _sampler(None, None, _bools)


# --- operand specs ----------------------------------------------------------------------
@dataclass(frozen=True)
class A:
    """An array from the operand's sampler; of the case's dtype unless `dtype` is given."""
    shape: tuple
    dtype: object = None


@dataclass(frozen=True)
class S:
    """A Python scalar (weakly typed) of the case's kind, or of `kind` (float, int)."""
    kind: type | None = None


@dataclass(frozen=True)
class N:
    """A NumPy scalar of the case's dtype."""


@dataclass(frozen=True)
class Sub:
    """A sub-graph param: `fun` traced on the types of the operands at `inputs` (an int k:
    operand k; ("row", k): one row of operand k, for scan bodies)."""
    fun: object
    inputs: tuple

    def build(self, args):
        examples = [np.zeros_like(np.asarray(args[i[1]])[0]) if isinstance(i, tuple) else
                    np.zeros_like(np.asarray(args[i])) for i in self.inputs]
        return make_graph(self.fun)(*examples)


@dataclass(frozen=True)
class Family:
    """Samplers per operand position (the last one repeats) and the layouts: tuples of
    (operand specs, params). The first `every` layouts are made for every accepted dtype,
    the rest only for the first accepted dtype. `extra_dtypes` are always tried."""
    samplers: tuple
    layouts: tuple
    every: int = 1
    extra_dtypes: tuple = ()


_UNARY_LAYOUTS = (((A((2, 3)),), {}), ((A(()),), {}), ((A((4,)),), {}),
                  ((A((2, 1, 3)),), {}), ((S(),), {}), ((N(),), {}))

_BINARY_LAYOUTS = (
    ((A((3, 1)), A((4,))), {}),
    ((A((2, 3)), S()), {}),
    ((A((3, 4)), A((3, 4))), {}),
    ((A(()), A((2, 3))), {}),
    ((A((2, 1, 4)), A((3, 1))), {}),
    ((S(), A((4,))), {}),
    ((A((2, 3)), A(())), {}),
    ((N(), A((3,))), {}),
    ((A((3,), np.float32), A((3,), np.float64)), {}),
    ((A((4,), np.int64), A((4,), np.float32)), {}),
    ((A((2, 3), np.int64), S(float)), {}),
    ((A((2, 2), np.float32), S(int)), {}),
)

_UNARY_DOMAINS = {
    **dict.fromkeys(["neg", "exp", "expm1", "sin", "cos", "arctan", "sinh", "cosh", "tanh",
                     "arcsinh", "erf"], _ANY),
    **dict.fromkeys(["log", "sqrt"], _uniform(0.5, 2.5, ints=(1, 5))),
    "log1p": _uniform(-0.5, 2, ints=(0, 4)),
    "cbrt": _signed(0.5, 2),
    "tan": _uniform(-1.2, 1.2, ints=(-1, 1)),
    **dict.fromkeys(["arcsin", "arccos", "arctanh"], _uniform(-0.9, 0.9, ints=(0, 0))),
    "arccosh": _uniform(1.1, 3, ints=(2, 4)),
    **dict.fromkeys(["abs", "sign"], _signed(0.3, 2)),
    **dict.fromkeys(["floor", "ceil", "round"], _offgrid((0.1, 0.4))),
    "invert": _BITS,
    **dict.fromkeys(["isnan", "isfinite"], _sampler(_with_nonfinite, _int_range(-3, 3))),
}

_BINARY_DOMAINS = {
    **dict.fromkeys(["add", "sub", "mul"], (_ANY, _ANY)),
    "div": (_ANY, _signed(0.5, 2)),
    # x / y = +-(k + u), u in (0.2, 0.8): away from the jumps of floor and mod
    **dict.fromkeys(["floor_divide", "mod"], (_offgrid((0.2, 0.8), 1.25), _signed(1.25, 1.25))),
    "pow": (_uniform(0.5, 2, ints=(1, 4)), _uniform(-2, 2, ints=(0, 3))),
    # fractional parts in disjoint ranges: |x - y| >= 0.2, no ties
    **dict.fromkeys(["max", "min"], (_offgrid((0.1, 0.4)), _offgrid((0.6, 0.9)))),
    "atan2": (_signed(0.3, 2), _signed(0.3, 2)),
    **dict.fromkeys(["eq", "ne", "lt", "le", "gt", "ge"], (_GRID, _GRID)),
    **dict.fromkeys(["and", "or", "xor"], (_BITS, _BITS)),
}

_BOOL_OPS = {"invert", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor"}

FAMILIES: dict[str, Family] = {}
for _name, _dom in _UNARY_DOMAINS.items():
    FAMILIES[_name] = Family((_dom,), _UNARY_LAYOUTS, 1,
                              (np.bool_,) if _name in _BOOL_OPS else ())
for _name, _doms in _BINARY_DOMAINS.items():
    # float % Python int: x / y could land on a jump of floor and mod
    _layouts = _BINARY_LAYOUTS[:-1] if _name in ("floor_divide", "mod") else _BINARY_LAYOUTS
    FAMILIES[_name] = Family(_doms, _layouts, 2,
                              (np.bool_,) if _name in _BOOL_OPS else ())

FAMILIES["select"] = Family((_BOOL, _ANY, _ANY), (
    ((A((3, 4), np.bool_), A((3, 4)), A((3, 4))), {}),
    ((A((3, 1), np.bool_), A((4,)), S()), {}),
    ((A((), np.bool_), A((2, 3)), A((2, 3))), {}),
    ((A((2, 1, 3), np.bool_), A((4, 1)), A(())), {}),
    ((A((3,), np.bool_), S(), A((3,))), {}),
    ((A((2, 3), np.bool_), A((2, 3), np.float32), A((3,), np.float64)), {}),
), every=2)

FAMILIES["convert"] = Family((_uniform(-2.5, 2.5),), (
    ((A((2, 3)),), {"dtype": np.dtype(np.float64)}),
    ((A((4,)),), {"dtype": np.dtype(np.float32)}),
    ((A(()),), {"dtype": np.dtype(np.int64)}),
    ((A((2, 3)),), {"dtype": np.dtype(np.bool_)}),
    ((A((3,)),), {"dtype": np.dtype(np.int32)}),
    ((A((2, 1, 3)),), {"dtype": np.dtype(np.float64)}),
), every=2)

_REDUCE_LAYOUTS = (
    ((A((2, 3, 4)),), {"axes": (1,)}),
    ((A((2, 3, 4)),), {"axes": (0, 2)}),
    ((A(()),), {"axes": ()}),
    ((A((5,)),), {"axes": (0,)}),
    ((A((3, 4)),), {"axes": ()}),
    ((A((2, 3, 4)),), {"axes": (0, 1, 2)}),
    ((A((3, 4)),), {"axes": (1, 0)}),
)
for _name, _dom in {"reduce_sum": _ANY, "reduce_prod": _UNIT, "reduce_max": _DISTINCT,
                    "reduce_min": _DISTINCT, "reduce_any": _GRID, "reduce_all": _GRID}.items():
    FAMILIES[_name] = Family((_dom,), _REDUCE_LAYOUTS, 2,
                              (np.bool_,) if _name in ("reduce_any", "reduce_all") else ())

_AXIS_LAYOUTS = (
    ((A((3, 4)),), {"axis": 1}),
    ((A((2, 3, 4)),), {"axis": 0}),
    ((A((5,)),), {"axis": 0}),
    ((A((2, 3, 4)),), {"axis": 2}),
)
for _name, _dom in {"argmax": _DISTINCT, "argmin": _DISTINCT, "cumsum": _ANY,
                    "cumprod": _UNIT, "cummax": _DISTINCT, "cummin": _DISTINCT}.items():
    FAMILIES[_name] = Family((_dom,), _AXIS_LAYOUTS, 2)
FAMILIES["argsort"] = Family((_DISTINCT,), _AXIS_LAYOUTS + (
    ((np.array([3, 1, 3, 0, 1, 1]),), {"axis": 0}),       # ties: argsort is stable
), 2)

FAMILIES["reshape"] = Family((_ANY,), (
    ((A((2, 3)),), {"shape": (3, 2)}),
    ((A((2, 3, 4)),), {"shape": (6, 4)}),
    ((A(()),), {"shape": (1, 1)}),
    ((A((4,)),), {"shape": (2, 1, 2)}),
    ((A((1, 1)),), {"shape": ()}),
))
FAMILIES["broadcast_to"] = Family((_ANY,), (
    ((A((3, 1)),), {"shape": (2, 3, 4)}),
    ((A(()),), {"shape": (2, 3)}),
    ((A((4,)),), {"shape": (3, 4)}),
    ((A((1, 4)),), {"shape": (3, 4)}),
    ((A((2, 3)),), {"shape": (2, 3)}),
))
FAMILIES["transpose"] = Family((_ANY,), (
    ((A((2, 3)),), {"perm": (1, 0)}),
    ((A((2, 3, 4)),), {"perm": (2, 0, 1)}),
    ((A(()),), {"perm": ()}),
    ((A((2, 3, 4)),), {"perm": (0, 2, 1)}),
    ((A((4,)),), {"perm": (0,)}),
), 2)
FAMILIES["slice"] = Family((_ANY,), (
    ((A((5,)),), {"spec": ((1, 3, 1),)}),
    ((A((6, 4)),), {"spec": ((5, 3, -2), (0, 4, 1))}),
    ((A((5,)),), {"spec": ((4, 5, -1),)}),
    ((A((2, 3, 4)),), {"spec": ((1, 1, 1), (0, 2, 2), (3, 2, -3))}),
    ((A((3, 4)),), {"spec": ((0, 3, 1), (1, 2, 2))}),
    ((A((6,)),), {"spec": ((0, 0, 1),)}),
), 2)
FAMILIES["concatenate"] = Family((_ANY,), (
    ((A((2, 3)), A((4, 3))), {"axis": 0}),
    ((A((2, 3)), A((2, 1)), A((2, 2))), {"axis": 1}),
    ((A((3,)), A((2,))), {"axis": 0}),
    ((A((2, 1, 3)), A((2, 2, 3))), {"axis": 1}),
    ((A((4,)),), {"axis": 0}),
    ((A((2,), np.float32), A((3,), np.float64)), {"axis": 0}),
), 2)
FAMILIES["pad"] = Family((_ANY, _ANY), (
    ((A((3,)), A(())), {"widths": ((1, 2),)}),
    ((A((2, 3)), S()), {"widths": ((0, 1), (2, 0))}),
    ((A((2, 2, 2)), A(())), {"widths": ((1, 1), (0, 0), (0, 2))}),
    ((A((3, 2)), N()), {"widths": ((0, 0), (0, 0))}),
), 2)

FAMILIES["take"] = Family((_ANY,), (
    ((A((5,)), np.array([4, 0, 2, 2])), {"axis": 0}),
    ((A((3, 4)), np.array([[0, 3], [1, 1]])), {"axis": 1}),
    ((A((2, 3, 4)), np.array(1)), {"axis": 1}),
    ((A((3, 4)), np.array([2, 0], np.int32)), {"axis": 0}),
    ((A((2, 3, 4)), np.array([[3], [0]])), {"axis": 2}),
), 2)
# updates come from a different grid than x: scatter-min/max never meets a tie
FAMILIES["scatter"] = Family((_offgrid((0.1, 0.4)), None, _offgrid((0.6, 0.9))), (
    ((A((5,)), np.array([3, 0]), A((2,))), {"axis": 0, "mode": "set"}),
    ((A((5,)), np.array([1, 3, 1, 1]), A((4,))), {"axis": 0, "mode": "add"}),
    ((A((3, 4)), np.array([[2, 0], [0, 2]]), A((3, 2, 2))), {"axis": 1, "mode": "add"}),
    ((A((4, 3)), np.array([0, 2, 0]), A((3, 3))), {"axis": 0, "mode": "mul"}),
    ((A((2, 3, 4)), np.array([1]), A((2, 3, 1))), {"axis": 2, "mode": "max"}),
    ((A((5,)), np.array([0, 4]), A((2,))), {"axis": 0, "mode": "min"}),
    ((A((3, 2)), np.array(1), A((2,))), {"axis": 0, "mode": "set"}),
), 2)

FAMILIES["dot_general"] = Family((_ANY, _ANY), tuple(
    ((A(xs), A(ys)), {"contract": c, "batch": b}) for xs, ys, c, b in [
        ((3, 4), (4, 5), ((1,), (0,)), ((), ())),
        ((2, 3, 4), (2, 4, 5), ((2,), (1,)), ((0,), (0,))),
        ((4,), (4,), ((0,), (0,)), ((), ())),
        ((3,), (5,), ((), ()), ((), ())),
        ((4, 3), (4, 5), ((0,), (0,)), ((), ())),
        ((3, 2, 4), (4, 2, 5), ((2,), (0,)), ((1,), (1,))),
        ((2, 3, 4), (3, 4, 5), ((1, 2), (0, 1)), ((), ())),
        ((3, 4), (4,), ((1,), (0,)), ((), ())),
        ((), (3,), ((), ()), ((), ())),
        ((2, 3), (3, 2), ((), ()), ((0,), (1,))),
    ]) + (((A((3, 4), np.float32), A((4, 2), np.float64)),
           {"contract": ((1,), (0,)), "batch": ((), ())}),), 2)


# control flow: bodies as sub-graphs over the operands' types
def _branch_true(c, x):
    return x * c + 1, np.sin(x)


def _branch_false(c, x):
    return x - c, np.cos(x) * c


def _below(limit, i, x):
    return i < limit


def _step(c, i, x):
    return i + 1, x * c + np.sin(x).astype(x.dtype)


def _scan_body(c, carry, x):
    return carry * c + x, np.sin(carry) * x


_COND = {"true_branch": Sub(_branch_true, (1, 2)), "false_branch": Sub(_branch_false, (1, 2))}
FAMILIES["cond"] = Family((_BOOL, _signed(0.5, 1.5), _ANY), (
    ((np.array(True), A(()), A((3,))), _COND),
    ((np.array(False), A(()), A((2, 2))), _COND),
), 2)
_WHILE = {"cond_graph": Sub(_below, (0, 2, 3)), "body_graph": Sub(_step, (1, 2, 3)),
          "n_cond": 1, "n_body": 1}
FAMILIES["while_loop"] = Family((None, _signed(0.5, 1.2), None, _ANY), (
    ((np.array(3), A(()), np.array(0), A((3,))), _WHILE),
    ((np.array(2), A(()), np.array(0), A(())), _WHILE),
))
_SCAN = {"body": Sub(_scan_body, (0, 1, ("row", 2))), "n_consts": 1, "n_carry": 1, "length": 4}
FAMILIES["scan"] = Family((_signed(0.5, 1.2), _ANY, _ANY), (
    ((A(()), A((2,)), A((4, 2))), {**_SCAN, "reverse": False}),
    ((A(()), A(()), A((4,))), {**_SCAN, "reverse": True}),
))
FAMILIES["threefry2x32"] = Family((None,), (
    ((np.array([0, 42], np.uint32), np.arange(6, dtype=np.uint32).reshape(3, 2)), {}),
    ((np.array([[[7, 2**32 - 1]], [[3, 5]]], np.uint32),
      np.array([[0, 1], [2, 3], [2**31, 9]], np.uint32)), {}),
), every=0)
