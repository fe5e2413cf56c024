"""BatchNormalization and LayerNormalization over a features axis (default: the last)."""
from __future__ import annotations

import numpy as np

from .base import Layer, register_layer

__all__ = ["BatchNormalization", "LayerNormalization"]


class _Normalization(Layer):
    def __init__(self, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, name: str | None = None):
        super().__init__(name)
        self.axis, self.epsilon, self.center, self.scale = int(axis), float(epsilon), center, scale

    def _features(self, x) -> int:
        return x.shape[self.axis]

    def _broadcastable(self, v, ndim: int):
        """A (features,) vector shaped to broadcast against an input of rank `ndim`."""
        shape = [1] * ndim
        shape[self.axis % ndim] = v.shape[0]
        return np.reshape(v, tuple(shape))

    def init_params(self, key, x) -> dict:
        n, params = self._features(x), {}
        if self.scale:
            params["gamma"] = np.ones((n,), np.float32)
        if self.center:
            params["beta"] = np.zeros((n,), np.float32)
        return params

    def _normalize(self, params, x, mean, var):
        inv = 1 / np.sqrt(var + self.epsilon)
        if self.scale:
            inv = inv * self._broadcastable(params["gamma"], x.ndim)
        y = (x - mean) * inv
        if self.center:
            y = y + self._broadcastable(params["beta"], x.ndim)
        return y


@register_layer
class BatchNormalization(_Normalization):
    """Normalise each feature over the batch (and spatial) axes.

    Training (`training=True`): uses the batch mean and (biased) variance, and returns the
    updated moving averages as the new state:
        moving = momentum * moving + (1 - momentum) * batch statistic.
    Inference: uses the moving averages. Params: gamma, beta (features,). State (not
    trainable, never differentiated): moving_mean, moving_variance (features,). In
    `Model.fit` the training step returns the new state alongside the new params."""

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, name: str | None = None):
        super().__init__(axis, epsilon, center, scale, name)
        self.momentum = float(momentum)

    def init_state(self, x) -> dict:
        n = self._features(x)
        return {"moving_mean": np.zeros((n,), np.float32),
                "moving_variance": np.ones((n,), np.float32)}

    def call_with_state(self, params, state, x, *, training=False, rng=None):
        if not training:
            mean = self._broadcastable(state["moving_mean"], x.ndim)
            var = self._broadcastable(state["moving_variance"], x.ndim)
            return self._normalize(params, x, mean, var), state
        axes = tuple(a for a in range(x.ndim) if a != self.axis % x.ndim)
        mean = np.mean(x, axis=axes, keepdims=True)
        var = np.mean((x - mean) ** 2, axis=axes, keepdims=True)
        m = self.momentum
        dtype = state["moving_mean"].dtype
        new_state = {
            "moving_mean": (m * state["moving_mean"] + (1 - m) * np.reshape(mean, (-1,))).astype(dtype),
            "moving_variance": (m * state["moving_variance"] + (1 - m) * np.reshape(var, (-1,))).astype(dtype),
        }
        return self._normalize(params, x, mean, var), new_state


@register_layer
class LayerNormalization(_Normalization):
    """Normalise each example over the features axis: (x - mean) / sqrt(var + epsilon),
    then scale by gamma and shift by beta (features,). Same in training and inference."""

    def call(self, params, x, *, training=False, rng=None):
        mean = np.mean(x, axis=self.axis, keepdims=True)
        var = np.mean((x - mean) ** 2, axis=self.axis, keepdims=True)
        return self._normalize(params, x, mean, var)
