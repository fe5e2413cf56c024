"""Eager reverse mode: `grad(mlp_loss)` outside jit (trace with concrete values, reuse them
as the forward pass, run the VJP rules with NumPy) against a hand-written NumPy forward and
backward pass, both measured in this run. MLP 784-512-512-10, tanh, softmax
cross-entropy, batch 128, float32. Prints the median times and the ratio.

    python benchmarks/grad_eager.py [--repeats 30] [--batch 128] [--activation tanh|relu]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.timing import median_seconds  # noqa: E402

from tracer import log_softmax  # noqa: E402
from transforms import grad  # noqa: E402

SIZES = (784, 512, 512, 10)
ACTIVATIONS = {
    "tanh": (np.tanh, lambda z, h: 1 - h * h),
    "relu": (lambda z: np.maximum(z, 0), lambda z, h: (z > 0).astype(z.dtype)),
}


def make_loss(activation: str):
    act = ACTIVATIONS[activation][0]

    def mlp_loss(params, x, y):
        """Mean softmax cross-entropy; y is one-hot."""
        h = x
        for k in range(1, len(SIZES) - 1):
            h = act(h @ params[f"w{k}"] + params[f"b{k}"])
        logits = h @ params[f"w{len(SIZES) - 1}"] + params[f"b{len(SIZES) - 1}"]
        return -np.mean(np.sum(y * log_softmax(logits, axis=-1), axis=-1))
    return mlp_loss


def make_numpy_grad(activation: str):
    act, act_grad = ACTIVATIONS[activation]

    def numpy_grad(params, x, y):
        """The same gradient written by hand."""
        layers = len(SIZES) - 1
        zs, hs = [], [x]
        for k in range(1, layers):
            zs.append(hs[-1] @ params[f"w{k}"] + params[f"b{k}"])
            hs.append(act(zs[-1]))
        logits = hs[-1] @ params[f"w{layers}"] + params[f"b{layers}"]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        d = (e / e.sum(axis=1, keepdims=True) - y) / np.float32(x.shape[0])
        grads = {}
        for k in range(layers, 0, -1):
            grads[f"w{k}"] = hs[k - 1].T @ d
            grads[f"b{k}"] = d.sum(axis=0)
            if k > 1:
                d = (d @ params[f"w{k}"].T) * act_grad(zs[k - 2], hs[k - 1])
        return grads
    return numpy_grad


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="tanh")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    params = {}
    for k, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
        params[f"w{k}"] = (rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)).astype(np.float32)
        params[f"b{k}"] = np.zeros(n_out, np.float32)
    x = rng.normal(size=(args.batch, SIZES[0])).astype(np.float32)
    y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], args.batch)]

    auto = grad(make_loss(args.activation))
    by_hand = make_numpy_grad(args.activation)
    got, want = auto(params, x, y), by_hand(params, x, y)
    for name in params:   # same gradient, same dtype, before timing anything
        assert got[name].dtype == np.float32, (name, got[name].dtype)
        np.testing.assert_allclose(got[name], want[name], rtol=2e-3, atol=2e-6)

    t_auto = median_seconds(lambda: auto(params, x, y), args.repeats)
    t_hand = median_seconds(lambda: by_hand(params, x, y), args.repeats)
    print(f"grad of an MLP {'-'.join(map(str, SIZES))} ({args.activation}, softmax "
          f"cross-entropy), batch {args.batch}, float32; median of {args.repeats} runs")
    print(f"{'':28}{'median ms':>12}{'ratio':>10}")
    print(f"{'NumPy forward+backward':28}{t_hand * 1e3:12.3f}{1.0:10.2f}")
    print(f"{'grad(mlp_loss), eager':28}{t_auto * 1e3:12.3f}{t_auto / t_hand:10.2f}")


if __name__ == "__main__":
    main()
