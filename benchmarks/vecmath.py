"""Benchmark: NumPy ufuncs vs Numba loops over math.* vs kernels.vecmath.

Run from the repository root:  python -m benchmarks.vecmath [n_elements]
Prints ns/element (median of several runs) for 10M float32/float64 elements,
serial and parallel (prange), and the speed-up of vecmath over the others.
"""
import math
import sys
import time

import numpy as np
from numba import njit, prange, get_num_threads

from kernels.vecmath import vm_exp, vm_log, vm_tanh

OPS = {  # name: (numpy ufunc, math function, vecmath function, input range)
    "tanh": (np.tanh, math.tanh, vm_tanh, (-5.0, 5.0)),
    "exp": (np.exp, math.exp, vm_exp, (-20.0, 20.0)),
    "log": (np.log, math.log, vm_log, (1e-3, 1e3)),
}
REPEATS = 7


def serial_loop(f):
    @njit
    def run(x, out):
        for i in range(x.size):
            out[i] = f(x[i])
    return run


def parallel_loop(f):
    @njit(parallel=True)
    def run(x, out):
        for i in prange(x.size):
            out[i] = f(x[i])
    return run


def median_ns(fn, x, out):
    fn(x, out)  # warm-up (compiles numba functions, faults in pages)
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn(x, out)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) / x.size * 1e9


def main(n=10_000_000):
    rng = np.random.default_rng(0)
    cols = ["numpy", "math", "vm", "math||", "vm||"]
    print(f"{n:,} elements, {get_num_threads()} threads, ns/element "
          f"(median of {REPEATS}); || = parallel=True + prange")
    print(f"{'op':6}{'dtype':9}" + "".join(f"{c:>9}" for c in cols)
          + f"{'np/vm':>8}{'math/vm':>9}{'np/vm||':>9}")
    for name, (ufunc, mfunc, vfunc, (lo, hi)) in OPS.items():
        for dtype in (np.float32, np.float64):
            x = rng.uniform(lo, hi, n).astype(dtype)
            out = np.empty_like(x)
            t = {
                "numpy": median_ns(lambda x, o: ufunc(x, out=o), x, out),
                "math": median_ns(serial_loop(mfunc), x, out),
                "vm": median_ns(serial_loop(vfunc), x, out),
                "math||": median_ns(parallel_loop(mfunc), x, out),
                "vm||": median_ns(parallel_loop(vfunc), x, out),
            }
            print(f"{name:6}{np.dtype(dtype).name:9}"
                  + "".join(f"{t[c]:9.2f}" for c in cols)
                  + f"{t['numpy'] / t['vm']:8.2f}{t['math'] / t['vm']:9.2f}"
                  + f"{t['numpy'] / t['vm||']:9.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
