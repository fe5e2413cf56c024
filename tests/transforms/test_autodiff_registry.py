"""Registry-wide checks of the derivative rules: every primitive has a JVP and a VJP rule,
and on every example case of tests/cases.py (float64) the rules agree with central finite
differences, satisfy <ct, J t> == <J^T ct, t>, and differentiate again (forward over
reverse and reverse over forward)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.cases import all_cases
from tracer import REGISTRY
from transforms import jvp, vjp
from transforms.autodiff import JVP_RULES, VJP_RULES, ZERO
from transforms.autodiff.rules import elementwise

CASES = all_cases(dtypes=(np.float64,))
DIFF_CASES = [c for c in CASES if c.diff_args and REGISTRY[c.prim].differentiable]
ZERO_CASES = [c for c in CASES if c.diff_args and not REGISTRY[c.prim].differentiable]


@pytest.mark.parametrize("table", [JVP_RULES, VJP_RULES], ids=["jvp", "vjp"])
def test_every_primitive_has_a_rule(table):
    missing = sorted(set(REGISTRY) - set(table))
    assert not missing, f"primitives without a rule: {missing}"


def test_zero_derivatives_are_exactly_the_non_differentiable_primitives():
    for name, prim in REGISTRY.items():
        assert (JVP_RULES[name] is ZERO) == (VJP_RULES[name] is ZERO) == (not prim.differentiable), name
    assert set(elementwise.ZERO_DERIVATIVE) <= {n for n, p in REGISTRY.items() if not p.differentiable}


def _as_function(case):
    """The primitive as a function of its differentiated operands, returning a list."""
    prim = REGISTRY[case.prim]

    def f(*diff):
        args = list(case.args)
        for k, v in zip(case.diff_args, diff):
            args[k] = v
        out = prim.bind(*args, **case.params)
        return list(out) if prim.multiple_results else [out]
    return f, [case.args[k] for k in case.diff_args]


def _random_like(rng, x):
    if isinstance(x, float):
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(x)).astype(np.asarray(x).dtype)


def _finite_difference(f, xs, ts, h=1e-3):
    """Central differences of the list f(*xs) along ts, Richardson-extrapolated (error
    O(h**4))."""
    def central(h):
        plus = f(*[x + h * t for x, t in zip(xs, ts)])
        minus = f(*[x - h * t for x, t in zip(xs, ts)])
        return [(np.asarray(p, np.float64) - np.asarray(m, np.float64)) / (2 * h)
                for p, m in zip(plus, minus)]
    return [(4 * a - b) / 3 for a, b in zip(central(h / 2), central(h))]


def _flat(values):
    return np.concatenate([np.asarray(v, np.float64).reshape(-1) for v in values] + [np.zeros(0)])


def _rel(a, b) -> float:
    a, b = _flat(a), _flat(b)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-3))


def _inner(xs, ys) -> float:
    return float(sum(np.sum(np.asarray(x, np.float64) * np.asarray(y, np.float64))
                     for x, y in zip(xs, ys)))


@pytest.mark.parametrize("case", DIFF_CASES, ids=repr)
def test_rules_against_finite_differences(case):
    rng = np.random.default_rng(1)
    f, xs = _as_function(case)
    ts = [_random_like(rng, x) for x in xs]
    out, t_out = jvp(f, tuple(xs), tuple(ts))
    # float32 results (convert to f32) carry their rounding into the differences
    f64 = all(np.asarray(o).dtype != np.float32 for o in out)
    tol, exact = (1e-6, 1e-10) if f64 else (1e-3, 1e-5)
    assert _rel(t_out, _finite_difference(f, xs, ts)) < tol

    # a random cotangent for each float output (integer outputs get none)
    ct = [rng.standard_normal(np.shape(o)) if np.asarray(o).dtype.kind == "f"
          else np.zeros(np.shape(o), np.asarray(o).dtype) for o in out]
    _, f_vjp = vjp(f, *xs)
    cts = f_vjp(ct)
    for g, x in zip(cts, xs):
        assert np.shape(g) == np.shape(x) and np.asarray(g).dtype == np.float64
    lhs, rhs = _inner(ct, t_out), _inner(cts, ts)
    assert abs(lhs - rhs) <= exact * max(abs(lhs), 1.0)

    # forward over reverse: the JVP of the VJP against finite differences of the VJP
    def pullback(*d):
        return vjp(f, *d)[1](ct)
    _, t_pull = jvp(pullback, tuple(xs), tuple(ts))
    assert _rel(t_pull, _finite_difference(lambda *d: list(pullback(*d)), xs, ts)) < 1e-6

    # reverse over forward: <VJP of the JVP, t> against <ct, finite differences of the JVP>
    def pushforward(*d):
        return jvp(f, tuple(d), tuple(ts))[1]
    _, f_vjp2 = vjp(pushforward, *xs)
    lhs2 = _inner(f_vjp2(ct), ts)
    rhs2 = _inner(ct, _finite_difference(pushforward, xs, ts))
    assert abs(lhs2 - rhs2) <= 1e-6 * max(abs(rhs2), 1e-3)


@pytest.mark.parametrize("case", ZERO_CASES, ids=repr)
def test_non_differentiable_primitives_have_zero_derivatives(case):
    rng = np.random.default_rng(2)
    f, xs = _as_function(case)
    ts = [_random_like(rng, x) for x in xs]
    out, t_out = jvp(f, tuple(xs), tuple(ts))
    assert not np.any(_flat(t_out)) and [np.shape(t) for t in t_out] == [np.shape(o) for o in out]
    _, f_vjp = vjp(f, *xs)
    for g, x in zip(f_vjp([np.ones(np.shape(o)) for o in out]), xs):
        assert not np.any(g) and np.shape(g) == np.shape(x)
