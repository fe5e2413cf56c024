"""One training step of an MLP 784-512-512-10 (relu, softmax cross-entropy, Adam) at batch
128, float32: nn's jit-compiled step (forward, loss, gradients, Adam update and metric
totals in one compiled function) against the same step written by hand in NumPy, and
JAX / PyTorch when installed (on the CPU), all measured in this run. Prints the median time
per step and the ratio to NumPy.

    python benchmarks/nn_train_step.py [--repeats 30] [--batch 128] [--backend cpu numpy]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import nn  # noqa: E402
from nn.training import compiled_step  # noqa: E402
from tracer import random  # noqa: E402

SIZES = (784, 512, 512, 10)
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-7


def _median_ms(step, repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def nn_step(x, y, backend):
    """nn's jitted training step, called directly on fixed arrays (no fit loop around it)."""
    model = nn.Sequential([nn.Dense(512, activation="relu"), nn.Dense(512, activation="relu"),
                           nn.Dense(10)], input_shape=(SIZES[0],))
    model.compile(nn.optimizers.Adam(LR), nn.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], backend=backend)
    step = compiled_step(model, "train")
    state = [model.variables["params"], model.variables["state"],
             model.optimizer.init(model.variables["params"]), random.key(0)]

    def run():
        params, st, opt, rng, _ = step(*state, x, y)
        state[:] = [params, st, opt, rng]
    return run


def numpy_step(x, y):
    """The same step by hand: forward, backward, Adam (in place, as NumPy code would be)."""
    rng = np.random.default_rng(0)
    params = {}
    for k, (n_in, n_out) in enumerate(zip(SIZES, SIZES[1:]), 1):
        limit = np.sqrt(6 / (n_in + n_out))
        params[f"w{k}"] = rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32)
        params[f"b{k}"] = np.zeros(n_out, np.float32)
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    t = [0]
    one_hot = np.eye(10, dtype=np.float32)[y]

    def run():
        z1 = x @ params["w1"] + params["b1"]
        h1 = np.maximum(z1, 0)
        z2 = h1 @ params["w2"] + params["b2"]
        h2 = np.maximum(z2, 0)
        logits = h2 @ params["w3"] + params["b3"]
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = -np.mean(np.sum(one_hot * (shifted - np.log(total)), axis=1))
        d3 = (e / total - one_hot) / np.float32(x.shape[0])
        d2 = (d3 @ params["w3"].T) * (z2 > 0)
        d1 = (d2 @ params["w2"].T) * (z1 > 0)
        grads = {"w3": h2.T @ d3, "b3": d3.sum(0), "w2": h1.T @ d2, "b2": d2.sum(0),
                 "w1": x.T @ d1, "b1": d1.sum(0)}
        t[0] += 1
        c1, c2 = 1 - B1 ** t[0], 1 - B2 ** t[0]
        for k, g in grads.items():
            m[k] *= B1
            m[k] += (1 - B1) * g
            v[k] *= B2
            v[k] += (1 - B2) * g * g
            params[k] -= LR * (m[k] / c1) / (np.sqrt(v[k] / c2) + EPS)
        accuracy = np.mean(logits.argmax(axis=1) == y)
        return loss, accuracy
    return run


def jax_step(x, y):
    os.environ.setdefault("JAX_PLATFORMS", "cpu")     # on the CPU, like every other row
    import jax
    import jax.numpy as jnp
    import optax
    key = jax.random.PRNGKey(0)
    params = []
    for n_in, n_out in zip(SIZES, SIZES[1:]):
        key, sub = jax.random.split(key)
        params.append((jax.nn.initializers.glorot_uniform()(sub, (n_in, n_out)), jnp.zeros(n_out)))
    tx = optax.adam(LR, eps=EPS)
    opt = tx.init(params)

    def loss_fn(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = jax.nn.relu(h @ w + b)
        logits = h @ params[-1][0] + params[-1][1]
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    @jax.jit
    def step(params, opt, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt = tx.update(grads, opt)
        return optax.apply_updates(params, updates), opt, loss
    state = [params, opt]
    xj, yj = jnp.asarray(x), jnp.asarray(y)

    def run():
        p, o, loss = step(*state, xj, yj)
        loss.block_until_ready()
        state[:] = [p, o]
    return run


def torch_step(x, y):
    import torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
                                torch.nn.ReLU(), torch.nn.Linear(512, 10))
    opt = torch.optim.Adam(model.parameters(), lr=LR, eps=EPS)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))

    def run():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
    return run


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--backend", nargs="*", default=["cpu", "numpy"],
                        help="jit backends to measure nn's step with")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.batch, SIZES[0])).astype(np.float32)
    y = rng.integers(0, 10, size=args.batch).astype(np.int64)

    rows = [("hand-written NumPy step", _median_ms(numpy_step(x, y), args.repeats))]
    for backend in args.backend:
        start = time.perf_counter()
        run = nn_step(x, y, backend)
        run()                                       # trace + compile
        first = time.perf_counter() - start
        rows.append((f"nn jitted step, backend {backend!r} (first call {first:.1f} s)",
                     _median_ms(run, args.repeats)))
    for name, make in [("JAX jit + optax (CPU)", jax_step), ("PyTorch eager (CPU)", torch_step)]:
        try:
            rows.append((name, _median_ms(make(x, y), args.repeats)))
        except ImportError:
            rows.append((f"{name} (not installed)", None))

    from rich.console import Console
    from rich.table import Table
    table = Table(title=f"training step, MLP {'-'.join(map(str, SIZES))}, Adam, batch {args.batch}, "
                        f"float32 (median of {args.repeats})")
    table.add_column("implementation")
    table.add_column("ms / step", justify="right")
    table.add_column("vs NumPy", justify="right")
    base = rows[0][1]
    for name, ms in rows:
        table.add_row(name, "-" if ms is None else f"{ms:.2f}",
                      "-" if ms is None else f"{ms / base:.2f}x")
    Console().print(table)


if __name__ == "__main__":
    main()
