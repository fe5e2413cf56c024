"""Recurrent layers over (batch, time, features) inputs: SimpleRNN, LSTM, GRU.

Each layer projects all time steps' inputs at once (one matrix product), then runs the
recurrence over time. Output: the last hidden state (batch, units), or with
`return_sequences=True` every step's (batch, time, units). The initial state is zeros.

Weight layouts follow Keras, so weights carry over:
- kernel (features, G * units), recurrent_kernel (units, G * units), bias (G * units,),
  where the G gate blocks are laid side by side along the last axis in this order:
  - SimpleRNN (G=1): h_t = activation(x_t W + h_{t-1} U + b)
  - LSTM (G=4): i (input), f (forget), c (cell candidate), o (output):
        i = sigmoid(.), f = sigmoid(.), g = tanh(.), o = sigmoid(.)
        c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)
    The forget gate's bias starts at 1 (`unit_forget_bias`, as in Keras).
  - GRU (G=3, Keras' reset_after=True form): z (update), r (reset), h (candidate):
        xz, xr, xh = x_t W + bias;  hz, hr, hh = h_{t-1} U + recurrent_bias
        z = sigmoid(xz + hz); r = sigmoid(xr + hr); n = tanh(xh + r * hh)
        h_t = z * h_{t-1} + (1 - z) * n
    GRU has a second bias, recurrent_bias (3 * units,) (Keras stores both as one (2, 3u)).

The loop over time is one `tracer.control_flow.scan` (a single op with the step as its
sub-graph, reverse-differentiable), or with `unroll=True` a Python loop unrolled into the
trace (one copy of the step per time step: larger graphs, no loop overhead), as in Keras."""
from __future__ import annotations

from typing import Callable

import numpy as np

import tracer
from tracer import random
from tracer import scan

from .. import activations, initializers
from .base import Layer, dense_product, register_layer

__all__ = ["SimpleRNN", "LSTM", "GRU"]


def _run_over_time(step: Callable, carry, xs, unroll: bool):
    """Loop `carry, h = step(carry, x_t)` over axis 1 of xs (batch, time, ...): returns the
    final carry and the hs stacked on axis 1."""
    if not unroll:
        carry, hs = scan(step, carry, np.swapaxes(xs, 0, 1))
        return carry, np.swapaxes(hs, 0, 1)
    hs = []
    for t in range(xs.shape[1]):
        carry, h = step(carry, xs[:, t])
        hs.append(h)
    return carry, np.stack(hs, axis=1)


class _Recurrent(Layer):
    gates = 1

    def __init__(self, units: int, return_sequences: bool = False, use_bias: bool = True,
                 kernel_initializer: str | Callable = "glorot_uniform",
                 recurrent_initializer: str | Callable = "orthogonal",
                 bias_initializer: str | Callable = "zeros", unroll: bool = False,
                 name: str | None = None):
        super().__init__(name)
        self.units, self.return_sequences, self.use_bias = int(units), return_sequences, use_bias
        self.unroll = bool(unroll)
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer

    def _bias(self, key):
        return initializers.get(self.bias_initializer)(key, (self.gates * self.units,))

    def init_params(self, key, x) -> dict:
        if x.ndim != 3:
            raise ValueError(f"{type(self).__name__} expects inputs (batch, time, features), "
                             f"got shape {x.shape}")
        k1, k2, k3 = random.split(key, 3)
        width = self.gates * self.units
        params = {"kernel": initializers.get(self.kernel_initializer)(k1, (x.shape[-1], width)),
                  "recurrent_kernel": initializers.get(self.recurrent_initializer)(k2, (self.units, width))}
        if self.use_bias:
            params["bias"] = self._bias(k3)
        return params

    def _initial_carry(self, x, dtype):
        return np.zeros((x.shape[0], self.units), dtype)

    def call(self, params, x, *, training=False, rng=None):
        projected = dense_product(x, params["kernel"])
        if self.use_bias:
            projected = projected + params["bias"]
        u = params["recurrent_kernel"]
        _, hs = _run_over_time(lambda carry, xt: self._step(params, u, carry, xt),
                               self._initial_carry(x, np.result_type(projected.dtype, u.dtype)),
                               projected, self.unroll)
        return hs if self.return_sequences else hs[:, -1]

    def _step(self, params, u, carry, xt):
        raise NotImplementedError


@register_layer
class SimpleRNN(_Recurrent):
    """h_t = activation(x_t W + h_{t-1} U + b); see the module docstring for layouts."""

    def __init__(self, units: int, activation: str | Callable | None = "tanh",
                 return_sequences: bool = False, use_bias: bool = True,
                 kernel_initializer: str | Callable = "glorot_uniform",
                 recurrent_initializer: str | Callable = "orthogonal",
                 bias_initializer: str | Callable = "zeros", unroll: bool = False,
                 name: str | None = None):
        super().__init__(units, return_sequences, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, unroll, name)
        self.activation = activation

    def _step(self, params, u, h, xt):
        h = activations.get(self.activation)(xt + h @ u)
        return h, h


@register_layer
class LSTM(_Recurrent):
    """Long short-term memory; gates i, f, c, o in that order (see the module docstring)."""
    gates = 4

    def _bias(self, key):
        n = self.units
        bias = initializers.get(self.bias_initializer)(key, (4 * n,))
        return np.concatenate([bias[:n], bias[n:2 * n] + 1, bias[2 * n:]])   # unit forget bias

    def _initial_carry(self, x, dtype):
        h = super()._initial_carry(x, dtype)
        return h, h

    def _step(self, params, u, carry, xt):
        h, c = carry
        n = self.units
        z = xt + h @ u
        i, f = tracer.sigmoid(z[:, :n]), tracer.sigmoid(z[:, n:2 * n])
        g, o = np.tanh(z[:, 2 * n:3 * n]), tracer.sigmoid(z[:, 3 * n:])
        c = f * c + i * g
        h = o * np.tanh(c)
        return (h, c), h


@register_layer
class GRU(_Recurrent):
    """Gated recurrent unit (reset after the recurrent product); gates z, r, h in that
    order; params also hold recurrent_bias (see the module docstring)."""
    gates = 3

    def init_params(self, key, x) -> dict:
        params = super().init_params(key, x)
        if self.use_bias:
            params["recurrent_bias"] = self._bias(random.fold_in(key, 1))
        return params

    def _step(self, params, u, h, xt):
        n = self.units
        hu = h @ u
        if self.use_bias:
            hu = hu + params["recurrent_bias"]
        z = tracer.sigmoid(xt[:, :n] + hu[:, :n])
        r = tracer.sigmoid(xt[:, n:2 * n] + hu[:, n:2 * n])
        candidate = np.tanh(xt[:, 2 * n:] + r * hu[:, 2 * n:])
        h = z * h + (1 - z) * candidate
        return h, h
