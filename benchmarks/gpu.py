"""The cuda backend on a real GPU, against CuPy, PyTorch and JAX when installed, all
measured in this run:

1. a fused element-wise chain over 2**26 float32 elements (two inputs, one output), as
   effective bandwidth and as a fraction of the device's copy bandwidth (a device-to-device
   copy of the same size, measured here);
2. a 4096 x 4096 float32 matrix product in TFLOP/s (numbaflow through cuBLAS via CuPy or
   PyTorch, and through its own tiled shared-memory kernel);
3. one SGD training step of the MLP 784-512-512-10 (tanh, softmax cross-entropy, batch
   128: benchmarks/mlp_step.py's loss), jit(grad + update), parameters staying on the
   device.

Prints one table: median times, the metric, and each time over numbaflow's (> 1: numbaflow
is faster). Every result is checked against NumPy first.

    PYTHONPATH=. python benchmarks/gpu.py [--repeats 20] [--elements 67108864] [--n 4096]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")   # JAX: leave memory to the others

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

from mlp_step import LR, batch, init_params, loss  # noqa: E402


def chain(xp, x, y):
    """~10 element-wise ops: one fused kernel reads x and y once and writes once."""
    return xp.tanh(x * 1.5 + y) * 0.5 + xp.exp(-(x * x)) * y - x


def timed(fn, sync, repeats: int, inner: int = 1) -> float:
    """Median seconds per call (each sample: `inner` calls, then a device sync)."""
    for _ in range(2):
        fn()
    sync()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        samples.append((time.perf_counter() - start) / inner)
    return float(np.median(samples))


def _close(got, want, rtol):
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64),
                               rtol=rtol, atol=rtol)


class Libraries:
    """The installed comparisons that have a GPU."""

    def __init__(self):
        self.cupy = self.torch = self.jax = None
        try:
            import cupy
            cupy.cuda.runtime.getDeviceCount()
            self.cupy = cupy
        except Exception:   # noqa: BLE001
            pass
        try:
            import torch
            if torch.cuda.is_available():
                self.torch = torch
        except Exception:   # noqa: BLE001
            pass
        try:
            import jax
            if jax.devices()[0].platform == "gpu":
                jax.config.update("jax_default_matmul_precision", "highest")   # true float32
                self.jax = jax
        except Exception:   # noqa: BLE001
            pass


def bench_copy_bandwidth(cuda, n, repeats, libs):
    src = cuda.to_device(np.ones(n, np.float32))
    dst = cuda.device_array(n, np.float32)
    seconds = timed(lambda: dst.copy_to_device(src), cuda.synchronize, repeats)
    best = 2 * 4 * n / seconds
    if libs.cupy is not None:
        cp = libs.cupy
        a, b = cp.ones(n, cp.float32), cp.empty(n, cp.float32)
        t = timed(lambda: cp.copyto(b, a), cp.cuda.Device().synchronize, repeats)
        best = max(best, 2 * 4 * n / t)
    return best


def bench_elementwise(cuda, n, repeats, libs, copy_bw, rows):
    from transforms import jit
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n, dtype=np.float32)
    y = rng.standard_normal(n, dtype=np.float32)
    want = chain(np, x[:4096], y[:4096])
    nbytes = 3 * 4 * n
    f = jit(lambda x, y: chain(np, x, y), backend="cuda")
    dx, dy = cuda.to_device(x), cuda.to_device(y)
    _close(f(dx, dy).copy_to_host()[:4096], want, 1e-5)
    impls = [("numbaflow cuda (fused)", lambda: f(dx, dy), cuda.synchronize)]
    if libs.cupy is not None:
        cp = libs.cupy
        cx, cy = cp.asarray(x), cp.asarray(y)
        def fused_chain(a, b):      # (cupy.fuse names the kernel after the function)
            return chain(cp, a, b)
        fused = cp.fuse(fused_chain)
        _close(cp.asnumpy(fused(cx, cy)[:4096]), want, 1e-5)
        sync = cp.cuda.Device().synchronize
        impls += [("CuPy (one kernel per op)", lambda: chain(cp, cx, cy), sync),
                  ("CuPy cupy.fuse", lambda: fused(cx, cy), sync)]
    if libs.torch is not None:
        torch = libs.torch
        tx, ty = torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda()
        _close(chain(torch, tx, ty)[:4096].cpu().numpy(), want, 1e-5)
        impls.append(("PyTorch eager", lambda: chain(torch, tx, ty), torch.cuda.synchronize))
    if libs.jax is not None:
        jax, jnp = libs.jax, libs.jax.numpy
        jf = jax.jit(lambda a, b: chain(jnp, a, b))
        jx, jy = jnp.asarray(x), jnp.asarray(y)
        _close(np.asarray(jf(jx, jy)[:4096]), want, 1e-5)
        impls.append(("JAX jit (XLA fusion)", lambda: jf(jx, jy).block_until_ready(),
                      lambda: None))
    for name, fn, sync in impls:
        t = timed(fn, sync, repeats)
        bw = nbytes / t
        rows.append(("element-wise chain, 2^%d f32" % int(np.log2(n)), name, t,
                     f"{bw / 1e9:7.0f} GB/s = {100 * bw / copy_bw:3.0f}% of copy"))


def bench_matmul(cuda, n, repeats, libs, rows):
    from transforms import jit
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    rows_check = a[:8] @ b
    flops = 2.0 * n ** 3
    da, db = cuda.to_device(a), cuda.to_device(b)
    impls = []
    for label, blas in (("numbaflow cuda (cuBLAS)", "auto"), ("numbaflow cuda (tiled kernel)",
                                                            "numba")):
        os.environ["NUMBAFLOW_CUDA_BLAS"] = blas
        f = jit(lambda a, b: a @ b, backend="cuda")
        _close(f(da, db).copy_to_host()[:8], rows_check, 2e-3)
        from kernels.cuda.matmul import blas_library
        impls.append((f"{label} [{blas_library()}]" if blas == "auto" else label,
                      (lambda f=f: f(da, db)), cuda.synchronize))
    os.environ.pop("NUMBAFLOW_CUDA_BLAS")
    if libs.cupy is not None:
        cp = libs.cupy
        ca, cb = cp.asarray(a), cp.asarray(b)
        impls.append(("CuPy", lambda: ca @ cb, cp.cuda.Device().synchronize))
    if libs.torch is not None:
        torch = libs.torch
        ta, tb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
        impls.append(("PyTorch (no TF32)", lambda: ta @ tb, torch.cuda.synchronize))
    if libs.jax is not None:
        jnp = libs.jax.numpy
        ja, jb = jnp.asarray(a), jnp.asarray(b)
        mm = libs.jax.jit(lambda a, b: a @ b)
        impls.append(("JAX jit (precision highest)", lambda: mm(ja, jb).block_until_ready(),
                      lambda: None))
    for name, fn, sync in impls:
        t = timed(fn, sync, max(3, repeats // 2))
        rows.append((f"matmul {n}x{n} f32", name, t, f"{flops / t / 1e12:6.1f} TFLOP/s"))


def bench_mlp(cuda, batch_size, repeats, libs, rows):
    from tracer import tree_map
    from transforms import grad, jit

    def step(params, x, y):
        g = grad(loss)(params, x, y)
        return tree_map(lambda p, d: p - LR * d, params, g)
    params = init_params()
    x, y = batch(batch_size)
    want = step(params, x, y)
    f = jit(step, backend="cuda")
    dev = {k: cuda.to_device(v) for k, v in params.items()}
    dx, dy = cuda.to_device(x), cuda.to_device(y)
    got = f(dev, dx, dy)
    for k in want:
        _close(got[k].copy_to_host(), want[k], 1e-4)
    state = [dev]

    def ours():
        state[0] = f(state[0], dx, dy)
    impls = [("numbaflow cuda jit(grad)+SGD", ours, cuda.synchronize)]
    if libs.torch is not None:
        torch = libs.torch
        tp = {k: torch.from_numpy(v).cuda().requires_grad_() for k, v in params.items()}
        tx, ty = torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda()

        def torch_step():
            h = tx
            for k in range(2):
                h = torch.tanh(h @ tp[f"w{k}"] + tp[f"b{k}"])
            logp = torch.log_softmax(h @ tp["w2"] + tp["b2"], dim=1)
            value = -(logp * ty).sum(dim=1).mean()
            grads = torch.autograd.grad(value, list(tp.values()))
            with torch.no_grad():
                for p, g in zip(tp.values(), grads):
                    p -= LR * g
        impls.append(("PyTorch eager autograd", torch_step, torch.cuda.synchronize))
    if libs.jax is not None:
        jax, jnp = libs.jax, libs.jax.numpy

        def jloss(p, x, y):
            h = x
            for k in range(2):
                h = jnp.tanh(h @ p[f"w{k}"] + p[f"b{k}"])
            logp = jax.nn.log_softmax(h @ p["w2"] + p["b2"], axis=1)
            return -jnp.mean(jnp.sum(logp * y, axis=1))
        jstep = jax.jit(lambda p, x, y: jax.tree_util.tree_map(
            lambda a, g: a - LR * g, p, jax.grad(jloss)(p, x, y)))
        jstate = [{k: jnp.asarray(v) for k, v in params.items()}]
        jx, jy = jnp.asarray(x), jnp.asarray(y)

        def jax_step():
            jstate[0] = jstep(jstate[0], jx, jy)
            jax.block_until_ready(jstate[0])
        impls.append(("JAX jit", jax_step, lambda: None))
    for name, fn, sync in impls:
        t = timed(fn, sync, repeats, inner=10)
        rows.append((f"MLP 784-512-512-10 step, batch {batch_size}", name, t,
                     f"{1e3 * t:7.3f} ms/step"))


def print_table(rows):
    print(f"{'benchmark':<36} {'implementation':<36} {'median':>10}  {'metric':<30} "
          f"{'time / numbaflow':>16}")
    base = {}
    for bench, name, t, metric in rows:
        base.setdefault(bench, t)      # numbaflow comes first in each benchmark
        ratio = t / base[bench]
        print(f"{bench:<36} {name:<36} {t * 1e3:8.3f}ms  {metric:<30} {ratio:16.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--elements", type=int, default=1 << 26)
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--only", nargs="*", default=["elementwise", "matmul", "mlp"])
    args = parser.parse_args()
    import kernels
    from kernels.cuda.device import require_cuda
    cuda = require_cuda()
    print("devices:", "; ".join(str(d) for d in kernels.devices()))
    libs = Libraries()
    print("comparisons:", ", ".join(n for n in ("cupy", "torch", "jax")
                                     if getattr(libs, n) is not None) or "none installed")
    rows = []
    if "elementwise" in args.only:
        copy_bw = bench_copy_bandwidth(cuda, args.elements, args.repeats, libs)
        print(f"device copy bandwidth (read + write): {copy_bw / 1e9:.0f} GB/s")
        bench_elementwise(cuda, args.elements, args.repeats, libs, copy_bw, rows)
    if "matmul" in args.only:
        bench_matmul(cuda, args.n, args.repeats, libs, rows)
    if "mlp" in args.only:
        bench_mlp(cuda, args.batch, args.repeats, libs, rows)
    print_table(rows)


if __name__ == "__main__":
    main()
