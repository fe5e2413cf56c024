"""Weight initializers: `init(key, shape, dtype) -> array`, pure functions of a random key.

Fans follow Keras: for a kernel of shape (*receptive_field, fan_in_channels, out_channels)
fan_in = prod(receptive_field) * shape[-2] and fan_out = prod(receptive_field) * shape[-1].
The *_normal variants draw a normal truncated at two standard deviations, rescaled so the
variance is the target one (as Keras and JAX do)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from tracer import random

__all__ = ["zeros", "ones", "constant", "glorot_uniform", "glorot_normal", "he_uniform",
           "he_normal", "lecun_uniform", "lecun_normal", "orthogonal", "uniform", "normal", "variance_scaling",
           "get", "fans"]

# std of a standard normal truncated to (-2, 2): divide by it to restore unit variance
_TRUNCATED_STD = 0.87962566103423978


def fans(shape: tuple) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of this shape."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2], dtype=np.int64))
    return shape[-2] * receptive, shape[-1] * receptive


def zeros(key, shape, dtype=np.float32):
    return np.zeros(shape, dtype)


def ones(key, shape, dtype=np.float32):
    return np.ones(shape, dtype)


def constant(value: float) -> Callable:
    def init(key, shape, dtype=np.float32):
        return np.full(shape, value, dtype)
    return init


def variance_scaling(scale: float, mode: str, distribution: str) -> Callable:
    """Samples with variance scale / fan, fan by `mode` ("fan_in", "fan_out", "fan_avg"),
    from a "uniform" or (truncated) "normal" distribution."""
    if mode not in ("fan_in", "fan_out", "fan_avg") or distribution not in ("uniform", "normal"):
        raise ValueError(f"variance_scaling: unknown mode {mode!r} or distribution {distribution!r}")

    def init(key, shape, dtype=np.float32):
        fan_in, fan_out = fans(tuple(shape))
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        variance = scale / max(1.0, fan)
        if distribution == "uniform":
            limit = np.sqrt(3 * variance)
            return random.uniform(key, shape, dtype, -limit, limit)
        std = np.sqrt(variance) / _TRUNCATED_STD
        return (random.truncated_normal(key, -2.0, 2.0, shape, dtype) * std).astype(dtype)
    return init


glorot_uniform = variance_scaling(1.0, "fan_avg", "uniform")
glorot_normal = variance_scaling(1.0, "fan_avg", "normal")
he_uniform = variance_scaling(2.0, "fan_in", "uniform")
he_normal = variance_scaling(2.0, "fan_in", "normal")
lecun_uniform = variance_scaling(1.0, "fan_in", "uniform")
lecun_normal = variance_scaling(1.0, "fan_in", "normal")


def orthogonal(key, shape, dtype=np.float32, gain: float = 1.0):
    """A (semi-)orthogonal matrix over the last axis: the weight reshaped to
    (prod(shape[:-1]), shape[-1]) has orthonormal rows or columns, whichever are fewer."""
    if len(shape) < 2:
        raise ValueError(f"orthogonal: needs a shape of at least 2 dimensions, got {shape}")
    rows, cols = int(np.prod(shape[:-1], dtype=np.int64)), shape[-1]
    a = np.asarray(random.normal(key, (max(rows, cols), min(rows, cols)), np.float64))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))          # makes the decomposition unique: uniform over O(n)
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape).astype(dtype)


def uniform(key, shape, dtype=np.float32):
    """Uniform in [-0.05, 0.05) (Keras' "uniform", the default for embeddings)."""
    return random.uniform(key, shape, dtype, -0.05, 0.05)


def normal(key, shape, dtype=np.float32):
    """Normal with standard deviation 0.05 (Keras' "normal")."""
    return (random.normal(key, shape, dtype) * 0.05).astype(dtype)


_BY_NAME = {
    "uniform": uniform, "normal": normal, "zeros": zeros, "ones": ones, "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal, "he_uniform": he_uniform, "he_normal": he_normal,
    "lecun_uniform": lecun_uniform, "lecun_normal": lecun_normal, "orthogonal": orthogonal,
}


def get(initializer: str | Callable) -> Callable:
    """The initializer for a name or a callable `init(key, shape, dtype)`."""
    if callable(initializer):
        return initializer
    try:
        return _BY_NAME[initializer]
    except KeyError:
        raise ValueError(f"unknown initializer {initializer!r}; known: {sorted(_BY_NAME)}") from None
