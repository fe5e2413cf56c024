"""Sliding windows over the spatial axes of channels-last arrays, written with slicing and
padding only, so convolutions and pooling need no special primitive: grad, vmap and jit
see ordinary slice/pad/concatenate/dot_general ops.

For an input (batch, *spatial, channels), `patches` returns (batch, *out_spatial,
window_size, channels): for each output position, the input elements its window covers,
window offsets in row-major order (so a kernel of shape (*window, C, F) reshaped to
(window_size * C, F) lines up with the patches reshaped to (..., window_size * C))."""
from __future__ import annotations

import itertools

import numpy as np

__all__ = ["normalize_tuple", "output_size", "padding_amounts", "patches", "pad_spatial"]

PADDINGS = ("valid", "same", "causal")


def normalize_tuple(value, n: int, what: str) -> tuple[int, ...]:
    """An int or a sequence of n ints -> a tuple of n positive ints."""
    values = (int(value),) * n if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)
    if len(values) != n or any(v < 1 for v in values):
        raise ValueError(f"{what} must be a positive int or {n} positive ints, got {value!r}")
    return values


def output_size(size: int, window: int, stride: int, dilation: int, padding: str) -> int:
    extent = (window - 1) * dilation + 1
    if padding == "valid":
        return max(0, (size - extent) // stride + 1)
    return -(-size // stride)          # same / causal: ceil(size / stride)


def padding_amounts(size: int, window: int, stride: int, dilation: int,
                    padding: str) -> tuple[int, int]:
    """(before, after) zeros on one spatial axis (TensorFlow's convention: the odd one after)."""
    if padding == "valid":
        return 0, 0
    extent = (window - 1) * dilation + 1
    total = max((output_size(size, window, stride, dilation, padding) - 1) * stride + extent - size, 0)
    if padding == "causal":
        return total, 0
    return total // 2, total - total // 2


def pad_spatial(x, widths, value=0.0):
    """Pad the spatial axes (all but the first and last) by `widths` [(before, after), ...]."""
    if all(w == (0, 0) for w in widths):
        return x
    return np.pad(x, ((0, 0), *widths, (0, 0)), constant_values=value)


def patches(x, window, strides, dilation, padding: str, pad_value=0.0):
    """(batch, *spatial, C) -> (batch, *out_spatial, prod(window), C); see the module doc."""
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")
    spatial = x.shape[1:-1]
    widths = [padding_amounts(n, k, s, d, padding)
              for n, k, s, d in zip(spatial, window, strides, dilation)]
    out = [output_size(n, k, s, d, padding) for n, k, s, d in zip(spatial, window, strides, dilation)]
    if min(out, default=1) < 1:
        raise ValueError(f"a window of {tuple(window)} (dilation {tuple(dilation)}) does not fit "
                         f"in an input of spatial shape {tuple(spatial)} with padding 'valid'")
    xp = pad_spatial(x, widths, pad_value)
    slices = []
    for offsets in itertools.product(*[range(k) for k in window]):
        index = tuple(slice(o * d, o * d + (m - 1) * s + 1, s)
                      for o, d, m, s in zip(offsets, dilation, out, strides))
        slices.append(xp[(slice(None),) + index + (slice(None),)])
    return np.stack(slices, axis=-2)
