"""Time to the first result of the MLP 784-512-512-10 SGD step (jit of grad + update) in a
fresh process: with a cold on-disk cache (trace, generate, Numba compile) and a warm one
(trace, generate, load the compiled program). Each run is a new Python process; the table
splits its time into imports and the first call (target: first call <= 0.6 s warm).

    python benchmarks/compile_time.py [--batch 128] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_CHILD = """
import time, json
t0 = time.perf_counter()
import numpy as np
import sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
from mlp_step import make_step, init_params, batch
import kernels.cpu  # the backend (imports Numba)
t1 = time.perf_counter()
step = make_step()
params = init_params()
x, y = batch({batch})
t2 = time.perf_counter()
out = step(params, x, y)
t3 = time.perf_counter()
step(params, x, y)
t4 = time.perf_counter()
print(json.dumps({{"imports": t1 - t0, "first_call": t3 - t2, "second_call": t4 - t3}}))
"""


def run_child(cache_dir: str, batch: int) -> dict:
    env = dict(os.environ, NUMBAFLOW_CACHE_DIR=cache_dir)
    code = _CHILD.format(root=ROOT, bench=os.path.join(ROOT, "benchmarks"), batch=batch)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=False)
    wall = time.perf_counter() - start
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process"] = wall
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    rows = {"cold cache": [], "warm cache": []}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as cache:
            rows["cold cache"].append(run_child(cache, args.batch))
            rows["warm cache"].append(run_child(cache, args.batch))
    print(f"MLP 784-512-512-10 SGD step, batch {args.batch}: first call in a fresh process "
          f"(median of {args.runs} processes, seconds)")
    print(f"{'':12} {'imports':>8} {'1st call':>9} {'2nd call':>9} {'process':>8}")
    for name, runs in rows.items():
        med = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in runs[0]}
        print(f"{name:12} {med['imports']:8.3f} {med['first_call']:9.3f} "
              f"{med['second_call']:9.4f} {med['process']:8.3f}")


if __name__ == "__main__":
    main()
