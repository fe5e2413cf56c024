"""Time to the first result of a training step in a fresh process: with a cold on-disk cache
(trace, generate, Numba compile) and a warm one (trace, generate, load the compiled
program). Each run is a new Python process; the table splits its time into imports and the
first call (target: first call of the MLP step <= 0.6 s warm).

    python benchmarks/compile_time.py [--model mlp|cnn] [--batch 128] [--runs 3] [--fresh-machine]

--model mlp: the MLP 784-512-512-10 SGD step of mlp_step.py; cnn: an nn training step of
Conv2D(8, 3, relu) - MaxPool2D(2) - Flatten - Dense(10) with Adam on 12x12x1 images.
--fresh-machine also empties Numba's own cache (NUMBA_CACHE_DIR: the runtime helpers and
matrix products of kernels/cpu, compiled once per machine), as on a first install.
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

_MLP = """
from mlp_step import make_step, init_params, batch
import kernels.cpu  # the backend (imports Numba)
t1 = time.perf_counter()
step = make_step()
params = init_params()
x, y = batch({batch})
args = (params, x, y)
"""

_CNN = """
import nn
from nn import layers
from nn.training import compiled_step
from tracer import random
import kernels.cpu  # the backend (imports Numba)
t1 = time.perf_counter()
model = nn.Sequential([layers.Conv2D(8, 3, activation="relu"), layers.MaxPool2D(2),
                       layers.Flatten(), layers.Dense(10)])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", backend="cpu")
rng = np.random.default_rng(0)
x = rng.random(({batch}, 12, 12, 1), dtype=np.float32)
y = rng.integers(0, 10, {batch})
model._ensure_built(x)
state = model.optimizer.init(model.variables["params"])
step = compiled_step(model, "train")
args = (model.variables["params"], model.variables["state"], state, random.key(0), x, y)
"""

_CHILD = """
import time, json
t0 = time.perf_counter()
import numpy as np
import sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
{model}
t2 = time.perf_counter()
out = step(*args)
t3 = time.perf_counter()
step(*args)
t4 = time.perf_counter()
print(json.dumps({{"imports": t1 - t0, "first_call": t3 - t2, "second_call": t4 - t3}}))
"""


def run_child(cache_dir: str, model: str, batch: int, numba_cache: str | None) -> dict:
    env = dict(os.environ, NUMBAFLOW_CACHE_DIR=cache_dir)
    if numba_cache is not None:
        env["NUMBA_CACHE_DIR"] = numba_cache
    setup = {"mlp": _MLP, "cnn": _CNN}[model].format(batch=batch)
    code = _CHILD.format(root=ROOT, bench=os.path.join(ROOT, "benchmarks"), model=setup)
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
    parser.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fresh-machine", action="store_true",
                        help="empty Numba's own cache too (kernels/cpu's helpers)")
    args = parser.parse_args(argv)
    rows = {"cold cache": [], "warm cache": []}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as numba:
            numba_cache = numba if args.fresh_machine else None
            for name in rows:
                rows[name].append(run_child(cache, args.model, args.batch, numba_cache))
    what = {"mlp": "MLP 784-512-512-10 SGD step", "cnn": "CNN training step (nn, Adam)"}
    fresh = ", Numba's cache emptied too" if args.fresh_machine else ""
    print(f"{what[args.model]}, batch {args.batch}: first call in a fresh process{fresh} "
          f"(median of {args.runs} processes, seconds)")
    print(f"{'':12} {'imports':>8} {'1st call':>9} {'2nd call':>9} {'process':>8}")
    for name, runs in rows.items():
        med = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in runs[0]}
        print(f"{name:12} {med['imports']:8.3f} {med['first_call']:9.3f} "
              f"{med['second_call']:9.4f} {med['process']:8.3f}")


if __name__ == "__main__":
    main()
