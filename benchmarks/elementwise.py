"""A fused element-wise chain with a reduction, `sum(tanh(x*w + b)**2 + 0.5*x)` over 10M
float32, and its gradient w.r.t. w: NumPy, numbaflow `jit`, and a hand-written Numba loop
with the vectorisable tanh of kernels/vecmath.py (the practical limit), measured in this
run, with the achieved bandwidth against a plain copy and the peak memory each one
allocates (the fused chain should allocate no full-size temporary). JAX and PyTorch
columns appear when installed.

    python benchmarks/elementwise.py [--n 10000000] [--repeats 20]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.timing import median_times, peak_extra_mib  # noqa: E402


def chain(x, w, b):
    return np.sum(np.tanh(x * w + b) ** 2 + 0.5 * x)


def chain_grad_w(x, w, b):
    t = np.tanh(x * w + b)
    return np.sum(2 * t * (1 - t * t) * x)


def _hand_written():
    """Hand-written Numba: the practical limit is a prange loop with fastmath (so the sum
    vectorises too, reassociated); without fastmath, a chunked loop (a vectorised loop into
    a buffer, then a float64 sum of it: a float reduction loop does not vectorise)."""
    import numba
    from kernels.vecmath import tanh_f32

    @numba.njit(parallel=True, error_model="numpy")
    def hand(x, w, b):
        n = x.shape[0]
        chunks = (n + 16383) // 16384
        parts = np.zeros(chunks)
        for c in numba.prange(chunks):
            buf = np.empty(16384, np.float32)
            lo = c * 16384
            m = min(16384, n - lo)
            for i in range(m):
                xi = x[lo + i]
                t = tanh_f32(xi * w + b)
                buf[i] = t * t + np.float32(0.5) * xi
            s = 0.0
            for i in range(m):
                s += buf[i]
            parts[c] = s
        return np.float32(parts.sum())

    @numba.njit(parallel=True, fastmath=True)
    def hand_fastmath(x, w, b):
        s = 0.0
        for i in numba.prange(x.shape[0]):
            t = tanh_f32(x[i] * w + b)
            s += t * t + np.float32(0.5) * x[i]
        return np.float32(s)
    return hand, hand_fastmath


def _optional(x, w, b) -> tuple[dict, dict]:
    """JAX and PyTorch rows (value, and gradient w.r.t. w), when installed."""
    rows, grad_rows = {}, {}
    try:
        import jax
        import jax.numpy as jnp
        jx = jnp.asarray(x)

        def jchain(x, w, b):
            return jnp.sum(jnp.tanh(x * w + b) ** 2 + 0.5 * x)
        f, g = jax.jit(jchain), jax.jit(jax.grad(jchain, argnums=1))
        rows["jax jit"] = lambda: jax.block_until_ready(f(jx, w, b))
        grad_rows["jax jit(grad) w"] = lambda: jax.block_until_ready(g(jx, w, b))
    except ImportError:
        pass
    try:
        import torch
        tx = torch.from_numpy(x)
        rows["torch"] = lambda: torch.sum(torch.tanh(tx * float(w) + float(b)) ** 2 + 0.5 * tx)
    except ImportError:
        pass
    return rows, grad_rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    from transforms import jit
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, args.n).astype(np.float32)
    w, b = np.float32(0.7), np.float32(0.1)
    hand, hand_fastmath = _hand_written()
    fused = jit(chain)
    want = float(np.sum(np.tanh(x.astype(np.float64) * 0.7 + 0.1) ** 2 + 0.5 * x))

    fused_fast = jit(chain, fastmath=True)
    extra_rows, extra_grad_rows = _optional(x, w, b)
    rows = {"numpy": lambda: chain(x, w, b),
            "numba hand loop fastmath": lambda: hand_fastmath(x, w, b),
            "numba hand loop exact": lambda: hand(x, w, b),
            "numbaflow jit": lambda: fused(x, w, b),
            "numbaflow jit fastmath": lambda: fused_fast(x, w, b), **extra_rows}
    try:
        from transforms import grad
        fused_grad = jit(grad(chain, argnums=1))
        grad_rows = {"numpy grad_w": lambda: chain_grad_w(x, w, b),
                     "numbaflow jit(grad) w": lambda: fused_grad(x, w, b), **extra_grad_rows}
        np.testing.assert_allclose(fused_grad(x, w, b), chain_grad_w(x, w, b), rtol=1e-4)
    except ImportError:
        grad_rows = {}
    dst = np.empty_like(x)
    times = median_times({"copy": lambda: np.copyto(dst, x), **rows, **grad_rows}, args.repeats)
    copy_s = times.pop("copy")
    copy_gbs = 2 * x.nbytes / copy_s / 1e9
    print(f"sum(tanh(x*w + b)**2 + 0.5*x), x: {args.n:,} float32, median of {args.repeats} "
          f"(in 5 interleaved rounds); "
          f"plain copy {copy_s * 1e3:.2f} ms = {copy_gbs:.1f} GB/s (read + write)")
    print("vs hand: against the hand-written prange loop with fastmath (the practical limit); "
          "vs jax: JAX's time / this time (>1: faster than JAX); GB/s: bytes of x read per "
          "second")
    print(f"{'':26} {'ms':>8} {'vs numpy':>9} {'vs hand':>8} {'vs jax':>7} {'GB/s':>6} "
          f"{'of copy':>8} {'peak MiB':>9} {'rel err':>9}")
    peaks = {name: peak_extra_mib(fn) for name, fn in {**rows, **grad_rows}.items()}
    for name, fn in {**rows, **grad_rows}.items():
        peak = peaks[name]
        err = abs(float(fn()) - want) / abs(want) if name in rows else float("nan")
        gbs = x.nbytes / times[name] / 1e9
        base = times["numpy grad_w" if name in grad_rows else "numpy"]
        hand_t = times.get("numba hand loop fastmath")
        vs_hand = f"{hand_t / times[name]:8.2f}" if hand_t and name not in grad_rows else " " * 8
        jax_t = times.get("jax jit(grad) w" if name in grad_rows else "jax jit")
        vs_jax = f"{jax_t / times[name]:7.2f}" if jax_t else " " * 7
        print(f"{name:26} {times[name] * 1e3:8.2f} {base / times[name]:9.2f} {vs_hand} {vs_jax} "
              f"{gbs:6.1f} {gbs / copy_gbs:8.2f} {peak if peak is not None else float('nan'):9.1f} "
              f"{err:9.1e}")

if __name__ == "__main__":
    main()
