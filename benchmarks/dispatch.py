"""Dispatch cost of a jitted function: a jitted `x*2+1` on 8 float64 elements, called again
and again, against plain NumPy `x*2+1`, a bare Numba `@njit` call, and JAX / PyTorch when
installed, all measured in this run. Also jit with a do-nothing program, which is the
dispatch overhead alone (flatten, key, look up, call, unflatten). Prints the median time
per call and its ratios to NumPy and to a bare @njit call (target: jit with the "cpu"
backend <= 2 us per call).

    python benchmarks/dispatch.py [--calls 2000] [--repeats 25] [--backend cpu]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.timing import median_times  # noqa: E402
from kernels.backend import BACKENDS, default_backend  # noqa: E402
from transforms import jit  # noqa: E402


def add_one_twice(x):
    return x * 2 + 1


def _batch(call, x, calls: int):
    """`calls` calls of call(x), as one timed function."""
    def run():
        for _ in range(calls):
            call(x)
    return run


class _NullProgram:
    """Returns its input, through the calls a compiled program offers jit (see
    kernels/backend.py)."""

    def __call__(self, *arrays):
        return [arrays[0]]

    unchecked = __call__

    def unchecked_one(self, *arrays):
        return arrays[0]


class _NullBackend:
    """Programs that do nothing: what is left is jit's own dispatch."""
    name = "null"

    def compile(self, graph, **options):
        return _NullProgram()


def _candidates(backends: list[str]):
    yield "numpy x*2+1", add_one_twice
    try:
        import numba
        yield "numba @njit", numba.njit(add_one_twice)
    except ImportError:
        pass
    yield "jit, do-nothing program (dispatch only)", jit(add_one_twice, backend=_NullBackend())
    params = {"w": np.ones(8), "b": np.zeros(8)}
    affine = jit(lambda p, x: x * p["w"] + p["b"], backend=_NullBackend())
    yield "  same, args ({'w','b'}, x): pytree path", lambda x, f=affine: f(params, x)
    scaled = jit(lambda x, s: x * s, backend=_NullBackend())
    yield "  same, args (x, 2.0): scalar path", lambda x, f=scaled: f(x, 2.0)
    for name in backends:
        yield f"jit, backend {name!r}", jit(add_one_twice, backend=name)
    try:
        import jax     # the input is committed to the CPU device, so the call runs there
        yield ("jax.jit on CPU (a jax array in)",
               lambda x, f=jax.jit(add_one_twice): f(x).block_until_ready())
    except ImportError:
        pass
    try:
        import torch
        yield "torch eager (a CPU tensor in)", add_one_twice
        yield "torch.compile (a CPU tensor in)", torch.compile(add_one_twice)
    except ImportError:
        pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--backend", action="append",
                        help="backend(s) to measure (default: numpy, and cpu when it exists)")
    args = parser.parse_args(argv)
    try:
        default_backend()   # imports kernels.cpu when it exists, which registers "cpu"
    except Exception as e:  # noqa: BLE001  (a broken default must not hide the others)
        print(f"default backend unavailable: {e!r}")
    backends = args.backend or ["numpy"] + (["cpu"] if "cpu" in BACKENDS else [])

    x = np.arange(8, dtype=np.float64)
    batches, rows = {}, []
    for label, call in _candidates(backends):
        arg = x
        if label.startswith("torch"):
            import torch
            arg = torch.from_numpy(x)
        elif label.startswith("jax"):
            import jax
            arg = jax.device_put(x, jax.devices("cpu")[0])
        try:
            call(arg)   # trace and compile now, so a failure is reported, not raised
            batches[label] = _batch(call, arg, args.calls)
        except Exception as e:  # noqa: BLE001  (report it, measure the rest)
            rows.append((f"{label}: failed, {type(e).__name__}: {e}"[:100], float("nan")))
    # one series of `calls` calls per candidate and round, the candidates interleaved
    seconds = median_times(batches, args.repeats, rounds=args.repeats, pause=0.0)
    rows = [(label, t / args.calls * 1e6) for label, t in seconds.items()] + rows

    from rich.console import Console
    from rich.table import Table
    numpy_us = rows[0][1]
    # a bare Numba call is the floor of any dispatch, and it moves with the machine's load
    njit_us = dict(rows).get("numba @njit", float("nan"))
    table = Table(title=f"dispatch: x*2+1 on 8 float64 elements, median of {args.repeats} "
                        f"interleaved rounds of {args.calls} calls")
    table.add_column("what")
    table.add_column("us / call", justify="right")
    table.add_column("x NumPy", justify="right")
    table.add_column("x bare @njit", justify="right")
    for label, us in rows:
        table.add_row(label, f"{us:.2f}", f"{us / numpy_us:.2f}", f"{us / njit_us:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
