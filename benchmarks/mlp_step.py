"""One SGD step of an MLP 784-512-512-10 (tanh, softmax cross-entropy): numbaflow's
`jit` of (grad + update) against the same step written by hand in NumPy, at several batch
sizes, measured in this run. Prints median times, ratios (target: numbaflow no slower
than NumPy or JAX) and the resident memory each step adds at its peak. JAX and PyTorch
columns appear when they are installed.

    python benchmarks/mlp_step.py [--repeats 20] [--batches 32 128 1024]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.timing import median_times, peak_extra_mib  # noqa: E402

SIZES = (784, 512, 512, 10)
LR = 0.01


def init_params(dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    for k, (m, n) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        params[f"w{k}"] = (rng.standard_normal((m, n)) / np.sqrt(m)).astype(dtype)
        params[f"b{k}"] = np.zeros(n, dtype)
    return params


def batch(n, dtype=np.float32, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, SIZES[0])).astype(dtype)
    y = np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], n)]
    return x, y


def loss(params, x, y):
    h = x
    for k in range(len(SIZES) - 2):
        h = np.tanh(h @ params[f"w{k}"] + params[f"b{k}"])
    logits = h @ params[f"w{len(SIZES) - 2}"] + params[f"b{len(SIZES) - 2}"]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(y * logp, axis=1))


def make_step():
    from tracer import tree_map
    from transforms import grad, jit

    def step(params, x, y):
        g = grad(loss)(params, x, y)
        return tree_map(lambda p, d: p - LR * d, params, g)
    return jit(step)


def numpy_step(params, x, y):
    """The same step, backward pass written by hand."""
    n_layers = len(SIZES) - 1
    hs = [x]
    for k in range(n_layers - 1):
        hs.append(np.tanh(hs[-1] @ params[f"w{k}"] + params[f"b{k}"]))
    logits = hs[-1] @ params[f"w{n_layers - 1}"] + params[f"b{n_layers - 1}"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    d = (e / e.sum(axis=1, keepdims=True) * y.sum(axis=1, keepdims=True) - y) / x.shape[0]
    new = {}
    for k in range(n_layers - 1, -1, -1):
        new[f"w{k}"] = params[f"w{k}"] - LR * (hs[k].T @ d)
        new[f"b{k}"] = params[f"b{k}"] - LR * d.sum(axis=0)
        if k:
            d = (d @ params[f"w{k}"].T) * (1 - hs[k] * hs[k])
    return new


def _optional_columns(params, x, y):
    """JAX / PyTorch versions of the step, only where installed."""
    out = {}
    try:
        import jax
        import jax.numpy as jnp

        def jloss(p, x, y):
            h = x
            for k in range(len(SIZES) - 2):
                h = jnp.tanh(h @ p[f"w{k}"] + p[f"b{k}"])
            logits = h @ p[f"w{len(SIZES) - 2}"] + p[f"b{len(SIZES) - 2}"]
            return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits, axis=1), axis=1))
        jstep = jax.jit(lambda p, x, y: jax.tree_util.tree_map(
            lambda a, g: a - LR * g, p, jax.grad(jloss)(p, x, y)))
        jp = {k: jnp.asarray(v) for k, v in params.items()}
        jx, jy = jnp.asarray(x), jnp.asarray(y)
        out["jax jit"] = lambda: jax.block_until_ready(jstep(jp, jx, jy))
    except ImportError:
        pass
    try:
        import torch
        tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        tx, ty = torch.tensor(x), torch.tensor(y)

        def tstep():
            h = tx
            for k in range(len(SIZES) - 2):
                h = torch.tanh(h @ tp[f"w{k}"] + tp[f"b{k}"])
            logits = h @ tp[f"w{len(SIZES) - 2}"] + tp[f"b{len(SIZES) - 2}"]
            lossv = -(ty * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
            grads = torch.autograd.grad(lossv, list(tp.values()))
            with torch.no_grad():
                return [p - LR * g for p, g in zip(tp.values(), grads)]
        out["torch"] = tstep
    except ImportError:
        pass
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128, 1024])
    args = parser.parse_args(argv)
    step = make_step()
    params = init_params()
    rows = []
    for n in args.batches:
        x, y = batch(n)
        got, want = step(params, x, y), numpy_step(params, x, y)
        for k in params:   # same step, same numbers
            np.testing.assert_allclose(got[k], want[k], rtol=2e-3, atol=2e-5)
        fns = {"numpy": lambda: numpy_step(params, x, y),
               "numbaflow jit": lambda: step(params, x, y), **_optional_columns(params, x, y)}
        peaks = {name: peak_extra_mib(fn) for name, fn in fns.items()}
        rows.append((n, median_times(fns, args.repeats), peaks))
    names = list(rows[0][1])
    print(f"MLP {'-'.join(map(str, SIZES))} SGD step, float32, median of {args.repeats} "
          f"(in 5 interleaved rounds; ms; ratio = NumPy time / column time, >1 is faster than "
          f"NumPy; peak MiB = resident memory a warm call adds at its peak)")
    print(f"{'batch':>6}  " + "  ".join(f"{n:>15}" for n in names) + "  " +
          "  ".join(f"{'ratio ' + n:>22}" for n in names[1:]) + "  " +
          "  ".join(f"{'peak MiB ' + n:>22}" for n in names))
    for n, times, peaks in rows:
        cells = "  ".join(f"{times[k] * 1e3:15.3f}" for k in names)
        ratios = "  ".join(f"{times['numpy'] / times[k]:22.2f}" for k in names[1:])
        mib = "  ".join(f"{peaks[k] if peaks[k] is not None else float('nan'):22.1f}"
                        for k in names)
        print(f"{n:>6}  {cells}  {ratios}  {mib}")


if __name__ == "__main__":
    main()
