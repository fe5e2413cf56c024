"""What every benchmark measures with: the median wall time of a call."""
from __future__ import annotations

import time

import numpy as np

__all__ = ["median_seconds"]


def median_seconds(fn, repeats: int, pause: float = 0.3) -> float:
    """Median wall time of `fn()` over `repeats` calls, after two warm-up calls (compile,
    fill caches) separated by a short pause: OpenBLAS threads busy-wait for a while after
    each call, and NumPy and SciPy (Numba's BLAS) each have their own pool, so one series
    would otherwise run against the other's spinning threads."""
    fn()
    time.sleep(pause)
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))
