"""The cuda backend under the transforms (jit of grad, vmap, control flow), its device
arrays in and out, how it is chosen, and its plans (fusion, buffer reuse).

Runs under the Numba CUDA simulator unless NUMBA_ENABLE_CUDASIM=0 is set (then on a GPU)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kernels.cuda.testing import cuda_test_mode, short_thread_switches

MODE = cuda_test_mode()
if MODE.startswith("unavailable"):
    pytest.skip(MODE, allow_module_level=True)


@pytest.fixture(scope="module", autouse=True)
def _fast_simulator():
    with short_thread_switches():
        yield

import numpy as np  # noqa: E402
from numba import cuda  # noqa: E402

import kernels  # noqa: E402
from kernels.cuda import CudaBackend, devices  # noqa: E402
from kernels.cuda.program import Program  # noqa: E402
from tracer import cond, fori_loop, make_graph, scan, while_loop  # noqa: E402
from transforms import grad, jit, value_and_grad, vmap  # noqa: E402

rng = np.random.default_rng(0)
HOST = CudaBackend(to_host=True)


def _close(got, want, rtol=2e-5):
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


def _mlp_loss(params, x, y):
    h = np.tanh(x @ params["w1"] + params["b1"])
    logits = h @ params["w2"] + params["b2"]
    logits = logits - np.max(logits, axis=1, keepdims=True)
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(np.sum(logp * y, axis=1))


def _mlp(dtype=np.float32):
    params = {"w1": rng.normal(size=(6, 5)) * 0.5, "b1": rng.normal(size=5) * 0.1,
              "w2": rng.normal(size=(5, 3)) * 0.5, "b2": np.zeros(3)}
    params = {k: v.astype(dtype) for k, v in params.items()}
    x = rng.normal(size=(8, 6)).astype(dtype)
    y = np.eye(3, dtype=dtype)[rng.integers(0, 3, 8)]
    return params, x, y


def test_jit_of_grad_matches_grad_on_numpy():
    params, x, y = _mlp()
    want = grad(_mlp_loss)(params, x, y)
    got = jit(grad(_mlp_loss), backend=HOST)(params, x, y)
    for k in want:
        _close(got[k], want[k])
    value, g = jit(value_and_grad(_mlp_loss), backend="cuda")(params, x, y)
    _close(value.copy_to_host(), _mlp_loss(params, x, y))


def test_jit_of_vmap_of_grad_per_example_gradients():
    w = rng.normal(size=(4, 3))
    xs, ys = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))

    def loss(w, x, y):
        return np.sum((np.tanh(x @ w) - y) ** 2)
    want = np.stack([grad(loss)(w, x, y) for x, y in zip(xs, ys)])
    got = jit(vmap(grad(loss), in_axes=(None, 0, 0)), backend=HOST)(w, xs, ys)
    _close(got, want, rtol=1e-10)


def test_an_sgd_step_stays_on_the_device():
    params, x, y = _mlp()

    def step(params, x, y):
        g = grad(_mlp_loss)(params, x, y)
        return {k: params[k] - np.float32(0.1) * g[k] for k in params}
    want = step(params, x, y)
    jitted = jit(step, backend="cuda")
    dev = {k: cuda.to_device(v) for k, v in params.items()}
    out = jitted(dev, cuda.to_device(x), cuda.to_device(y))      # device in, device out
    assert all(hasattr(v, "copy_to_host") and not isinstance(v, np.ndarray)
               for v in out.values())
    for k in want:
        _close(np.asarray(out[k]), want[k])
    again = jitted(out, cuda.to_device(x), cuda.to_device(y))    # outputs feed the next step
    _close(again["w1"].copy_to_host(), step(want, x, y)["w1"])
    assert jitted.cache_info().compilations == 1


def test_control_flow_runs_its_bodies_on_the_device():
    x = rng.normal(size=(3, 4))

    def f(x):
        c, ys = scan(lambda c, r: (c * 0.5 + r, np.sum(c * r)), np.zeros(4), x)
        total = fori_loop(0, 3, lambda i, a: a + np.tanh(a), c)
        n = while_loop(lambda s: s[0] < 10.0, lambda s: (s[0] * 2.0 + 1.0, s[1] + 1),
                       (np.sum(x ** 2), 0))
        picked = cond(np.sum(total) > 0, lambda a: a * 2.0, lambda a: a - 1.0, total)
        return picked, ys, n[0], n[1]
    for got, want in zip(jit(f, backend=HOST)(x), f(x)):
        _close(got, want, rtol=1e-10)


def test_a_fused_chain_is_one_kernel_and_intermediates_share_buffers():
    x = rng.normal(size=(64,)).astype(np.float32)
    chain = make_graph(lambda x: np.tanh(x * 2.0 + 1.0) * np.exp(-x) - x)(x)
    program = Program.from_graph(chain, to_host=True)
    assert len(program.kernel_steps()) == 1
    _close(program(x)[0], np.tanh(x * 2.0 + 1.0) * np.exp(-x) - x)

    w = rng.normal(size=(8, 8)).astype(np.float32)
    def deep(x, w):
        for _ in range(6):
            x = np.tanh(x @ w)     # a matmul and a fused tanh per layer
        return x
    xs = rng.normal(size=(2, 8)).astype(np.float32)
    program = Program.from_graph(make_graph(deep)(xs, w), to_host=True)
    workspace = [s for s in program.plan.slots if s.kind == "ws"]
    assert len(workspace) <= 3, program.plan.slots   # 11 intermediates, reused by liveness
    _close(program(xs, w)[0], deep(xs, w), rtol=1e-4)


def test_generated_kernels_do_not_allocate():
    params, x, y = _mlp()
    program = jit(grad(_mlp_loss), backend="cuda").lower(params, x, y).program
    text = program.source
    for allocation in ("np.empty", "np.zeros", "np.ones", "device_array", "local.array"):
        assert allocation not in text
    assert "cuda.shared.array" in text          # the reductions' trees


def test_outputs_are_device_arrays_unless_host_arrays_are_asked_for():
    x = rng.normal(size=(3, 2))
    out = jit(lambda x: x * 2, backend="cuda")(x)
    assert not isinstance(out, np.ndarray) and hasattr(out, "copy_to_host")
    assert out.shape == (3, 2)
    _close(np.asarray(out), x * 2)
    _close(jit(lambda x: np.sum(x), backend="cuda")(x).copy_to_host(), np.sum(x))
    assert isinstance(jit(lambda x: x + 1, backend=HOST)(x), np.ndarray)


def test_inputs_and_outputs_that_are_views_inputs_or_constants_are_fresh_copies():
    x = rng.normal(size=(4, 3))
    c = np.arange(3.0)

    def f(x):
        return x, x.T, c, x[1:, ::2], 2.5
    for got, want in zip(jit(f, backend=HOST)(x), f(x)):
        _close(got, want)


def test_choosing_the_backend(monkeypatch):
    x = np.arange(4.0)
    monkeypatch.setenv("NUMBAFLOW_BACKEND", "cuda")
    out = jit(lambda x: x + 1)(x)
    assert hasattr(out, "copy_to_host")
    monkeypatch.setenv("NUMBAFLOW_BACKEND", "numpy")
    assert isinstance(jit(lambda x: x + 1)(x), np.ndarray)
    kernels.set_default_backend("cuda")
    assert os.environ["NUMBAFLOW_BACKEND"] == "cuda"
    assert hasattr(jit(lambda x: x - 1)(x), "copy_to_host")
    with pytest.raises(ValueError, match="unknown backend"):
        kernels.set_default_backend("tpu")


def test_devices_lists_the_cpu_and_the_gpu():
    found = devices()
    assert found[0].backend == "cpu" and found[0].memory_bytes > 0
    gpus = [d for d in found if d.backend == "cuda"]
    assert gpus, found
    if MODE == "gpu":
        assert gpus[0].memory_bytes > 0 and gpus[0].compute_capability is not None
    assert kernels.devices() == found


def test_without_a_gpu_the_error_names_what_is_missing():
    """A fresh process with the simulator off: on a machine without a GPU the first
    compile says which part is missing (skipped where a GPU is present)."""
    code = ("import numpy as np\nfrom transforms import jit\n"
            "try:\n    jit(lambda x: x + 1, backend='cuda')(np.ones(2))\n    print('gpu')\n"
            "except Exception as e:\n    print(type(e).__name__, e)\n")
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=root, timeout=120).stdout.strip()
    if out == "gpu":
        pytest.skip("this machine has a GPU")
    assert out.startswith("CudaUnavailableError"), out
    assert any(w in out for w in ("driver", "numba-cuda", "device")), out
