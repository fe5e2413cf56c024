"""Activation functions, written with NumPy calls so they work on arrays and Tracers alike.
`get(name_or_fn)` resolves the names that layers accept (`activation="relu"`)."""
from __future__ import annotations

from typing import Callable

import numpy as np
import scipy.special

import tracer

__all__ = ["relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax", "silu", "swish",
           "leaky_relu", "elu", "softplus", "linear", "get", "name_of"]


def relu(x):
    return np.maximum(x, 0)


def gelu(x, approximate: bool = False):
    """x * Phi(x); with `approximate` the tanh form of Hendrycks & Gimpel."""
    if approximate:
        return 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + scipy.special.erf(x * 0.7071067811865476))


def sigmoid(x):
    return tracer.sigmoid(x)


def tanh(x):
    return np.tanh(x)


def softmax(x, axis: int = -1):
    return tracer.softmax(x, axis=axis)


def log_softmax(x, axis: int = -1):
    return tracer.log_softmax(x, axis=axis)


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    return x * tracer.sigmoid(x)


swish = silu


def leaky_relu(x, negative_slope: float = 0.2):
    """x for x > 0, negative_slope * x otherwise (Keras' default slope 0.2)."""
    return np.where(x > 0, x, x * negative_slope)


def elu(x, alpha: float = 1.0):
    # expm1 of min(x, 0): the unused branch of where never overflows
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def softplus(x):
    """log(1 + exp(x)), stable for large |x|."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def linear(x):
    return x


_BY_NAME: dict[str, Callable] = {
    "relu": relu, "gelu": gelu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
    "log_softmax": log_softmax, "silu": silu, "swish": silu, "leaky_relu": leaky_relu,
    "elu": elu, "softplus": softplus, "linear": linear,
}


def get(activation: str | Callable | None) -> Callable:
    """The activation function for a name, a callable, or None (identity)."""
    if activation is None:
        return linear
    if callable(activation):
        return activation
    try:
        return _BY_NAME[activation]
    except KeyError:
        raise ValueError(f"unknown activation {activation!r}; known: {sorted(_BY_NAME)}") from None


def name_of(activation: str | Callable | None) -> str:
    """The name under which an activation is saved; custom callables cannot be saved."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        get(activation)
        return activation
    for name, fn in _BY_NAME.items():
        if fn is activation:
            return name
    raise ValueError(f"activation {activation!r} is not a built-in one, so a model using it "
                     "cannot be saved; pass its name instead")
