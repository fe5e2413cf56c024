"""The generated kernels really compile for a GPU: every distinct kernel of a sample of
the registry's cases (the first float32 and int64 cases of each primitive, control-flow
bodies included) and of an MLP training step goes through NVVM to PTX for sm_90, with
the argument types the launches pass. No GPU is needed, only numba-cuda's NVVM
(`pip install "numba-cuda[cu13]"`); without it the test is skipped, saying so.

It runs in a subprocess with the simulator off, since the other cuda tests import
numba.cuda in simulator mode."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("numba.cuda", reason="numba-cuda is not installed")

_SCRIPT = r'''
import numpy as np
from kernels.cuda.device import cuda_module
cuda = cuda_module()
try:
    from numba import types
    cuda.compile_ptx(lambda a: None, (types.int64,), cc=(9, 0))
except Exception as e:
    print("SKIP: numba-cuda cannot compile PTX here: NVVM (libnvvm) is missing or broken "
          f'(pip install "numba-cuda[cu13]"): {type(e).__name__}: {e}')
    raise SystemExit(0)
from kernels.cuda.program import Program
from kernels.cuda.testing import compile_ptx_all
from tests.cases import graph_of_cases
from tests.cases import cases_for
from tracer import REGISTRY, make_graph
from transforms import grad

programs = []
for name in sorted(REGISTRY):
    sample = cases_for(name, (np.float32,))[:1] + cases_for(name, (np.int64,))[:1]
    programs.append(Program.from_graph(graph_of_cases(sample)[0]))

def loss(p, x, y):
    h = np.tanh(x @ p["w1"] + p["b1"])
    z = h @ p["w2"] + p["b2"]
    z = z - np.max(z, axis=1, keepdims=True)
    return -np.mean(np.sum((z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))) * y, axis=1))

def step(p, x, y):
    g = grad(loss)(p, x, y)
    return {k: p[k] - np.float32(0.1) * g[k] for k in p}

f32 = lambda *s: np.ones(s, np.float32)
p = {"w1": f32(784, 512), "b1": f32(512), "w2": f32(512, 10), "b2": f32(10)}
programs.append(Program.from_graph(make_graph(step)(p, f32(128, 784), f32(128, 10))))
n, failures = compile_ptx_all(programs, cc=(9, 0))
print("COMPILED", n, "FAILED", len(failures))
for source, error in failures[:5]:
    print("=" * 60)
    print(error[:1500])
    print(source)
'''


def test_generated_kernels_compile_to_ptx_for_sm90():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0", "PYTHONPATH": root}
    run = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                         env=env, cwd=root, timeout=600)
    out = run.stdout + run.stderr
    if run.stdout.startswith("SKIP:"):
        pytest.skip(run.stdout.strip()[6:])
    assert run.returncode == 0, out[-4000:]
    assert "COMPILED" in run.stdout and "FAILED 0" in run.stdout, out[-6000:]
    compiled = int(run.stdout.split("COMPILED")[1].split()[0])
    assert compiled > 100, run.stdout
