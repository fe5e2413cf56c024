"""Every primitive, compiled through the cuda backend, equals its NumPy reference on the
shared cases of tests/cases.py; and every primitive has a cuda lowering.

Runs under the Numba CUDA simulator unless NUMBA_ENABLE_CUDASIM=0 is set (then on the GPU;
NUMBAFLOW_TEST_SHARD=k/n runs every n-th primitive from the k-th, for parallel runs).
Each primitive's cases go into ONE graph (one program); only when that fails are its
cases run one by one, to name the failing ones."""
from __future__ import annotations

import os

import pytest

from kernels.cuda.testing import cuda_test_mode, short_thread_switches
from tests.cases import graph_of_cases

MODE = cuda_test_mode()
if MODE.startswith("unavailable"):
    pytest.skip(MODE, allow_module_level=True)


@pytest.fixture(scope="module", autouse=True)
def _fast_simulator():
    with short_thread_switches():
        yield

import numpy as np  # noqa: E402

from tests.cases import all_cases  # noqa: E402
from tracer import REGISTRY  # noqa: E402

_CASES: dict[str, list] = {}
for _case in all_cases():
    _CASES.setdefault(_case.prim, []).append(_case)

_NAMES = sorted(_CASES)
_SHARD = os.environ.get("NUMBAFLOW_TEST_SHARD")
if _SHARD:
    _k, _n = (int(p) for p in _SHARD.split("/"))
    _NAMES = _NAMES[_k::_n]


def _check(case, got, want):
    want = np.asarray(want)
    assert isinstance(got, np.ndarray), f"{case.label}: got {type(got).__name__}"
    assert got.shape == want.shape and got.dtype == want.dtype, \
        f"{case.label}: got {got.dtype}{list(got.shape)}, want {want.dtype}{list(want.shape)}"
    tol = {"float32": 2e-5, "float64": 1e-11}.get(want.dtype.name, 0)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True,
                               err_msg=case.label)


def _run(cases):
    from kernels.cuda.program import Program
    graph, inputs = graph_of_cases(cases)
    outs = Program.from_graph(graph, to_host=True)(*inputs)
    k = 0
    for case in cases:
        want = REGISTRY[case.prim].numpy(*case.args, **case.params)
        for w in (want if REGISTRY[case.prim].multiple_results else [want]):
            _check(case, outs[k], w)
            k += 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # the simulator's uint32 wraparound
@pytest.mark.parametrize("name", _NAMES)
def test_primitive_matches_numpy(name):
    cases = _CASES[name]
    try:
        _run(cases)
    except Exception:
        failures = []
        for case in cases:
            try:
                _run([case])
            except Exception as e:   # noqa: BLE001  (reported below)
                failures.append(f"{case.label}: {type(e).__name__}: {str(e)[:300]}")
        if failures:
            pytest.fail(f"{len(failures)} of {len(cases)} cases fail:\n" + "\n".join(failures))
        raise


def test_every_primitive_is_lowered():
    """Each primitive is lowered (fused, a view, a loop, a library call, control flow) or
    a documented host fallback."""
    from kernels.cuda.lowering import HOST_FALLBACKS, LOWERINGS
    missing = sorted(set(REGISTRY) - set(LOWERINGS))
    assert not missing, f"primitives without a cuda lowering: {missing}"
    assert set(HOST_FALLBACKS) <= set(REGISTRY)
    assert all(LOWERINGS[n] != "fused" for n in HOST_FALLBACKS)
