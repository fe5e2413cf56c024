"""Pooling over the spatial axes of channels-last inputs (batch, height, width, channels).

When the pool tiles the input (strides == pool_size, padding "valid") the pool is a reshape
and one reduction; otherwise it reduces over the stacked windows (nn.layers.windows)."""
from __future__ import annotations

import numpy as np

from .base import Layer, register_layer
from .windows import normalize_tuple, patches

__all__ = ["MaxPool2D", "AveragePool2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D",
           "MaxPooling2D", "AveragePooling2D"]


class _Pool2D(Layer):
    def __init__(self, pool_size=2, strides=None, padding: str = "valid", name: str | None = None):
        super().__init__(name)
        self.pool_size = normalize_tuple(pool_size, 2, "pool_size")
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, 2, "strides")
        if padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', got {padding!r}")
        self.padding = padding

    def _tiles(self, x):
        """(batch, h', w', ph, pw, C) view of the input when the pool tiles it, else None."""
        if self.strides != self.pool_size or self.padding != "valid":
            return None
        (ph, pw), (n, h, w, c) = self.pool_size, x.shape
        oh, ow = h // ph, w // pw
        if oh < 1 or ow < 1:
            return None
        x = x[:, :oh * ph, :ow * pw, :] if (oh * ph, ow * pw) != (h, w) else x
        return np.reshape(x, (n, oh, ph, ow, pw, c))

    def _windows(self, x, pad_value):
        return patches(x, self.pool_size, self.strides, (1, 1), self.padding, pad_value)


@register_layer
class MaxPool2D(_Pool2D):
    """Maximum over each pool window (padding "same" pads with -inf, so it is never chosen)."""

    def call(self, params, x, *, training=False, rng=None):
        tiles = self._tiles(x)
        if tiles is not None:
            return np.max(tiles, axis=(2, 4))
        return np.max(self._windows(x, -np.inf), axis=-2)


@register_layer
class AveragePool2D(_Pool2D):
    """Mean over each pool window; with padding "same" the mean is over the window's
    elements inside the input only (the padding is not counted, as in Keras)."""

    def call(self, params, x, *, training=False, rng=None):
        tiles = self._tiles(x)
        if tiles is not None:
            return np.mean(tiles, axis=(2, 4))
        total = np.sum(self._windows(x, 0.0), axis=-2)
        if self.padding == "valid":
            return total / (self.pool_size[0] * self.pool_size[1])
        # how many real elements each window covers: a constant, computed eagerly on ones
        ones = np.ones((1,) + x.shape[1:3] + (1,), np.float64)
        count = np.sum(self._windows(ones, 0.0), axis=-2).astype(x.dtype)
        return total / count


@register_layer
class GlobalAveragePooling2D(Layer):
    """(batch, h, w, C) -> (batch, C): the mean over height and width."""

    def call(self, params, x, *, training=False, rng=None):
        return np.mean(x, axis=(1, 2))


@register_layer
class GlobalMaxPooling2D(Layer):
    """(batch, h, w, C) -> (batch, C): the maximum over height and width."""

    def call(self, params, x, *, training=False, rng=None):
        return np.max(x, axis=(1, 2))


# Keras' longer names for the same layers
MaxPooling2D, AveragePooling2D = MaxPool2D, AveragePool2D
