"""Explicit, splittable random numbers: a key is a uint32 array of shape (2,), and every
draw is a pure function of its key (Threefry-2x32, counter-based; no global state).

>>> k1, k2 = split(key(0))
>>> uniform(k1, (2,)).shape
(2,)

Distributions are written with the framework's own ops on the bits of `threefry2x32`, so
the same key gives bit-identical numbers eagerly, under `jit` and under `vmap`."""
from __future__ import annotations

import numpy as np
import scipy.special

from .numpy_api.basic import astype, aval, reshape
from .ops.random import threefry2x32

__all__ = ["key", "split", "fold_in", "bits", "uniform", "normal", "bernoulli", "categorical",
           "randint", "permutation", "truncated_normal"]


def key(seed: int) -> np.ndarray:
    """A key from an integer seed (the high and low 32 bits of a 64-bit seed)."""
    seed = int(seed) & 0xFFFFFFFFFFFFFFFF
    return np.array([seed >> 32, seed & 0xFFFFFFFF], dtype=np.uint32)


def _check_key(k):
    t = aval(k)
    if t.dtype != np.uint32 or t.shape[-1:] != (2,):
        raise TypeError(f"a random key is a uint32 array of shape (2,) made by random.key(seed), "
                        f"not {t}")


def _counters(n: int) -> np.ndarray:
    return np.stack([np.zeros(n, np.uint32), np.arange(n, dtype=np.uint32)], axis=-1)


def split(k, num: int = 2):
    """`num` new independent keys, stacked: shape (num, 2)."""
    _check_key(k)
    return threefry2x32.bind(reshape(k, (1, 2)), _counters(num))


def fold_in(k, data):
    """A new key mixing in the integer `data` (e.g. a step number)."""
    _check_key(k)
    count = np.array([1, 0], np.uint32) + astype(data, np.uint32) * np.array([0, 1], np.uint32)
    return threefry2x32.bind(k, count)


def bits(k, shape=()) -> "np.ndarray":
    """uint32 random bits of the given shape."""
    _check_key(k)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    n = int(np.prod(shape, dtype=np.int64))
    words = reshape(threefry2x32.bind(reshape(k, (1, 2)), _counters(-(-n // 2))), (-1,))
    if aval(words).shape[0] != n:
        words = words[:n]
    return reshape(words, shape)


def _unit(k, shape, dtype):
    """Uniform in [0, 1) with all the mantissa bits of `dtype`."""
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return astype(bits(k, shape) // np.uint32(256), np.float32) * np.float32(2.0 ** -24)
    if dtype != np.float64:
        raise TypeError(f"random: floating dtype float32 or float64 expected, not {dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    words = bits(k, tuple(shape) + (2,))
    hi = astype(words[..., 0] // np.uint32(32), np.float64)       # 27 bits
    lo = astype(words[..., 1] // np.uint32(64), np.float64)       # 26 bits
    return (hi * 2.0 ** 26 + lo) * 2.0 ** -53


def uniform(k, shape=(), dtype=np.float64, minval=0.0, maxval=1.0):
    """Uniform samples in [minval, maxval)."""
    u = _unit(k, shape, dtype)
    return u * (astype(maxval, dtype) - astype(minval, dtype)) + astype(minval, dtype)


def normal(k, shape=(), dtype=np.float64):
    """Standard normal samples (Box-Muller on two independent uniforms)."""
    k1, k2 = split(k)
    u1 = 1 - _unit(k1, shape, dtype)                 # in (0, 1]: log is finite
    u2 = _unit(k2, shape, dtype)
    two_pi = np.asarray(2 * np.pi, dtype)
    return np.sqrt(np.asarray(-2, dtype) * np.log(u1)) * np.cos(two_pi * u2)


def bernoulli(k, p=0.5, shape=None):
    """Booleans that are True with probability p."""
    shape = aval(p).shape if shape is None else shape
    return _unit(k, shape, np.float64) < p


def categorical(k, logits, axis: int = -1, shape=None):
    """Samples of indices along `axis` with probabilities softmax(logits) (Gumbel-max)."""
    logits = np.asarray(logits) if isinstance(logits, (list, tuple)) else logits
    t = aval(logits)
    batch = t.shape[:axis % t.ndim] + t.shape[axis % t.ndim + 1:]
    shape = batch if shape is None else tuple(shape)
    axis = axis % t.ndim
    if shape[len(shape) - len(batch):] != batch:
        raise ValueError(f"categorical: shape {shape} must end with the logits' batch shape {batch}")
    u = _unit(k, shape[:len(shape) - len(batch)] + t.shape, np.float64)
    gumbel = -np.log(-np.log(np.maximum(u, np.finfo(np.float64).tiny)))
    extra = len(aval(u).shape) - t.ndim
    return np.argmax(gumbel + logits, axis=axis + extra)


def randint(k, shape, minval, maxval, dtype=np.int64):
    """Integers uniform in [minval, maxval)."""
    span = astype(maxval, np.float64) - astype(minval, np.float64)
    u = _unit(k, shape, np.float64)
    return astype(np.floor(u * span), dtype) + astype(minval, dtype)


def permutation(k, x):
    """A random permutation of range(x) (x an int) or of x's first axis."""
    n = x if isinstance(x, (int, np.integer)) else aval(x).shape[0]
    order = np.argsort(_unit(k, (int(n),), np.float64))
    return order if isinstance(x, (int, np.integer)) else np.take(x, order, axis=0)


def _ndtri(p):
    """Inverse of the standard normal CDF: Acklam's rational approximation refined by one
    Halley step on erf (accurate to float64 roundoff for p in (0, 1))."""
    a = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
         1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
    b = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
         6.680131188771972e+01, -1.328068155288572e+01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
         -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
         3.754408661907416e+00)
    q = np.minimum(p, 1 - p)
    tail = np.sqrt(-2 * np.log(np.maximum(q, 1e-300)))
    x_tail = (((((c[0] * tail + c[1]) * tail + c[2]) * tail + c[3]) * tail + c[4]) * tail + c[5]) / \
        ((((d[0] * tail + d[1]) * tail + d[2]) * tail + d[3]) * tail + 1)
    r = (p - 0.5) ** 2
    x_mid = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * (p - 0.5) / \
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    x = np.where(q < 0.02425, np.where(p < 0.5, x_tail, -x_tail), x_mid)
    err = _normal_cdf(x) - p
    step = err * np.sqrt(2 * np.pi) * np.exp(x * x / 2)
    return x - step / (1 + x * step / 2)


def _normal_cdf(x):
    return 0.5 * (1 + scipy.special.erf(x / np.sqrt(2)))


def truncated_normal(k, lower, upper, shape=(), dtype=np.float64):
    """Standard normal samples conditioned on lower < x < upper (inverse-CDF method)."""
    lo, hi = _normal_cdf(astype(lower, np.float64)), _normal_cdf(astype(upper, np.float64))
    u = _unit(k, shape, np.float64)
    p = np.clip(lo + u * (hi - lo), np.nextafter(0.0, 1.0), 1 - 2 ** -53)
    return astype(np.clip(_ndtri(p), lower, upper), dtype)
