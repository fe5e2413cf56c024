"""Every primitive, compiled alone through the cpu backend, equals its NumPy reference on the
shared cases of tests/cases.py (float32, float64, int64 and bool where the primitive takes
them; several ranks and broadcasting patterns).

Compiling is what costs time, so each primitive's cases go into ONE graph (one program);
only when that fails are its cases compiled one by one, to name the failing ones."""
from __future__ import annotations

import numpy as np
import pytest

from tests.cases import all_cases, graph_of_cases
from tracer import REGISTRY

_CASES: dict[str, list] = {}
for _case in all_cases():
    _CASES.setdefault(_case.prim, []).append(_case)


def _tolerance(dtype):
    return {"float32": 2e-5, "float64": 1e-11}.get(np.dtype(dtype).name, 0)


def _check(case, got, want):
    want = np.asarray(want)
    assert isinstance(got, np.ndarray), f"{case.label}: got {type(got).__name__}"
    assert got.shape == want.shape and got.dtype == want.dtype, \
        f"{case.label}: got {got.dtype}{list(got.shape)}, want {want.dtype}{list(want.shape)}"
    tol = _tolerance(want.dtype)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True,
                               err_msg=case.label)


def _run(cpu, cases):
    graph, inputs = graph_of_cases(cases)
    outs = cpu.compile(graph)(*inputs)
    k = 0
    for case in cases:
        want = REGISTRY[case.prim].numpy(*case.args, **case.params)
        wants = want if REGISTRY[case.prim].multiple_results else [want]
        for w in wants:
            _check(case, outs[k], w)
            k += 1


@pytest.mark.parametrize("name", sorted(_CASES))
def test_primitive_matches_numpy(cpu, name):
    cases = _CASES[name]
    try:
        _run(cpu, cases)
    except Exception:
        failures = []
        for case in cases:      # find the cases that fail on their own
            try:
                _run(cpu, [case])
            except Exception as e:   # noqa: BLE001  (reported below)
                failures.append(f"{case.label}: {type(e).__name__}: {str(e)[:300]}")
        if failures:
            pytest.fail(f"{len(failures)} of {len(cases)} cases fail:\n" + "\n".join(failures))
        raise


def test_every_primitive_has_a_lowering():
    from kernels.cpu.lowering import LOWERINGS
    missing = sorted(set(REGISTRY) - set(LOWERINGS))
    assert not missing, f"primitives without a cpu lowering: {missing}"
