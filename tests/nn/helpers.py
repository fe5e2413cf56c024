"""Shared helpers of the nn tests: a finite-difference gradient check, the digits split,
and the backend the jitted steps of the tests use.

The nn tests check nn's own logic; they compile their steps with jit on the reference
"numpy" backend (fast to compile) unless NUMBAFLOW_NN_TEST_BACKEND names another
(e.g. "cpu" for the Numba backend; "default" for jit's default)."""
from __future__ import annotations

import os

import numpy as np

from tracer import tree_flatten, tree_map, tree_unflatten

_env = os.environ.get("NUMBAFLOW_NN_TEST_BACKEND", "numpy")
BACKEND = None if _env == "default" else _env


def as_float64(tree):
    return tree_map(lambda a: np.asarray(a, np.float64), tree)


def finite_difference_check(f, params, *rest, samples: int = 8, eps: float = 1e-6,
                            rtol: float = 1e-5, atol: float = 1e-6, seed: int = 0) -> None:
    """Assert grad(f) w.r.t. the pytree `params` (float64) matches central differences of
    f(params, *rest) on up to `samples` random coordinates of every leaf."""
    from transforms import grad
    params = as_float64(params)
    analytic, _ = tree_flatten(grad(f)(params, *rest))
    leaves, treedef = tree_flatten(params)
    rng = np.random.default_rng(seed)
    for i, leaf in enumerate(leaves):
        flat_positions = rng.choice(leaf.size, size=min(samples, leaf.size), replace=False)
        for pos in flat_positions:
            def at(delta):
                bumped = leaf.copy().reshape(-1)
                bumped[pos] += delta
                new = list(leaves)
                new[i] = bumped.reshape(leaf.shape)
                return float(f(tree_unflatten(treedef, new), *rest))
            numeric = (at(eps) - at(-eps)) / (2 * eps)
            got = float(np.asarray(analytic[i]).reshape(-1)[pos])
            assert np.isclose(got, numeric, rtol=rtol, atol=atol), \
                f"leaf {i} {leaf.shape} position {pos}: grad {got} vs finite difference {numeric}"


def projection(shape, seed: int = 1) -> np.ndarray:
    """A fixed random array: sum(output * projection) is a scalar that sees every output."""
    return np.random.default_rng(seed).normal(size=shape)


def digits_split(seed: int = 0):
    """The shipped digits scaled to [0, 1] (float32), shuffled with `seed`, split 80/20."""
    from nn.datasets import load_digits
    x, y = load_digits()
    x = (x / 16.0).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    cut = int(0.8 * len(x))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
