"""Every primitive in the registry, on every shared case: `infer` agrees with the shape and
dtype of the NumPy reference, and a traced graph evaluates to what NumPy gives. The cases
themselves keep their promises: float, finite, smooth where derivatives are asked for."""
import dataclasses

import numpy as np
import pytest

from tests.cases import all_cases, cases_for
from tracer import REGISTRY, Primitive, eval_graph, make_graph
from tracer.types import type_of

CASES = all_cases()


def _reference(case) -> list:
    """The NumPy reference's outputs, as a list."""
    out = REGISTRY[case.prim].numpy(*case.args, **case.params)
    return [np.asarray(o) for o in (out if REGISTRY[case.prim].multiple_results else [out])]


def _inferred(case) -> list:
    out = REGISTRY[case.prim].infer(*[type_of(a) for a in case.args], **case.params)
    return list(out) if REGISTRY[case.prim].multiple_results else [out]


def test_every_primitive_has_cases():
    assert {c.prim for c in CASES} == set(REGISTRY)


def test_a_primitive_without_cases_fails_loudly():
    with pytest.raises(LookupError, match="no example cases"):
        cases_for("no_such_primitive")
    Primitive("_uncovered_test_primitive", "elementwise", lambda x: x, lambda x: x)
    try:
        with pytest.raises(LookupError, match="_uncovered_test_primitive"):
            all_cases()
    finally:
        del REGISTRY["_uncovered_test_primitive"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_infer_matches_numpy(case):
    want = _reference(case)
    assert [(t.shape, t.dtype) for t in _inferred(case)] == [(w.shape, w.dtype) for w in want]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_traced_graph_evaluates_like_numpy(case):
    prim = REGISTRY[case.prim]
    graph = make_graph(lambda *a: prim.bind(*a, **case.params))(*case.args)
    assert [op.prim.name for op in graph.ops] == [case.prim]
    want = _reference(case)
    assert [(t.shape, t.dtype) for t in graph.out_types] == [(w.shape, w.dtype) for w in want]
    got = [np.asarray(o) for o in eval_graph(graph, list(case.args))]
    assert [(g.shape, g.dtype) for g in got] == [(w.shape, w.dtype) for w in want]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("case", [c for c in CASES if c.diff_args], ids=lambda c: c.label)
def test_diff_args_are_float_and_in_the_smooth_domain(case):
    """The shared cases promise finite values and float arguments where derivatives are asked."""
    for k in case.diff_args:
        assert np.asarray(case.args[k]).dtype.kind == "f"
        assert np.all(np.isfinite(case.args[k]))
    assert all(np.all(np.isfinite(w)) for w in _reference(case) if w.dtype.kind == "f")



def _directional_difference(case, k, h, direction):
    """Central difference of every float output along `direction` in argument k."""
    def at(sign):
        args = list(case.args)
        x = np.asarray(args[k], np.float64) + sign * h * direction
        args[k] = float(x) if isinstance(case.args[k], float) else x
        return [w for w in _reference(dataclasses.replace(case, args=tuple(args)))
                if w.dtype.kind == "f"]
    return [(p - m) / (2 * h) for p, m in zip(at(1), at(-1))]


@pytest.mark.parametrize("case", [c for c in all_cases(dtypes=(np.float64,)) if c.diff_args],
                         ids=lambda c: c.label)
def test_diff_args_are_away_from_kinks(case):
    """Central differences with two step sizes agree: no jump or kink within reach."""
    rng = np.random.default_rng(0)
    single = any(w.dtype == np.float32 for w in _reference(case))   # e.g. convert to float32
    steps, rtol = ((3e-2, 3e-3), 2e-2) if single else ((1e-3, 1e-6), 1e-3)
    for k in case.diff_args:
        direction = rng.uniform(-1, 1, np.shape(case.args[k]))
        coarse, fine = (_directional_difference(case, k, h, direction) for h in steps)
        for c, f in zip(coarse, fine):
            np.testing.assert_allclose(c, f, rtol=rtol, atol=1e-5)


def test_select_of_weak_scalars_by_an_array_condition_is_strong():
    # np.where(mask, 0, 1) is an int64 array; only Python scalars are weak in NumPy 2
    from tracer.types import ArrayType
    weak_int = ArrayType((), np.int64, weak=True)
    out = REGISTRY["select"].infer(ArrayType((3,), np.bool_), weak_int, weak_int)
    assert out == ArrayType((3,), np.int64) and not out.weak
    assert REGISTRY["select"].infer(ArrayType((), np.bool_, weak=True), weak_int, weak_int).weak
