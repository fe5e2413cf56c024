"""Core layers: Dense, Flatten, Reshape, Activation, Dropout, Embedding."""
from __future__ import annotations

from typing import Callable

import numpy as np

from tracer import random

from .. import activations, initializers
from .base import Layer, dense_product, register_layer

__all__ = ["Dense", "Flatten", "Reshape", "Activation", "Dropout", "Embedding"]


@register_layer
class Dense(Layer):
    """y = activation(x @ kernel + bias) on the last axis of x.
    Params: kernel (in_features, units), bias (units,)."""

    def __init__(self, units: int, activation: str | Callable | None = None, use_bias: bool = True,
                 kernel_initializer: str | Callable = "glorot_uniform",
                 bias_initializer: str | Callable = "zeros", name: str | None = None):
        super().__init__(name)
        self.units, self.activation, self.use_bias = int(units), activation, use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def init_params(self, key, x) -> dict:
        k1, k2 = random.split(key)
        params = {"kernel": initializers.get(self.kernel_initializer)(k1, (x.shape[-1], self.units))}
        if self.use_bias:
            params["bias"] = initializers.get(self.bias_initializer)(k2, (self.units,))
        return params

    def call(self, params, x, *, training=False, rng=None):
        y = dense_product(x, params["kernel"])
        if self.use_bias:
            y = y + params["bias"]
        return activations.get(self.activation)(y)


@register_layer
class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""

    def call(self, params, x, *, training=False, rng=None):
        return np.reshape(x, (x.shape[0], -1))


@register_layer
class Reshape(Layer):
    """Reshape every example to `target_shape` (one entry may be -1); the batch axis stays."""

    def __init__(self, target_shape: tuple, name: str | None = None):
        super().__init__(name)
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, params, x, *, training=False, rng=None):
        return np.reshape(x, (x.shape[0],) + self.target_shape)


@register_layer
class Activation(Layer):
    """Apply an activation function (a name from nn.activations, or a callable)."""

    def __init__(self, activation: str | Callable, name: str | None = None):
        super().__init__(name)
        self.activation = activation
        activations.get(activation)        # fail now, not at the first call

    def call(self, params, x, *, training=False, rng=None):
        return activations.get(self.activation)(x)


@register_layer
class Dropout(Layer):
    """In training, zero each element with probability `rate` and scale the others by
    1 / (1 - rate) (inverted dropout), so inference is the identity. Needs `rng` in training."""
    uses_rng = True

    def __init__(self, rate: float, name: str | None = None):
        super().__init__(name)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = float(rate)

    def call(self, params, x, *, training=False, rng=None):
        if not training or self.rate == 0:
            return x
        if rng is None:
            raise ValueError("Dropout in training mode needs a random key: "
                             "apply(..., training=True, rng=random.key(seed))")
        keep = random.bernoulli(rng, 1.0 - self.rate, x.shape)
        return np.where(keep, x / (1.0 - self.rate), 0)


@register_layer
class Embedding(Layer):
    """Integer ids (any shape) -> vectors: output shape ids.shape + (output_dim,).
    Params: embeddings (input_dim, output_dim)."""

    def __init__(self, input_dim: int, output_dim: int,
                 embeddings_initializer: str | Callable = "uniform", name: str | None = None):
        super().__init__(name)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = embeddings_initializer

    def init_params(self, key, x) -> dict:
        init = initializers.get(self.embeddings_initializer)
        return {"embeddings": init(key, (self.input_dim, self.output_dim))}

    def call(self, params, x, *, training=False, rng=None):
        if np.dtype(x.dtype).kind not in "iu":
            x = x.astype(np.int64)        # ids fed as floats (e.g. from a float array)
        return np.take(params["embeddings"], x, axis=0)
