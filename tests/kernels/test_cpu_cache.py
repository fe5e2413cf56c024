"""The cpu backend's caches: shape-generic reuse in one process (a new batch size compiles
nothing), the on-disk cache across processes, corrupt cache files, and two processes
compiling the same program at once."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tracer import make_graph

ROOT = Path(__file__).resolve().parents[2]


def _mlp_layer(x, w, b):
    return np.sum(np.tanh(x @ w + b) ** 2, axis=1), np.max(x, axis=0)


def _args(batch, dtype=np.float32):
    rng = np.random.default_rng(batch)
    return (rng.standard_normal((batch, 5)).astype(dtype),
            rng.standard_normal((5, 3)).astype(dtype), rng.standard_normal(3).astype(dtype))


def test_new_batch_size_reuses_source_and_compiled_function(cpu):
    p32 = cpu.compile(make_graph(_mlp_layer)(*_args(32)))
    out32 = p32(*_args(32))
    p48 = cpu.compile(make_graph(_mlp_layer)(*_args(48)))
    out48 = p48(*_args(48))
    assert p32.source == p48.source and p32.dispatcher is p48.dispatcher
    assert len(p48.dispatcher.signatures) == 1, "a new batch size compiled a new function"
    for out, args in ((out32, _args(32)), (out48, _args(48))):
        for got, want in zip(out, _mlp_layer(*args)):
            np.testing.assert_allclose(got, want, rtol=1e-5)
    # a new dtype is a new structure: new source
    p64 = cpu.compile(make_graph(_mlp_layer)(*_args(32, np.float64)))
    assert p64.source != p32.source


def test_outputs_do_not_alias_reused_buffers(cpu):
    def f(x):
        y = np.tanh(x) * 2
        return y + 1, np.reshape(y, (-1,)), np.transpose(y)
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    prog = cpu.compile(make_graph(f)(x))
    first = [a.copy() for a in prog(x)]
    kept = prog(x)
    prog(x * 3)                         # a later call must not change what was returned
    for a, b in zip(first, kept):
        np.testing.assert_array_equal(a, b)
        assert b.flags.c_contiguous and b.flags.writeable


_SCRIPT = textwrap.dedent("""
    import sys, numpy as np
    from tracer import make_graph
    import kernels.cpu as cpu
    from tests.kernels.test_cpu_cache import _mlp_layer, _args
    prog = cpu.compile_graph(make_graph(_mlp_layer)(*_args(16)))
    out = prog(*_args(16))
    for got, want in zip(out, _mlp_layer(*_args(16))):
        np.testing.assert_allclose(got, want, rtol=1e-5)
    stats = prog.dispatcher.stats
    print("hits", sum(stats.cache_hits.values()), "misses", sum(stats.cache_misses.values()))
""")


# A product big enough for several row blocks (blas.py runs them with prange), in a
# program without a prange of its own, loaded from disk: Numba's thread pool must be up.
_BIG_MATMUL = textwrap.dedent("""
    import numpy as np
    import kernels.cpu as cpu
    from tracer import make_graph
    x = np.arange(256 * 300, dtype=np.float64).reshape(256, 300) % 7
    prog = cpu.compile_graph(make_graph(lambda a, b: a @ b)(x, x.T))
    np.testing.assert_allclose(prog(x, x.T)[0], x @ x.T)
    stats = prog.dispatcher.stats
    print("hits", sum(stats.cache_hits.values()), "misses", sum(stats.cache_misses.values()))
""")


def _run(cache_dir, wait=True, script=_SCRIPT):
    env = dict(os.environ, NUMBAFLOW_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return _finish(proc) if wait else proc


def _finish(proc) -> tuple[int, int]:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    words = out.split()
    return int(words[words.index("hits") + 1]), int(words[words.index("misses") + 1])


@pytest.fixture()
def fresh_dir(tmp_path):
    return tmp_path / "cache"


def test_second_process_loads_from_disk_cache(fresh_dir):
    assert _run(fresh_dir) == (0, 1)          # cold: compiled and saved
    assert _run(fresh_dir) == (1, 0)          # warm: loaded, nothing compiled
    assert list(fresh_dir.glob("nf_*.py"))


def test_program_loaded_from_disk_runs_its_parallel_matrix_product(fresh_dir):
    assert _run(fresh_dir, script=_BIG_MATMUL) == (0, 1)
    assert _run(fresh_dir, script=_BIG_MATMUL) == (1, 0)


def test_corrupt_cache_files_are_rebuilt(fresh_dir):
    """A corrupt Numba index or code file makes a recompile (a miss), never an error; a
    corrupt source file is rewritten (same content, so Numba's entry stays valid)."""
    _run(fresh_dir)
    for pattern, junk in [("*.nbi", b"\x80\x04garbage"), ("*.nbc", b"not a pickle")]:
        files = list(fresh_dir.rglob(pattern))
        assert files, pattern
        for f in files:
            f.write_bytes(junk)
        assert _run(fresh_dir) == (0, 1), pattern
    (source,) = fresh_dir.glob("nf_*.py")
    source.write_text("this is not the generated source")
    assert _run(fresh_dir) == (1, 0)
    assert source.read_text().startswith("# numbaflow cpu program")


def test_two_processes_compile_the_same_program_at_once(fresh_dir):
    procs = [_run(fresh_dir, wait=False) for _ in range(2)]
    results = [_finish(p) for p in procs]
    assert all(hits + misses == 1 for hits, misses in results)
    assert _run(fresh_dir) == (1, 0)
