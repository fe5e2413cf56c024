"""Per-example gradients of a 2-layer MLP (64-128-10, tanh, softmax cross-entropy) on a
batch of 256: `jit(vmap(grad(loss)))` against a Python loop of `jit(grad(loss))` and a
hand-written NumPy batch gradient, all measured in this run. Prints the median times and
the ratios (target: vmap at least 20x faster than the loop).

    python benchmarks/per_example_grads.py [--repeats 20] [--batch 256] [--backend cpu]

--backend names the backend both jitted methods compile with ("cpu", "numpy", ...);
by default it is kernels.backend.default_backend() ($NUMBAFLOW_BACKEND, else "cpu").

On a machine shared with other work, OPENBLAS_NUM_THREADS=1 gives steadier numbers.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.timing import median_seconds  # noqa: E402

from kernels.backend import default_backend  # noqa: E402

from tracer import tree_map  # noqa: E402
from transforms import grad, jit, vmap  # noqa: E402

SIZES = (64, 128, 10)


def loss(params, x, y):
    """Cross-entropy of one example: x (64,), y one-hot (10,)."""
    h = np.tanh(x @ params["w1"] + params["b1"])
    logits = h @ params["w2"] + params["b2"]
    shifted = logits - np.max(logits)
    return -np.sum(y * (shifted - np.log(np.sum(np.exp(shifted)))))


def numpy_per_example_grads(params, xs, ys):
    """The same gradients written by hand as whole-batch NumPy."""
    h = np.tanh(xs @ params["w1"] + params["b1"])
    logits = h @ params["w2"] + params["b2"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    d_logits = e / e.sum(axis=1, keepdims=True) * ys.sum(axis=1, keepdims=True) - ys
    d_pre = (d_logits @ params["w2"].T) * (1 - h * h)
    return {"w1": xs[:, :, None] * d_pre[:, None, :], "b1": d_pre,
            "w2": h[:, :, None] * d_logits[:, None, :], "b2": d_logits}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--backend", default=None,
                        help="backend of both jits (default: the default backend)")
    args = parser.parse_args(argv)
    backend = args.backend or default_backend().name

    rng = np.random.default_rng(0)
    n_in, n_hidden, n_out = SIZES
    params = {"w1": rng.normal(size=(n_in, n_hidden)) / np.sqrt(n_in),
              "b1": np.zeros(n_hidden),
              "w2": rng.normal(size=(n_hidden, n_out)) / np.sqrt(n_hidden),
              "b2": np.zeros(n_out)}
    xs = rng.normal(size=(args.batch, n_in))
    ys = np.eye(n_out)[rng.integers(0, n_out, args.batch)]

    per_example = vmap(grad(loss), in_axes=(None, 0, 0))
    batched = jit(per_example, backend=backend)
    single = jit(grad(loss), backend=backend)

    def loop():
        grads = [single(params, x, y) for x, y in zip(xs, ys)]
        return tree_map(lambda *g: np.stack(g), *grads)

    candidates = {
        "jit(vmap(grad))": lambda: batched(params, xs, ys),
        "loop of jit(grad)": loop,
        "vmap(grad), no jit": lambda: per_example(params, xs, ys),
        "NumPy by hand": lambda: numpy_per_example_grads(params, xs, ys),
    }
    reference = numpy_per_example_grads(params, xs, ys)
    for name, fn in candidates.items():   # every method computes the same gradients
        tree_map(lambda got, want: np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10,
                                                              err_msg=name), fn(), reference)
    medians = {name: median_seconds(fn, args.repeats if "loop" not in name
                                     else max(3, args.repeats // 4))
               for name, fn in candidates.items()}

    base = medians["jit(vmap(grad))"]
    print(f"per-example gradients, MLP {n_in}-{n_hidden}-{n_out}, batch {args.batch}, "
          f"float64, backend {backend!r} (median of {args.repeats} runs)")
    print(f"{'method':<22}{'median ms':>12}{'vs jit(vmap(grad))':>22}")
    for name, seconds in medians.items():
        print(f"{name:<22}{seconds * 1e3:>12.3f}{seconds / base:>21.2f}x")
    speedup = medians["loop of jit(grad)"] / base
    verdict = "meets" if speedup >= 20 else "MISSES"
    print(f"vmap is {speedup:.1f}x faster than the loop ({verdict} the 20x target); "
          f"{base / medians['NumPy by hand']:.2f}x the time of hand-written NumPy")


if __name__ == "__main__":
    main()
