"""What every benchmark measures with: the median wall time of a call."""
from __future__ import annotations

import time

import numpy as np

__all__ = ["median_seconds", "median_times", "peak_extra_mib"]


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


def median_times(fns: dict, repeats: int, rounds: int = 5, pause: float = 0.2) -> dict:
    """{name: median wall time of fn()} for the callables in `fns`, measured in `rounds`
    interleaved rounds of about repeats/rounds calls each: these machines are shared (steal
    time comes and goes for seconds), so a slow spell lands on every column, and the ratios
    taken from one table stay fair. Each fn is warmed up (called twice) first; before each
    series the machine rests for `pause` s, for the reason `median_seconds` gives."""
    for fn in fns.values():
        fn()
        fn()
    per_round = max(1, -(-repeats // rounds))
    times: dict = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            time.sleep(pause)
            for _ in range(per_round):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def peak_extra_mib(fn) -> float | None:
    """Peak resident memory while fn runs, above what was resident before (Linux: resets
    the high-water mark through /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None

    def rss(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024
    base = rss("VmRSS:")
    fn()
    return rss("VmHWM:") - base
