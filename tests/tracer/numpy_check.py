"""Shared helpers of the NumPy front-end tests: trace a function with `make_graph`, evaluate
the graph, and compare with NumPy itself (value, shape, dtype)."""
from __future__ import annotations

import numpy as np

from tracer import eval_graph, make_graph, tree_leaves

__all__ = ["assert_traces_like_numpy", "sample", "DTYPES", "TOLERANCE"]

DTYPES = (np.float32, np.float64, np.int64)
# Compositions (mean = sum / n, log2 = log / ln 2, ...) round differently from NumPy's loops.
TOLERANCE = {np.dtype(np.float32): dict(rtol=2e-5, atol=2e-6),
             np.dtype(np.float64): dict(rtol=1e-11, atol=1e-13),
             np.dtype(np.float16): dict(rtol=2e-3, atol=1e-3)}


def sample(shape, dtype=np.float64, lo=-2.0, hi=2.0, seed=0):
    """Values in [lo, hi] (integers for integer dtypes, both values for bool)."""
    rng = np.random.default_rng(seed + 7919 * len(shape) + sum(shape))
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        return rng.integers(int(np.ceil(lo)), int(np.floor(hi)) + 1, shape).astype(dtype)
    return rng.uniform(lo, hi, shape).astype(dtype)


def assert_traces_like_numpy(fun, *args, rtol=None, atol=None, min_ops=1):
    """`fun` traced abstractly by make_graph and evaluated equals `fun` run by NumPy: same
    number of outputs, and each with NumPy's shape, dtype and values."""
    graph = make_graph(fun)(*args)
    assert len(graph.ops) >= min_ops, f"nothing was traced:\n{graph!r}"
    got = eval_graph(graph, tree_leaves(args))
    want = tree_leaves(fun(*args))
    assert len(got) == len(want), f"{len(got)} outputs, NumPy gives {len(want)}"
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, f"shape {g.shape}, NumPy gives {w.shape}\n{graph!r}"
        assert g.dtype == w.dtype, f"dtype {g.dtype}, NumPy gives {w.dtype}\n{graph!r}"
        tol = dict(TOLERANCE.get(w.dtype, dict(rtol=0, atol=0)))
        tol.update({k: v for k, v in (("rtol", rtol), ("atol", atol)) if v is not None})
        np.testing.assert_allclose(g, w, equal_nan=True, **tol, err_msg=repr(graph))
    return graph
