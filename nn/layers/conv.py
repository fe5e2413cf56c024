"""Convolutions over channels-last inputs, as im2col: the windows (strided and dilated
slices of the padded input) stacked into patches, then one matrix product with the kernel.

Conv1D: (batch, steps, channels) -> (batch, new_steps, filters), kernel (k, C, F).
Conv2D: (batch, height, width, channels) -> (batch, h', w', filters), kernel (kh, kw, C, F).
Padding "valid" (no padding), "same" (output size ceil(input / stride), as TensorFlow pads),
and for Conv1D "causal" (all padding before: output t sees inputs up to t)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from tracer import random

from .. import activations, initializers
from .base import Layer, register_layer
from .windows import normalize_tuple, patches

__all__ = ["Conv1D", "Conv2D"]


class _Conv(Layer):
    rank = 0  # number of spatial axes

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid",
                 dilation_rate=1, activation: str | Callable | None = None, use_bias: bool = True,
                 kernel_initializer: str | Callable = "glorot_uniform",
                 bias_initializer: str | Callable = "zeros", name: str | None = None):
        super().__init__(name)
        n = self.rank
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, n, "kernel_size")
        self.strides = normalize_tuple(strides, n, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, n, "dilation_rate")
        allowed = ("valid", "same", "causal") if n == 1 else ("valid", "same")
        if padding not in allowed:
            raise ValueError(f"{type(self).__name__}: padding must be one of {allowed}, got {padding!r}")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{type(self).__name__}: strides > 1 together with dilation_rate > 1 "
                             "is not supported (as in Keras)")
        self.padding, self.activation, self.use_bias = padding, activation, use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def init_params(self, key, x) -> dict:
        if x.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} expects inputs (batch, {self.rank} spatial "
                             f"axes, channels), got shape {x.shape}")
        k1, k2 = random.split(key)
        shape = self.kernel_size + (x.shape[-1], self.filters)
        params = {"kernel": initializers.get(self.kernel_initializer)(k1, shape)}
        if self.use_bias:
            params["bias"] = initializers.get(self.bias_initializer)(k2, (self.filters,))
        return params

    def call(self, params, x, *, training=False, rng=None):
        kernel = params["kernel"]
        p = patches(x, self.kernel_size, self.strides, self.dilation_rate, self.padding)
        p = np.reshape(p, p.shape[:-2] + (p.shape[-2] * p.shape[-1],))
        y = np.tensordot(p, np.reshape(kernel, (-1, self.filters)), axes=1)
        if self.use_bias:
            y = y + params["bias"]
        return activations.get(self.activation)(y)


@register_layer
class Conv1D(_Conv):
    """1-D convolution (cross-correlation, as in every deep learning library); see module doc."""
    rank = 1


@register_layer
class Conv2D(_Conv):
    """2-D convolution (cross-correlation, as in every deep learning library); see module doc."""
    rank = 2
