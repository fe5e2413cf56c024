"""The `numbaflow` console script.

    numbaflow demo [--epochs 8] [--batch-size 32] [--seed 0] [--backend cpu]

`demo` trains a small CNN on the 8x8 digits shipped with the package: it prints the model
summary, a progress bar per epoch, the test accuracy, the time per epoch, and the size of
the compiled training step (ops in its graph, kernels the backend made of them)."""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
from rich.console import Console

__all__ = ["main", "demo"]


def _digits(seed: int):
    from .datasets import load_digits
    x, y = load_digits()
    x = (x / 16.0).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(0.8 * len(x))
    train, test = order[:cut], order[cut:]
    return (x[train], y[train]), (x[test], y[test])


def _step_size(model, x, y, batch_size: int) -> tuple[int | None, int | None]:
    """(ops in the jitted training step's graph, kernels in its compiled program), None
    where the step is not jitted or the backend does not say."""
    from tracer import random
    from .training import compiled_step
    step = compiled_step(model, "train")
    if not hasattr(step, "lower"):
        return None, None
    lowered = step.lower(model.variables["params"], model.variables["state"],
                         model.optimizer_state, random.key(0), x[:batch_size], y[:batch_size])
    groups = getattr(lowered.program, "groups", None)
    return len(lowered.graph.ops), (None if groups is None else len(groups))


def demo(epochs: int = 8, batch_size: int = 32, seed: int = 0, backend: str | None = None,
         jit_compile: bool = True, console: Console | None = None) -> dict:
    """Train the demo CNN and report; returns the figures it printed."""
    import nn
    console = console or Console()
    (x_train, y_train), (x_test, y_test) = _digits(seed)
    console.print(f"[bold]numbaflow demo[/]: a small CNN on the 8x8 digits "
                  f"({len(x_train)} training and {len(x_test)} test images)")
    model = nn.Sequential([nn.Reshape((8, 8, 1)), nn.Conv2D(16, 3, padding="same", activation="relu"),
                           nn.MaxPool2D(2), nn.Flatten(), nn.Dense(32, activation="relu"),
                           nn.Dense(10)], input_shape=(8, 8), seed=seed)
    steps = epochs * -(-int(len(x_train) * 0.9) // batch_size)
    model.compile(optimizer=nn.optimizers.Adam(nn.schedules.CosineDecay(1e-2, steps)),
                  loss=nn.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], jit_compile=jit_compile, backend=backend)
    model.summary()
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size,
                        validation_split=0.1, verbose=1)
    total = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test)
    times = history.epoch_times
    later = statistics.median(times[1:]) if len(times) > 1 else times[0]
    ops, kernels = _step_size(model, x_train, y_train, batch_size)
    console.print(f"test accuracy: [bold]{accuracy:.2%}[/] (loss {loss:.4f})")
    console.print(f"time per epoch: {later:.3f} s (median after the first; the first, with "
                  f"tracing and compilation: {times[0]:.2f} s; fit in all: {total:.2f} s)")
    if ops is None:
        console.print("training step: not jit-compiled")
    else:
        console.print(f"compiled training step: {ops} ops in its graph, "
                      + (f"{kernels} kernels" if kernels is not None else
                         "kernel count not reported by this backend"))
    return {"accuracy": accuracy, "loss": loss, "epoch_times": times, "ops": ops, "kernels": kernels}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="numbaflow", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    d = commands.add_parser("demo", help="train a small CNN on the shipped digits")
    d.add_argument("--epochs", type=int, default=8)
    d.add_argument("--batch-size", type=int, default=32)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--backend", default=None,
                   help="jit backend: cpu (Numba) or numpy (reference); default: jit's default")
    d.add_argument("--eager", action="store_true", help="run the training step without jit")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        parser.error("--epochs and --batch-size must be at least 1")
    demo(args.epochs, args.batch_size, args.seed, args.backend, jit_compile=not args.eager)
    return 0


if __name__ == "__main__":
    sys.exit(main())
