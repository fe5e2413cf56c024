"""Losses, Keras-style: `loss(y_true, y_pred)`. The functions return one loss per example
(averaged over the last axis where Keras does); the classes average over the batch (with
optional per-example `sample_weight`). All are written with NumPy calls, so they trace,
and with `from_logits=True` are computed from logits without overflow."""
from __future__ import annotations

from typing import Callable

import numpy as np

import tracer

__all__ = ["mean_squared_error", "mean_absolute_error", "huber", "binary_crossentropy",
           "categorical_crossentropy", "sparse_categorical_crossentropy",
           "Loss", "MeanSquaredError", "MeanAbsoluteError", "Huber", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "get", "one_hot"]

EPSILON = 1e-7   # probabilities are clipped to [EPSILON, 1 - EPSILON] before a log (Keras)


def _like(y_true, y_pred):
    """Targets in the predictions' dtype (as Keras casts them)."""
    y_true = y_true if hasattr(y_true, "dtype") else np.asarray(y_true)
    return y_true.astype(y_pred.dtype) if y_true.dtype != y_pred.dtype else y_true


def one_hot(labels, num_classes: int, dtype=np.float32):
    """(...,) integer labels -> (..., num_classes) one-hot rows (traceable: a comparison)."""
    return (labels[..., None] == np.arange(num_classes)).astype(dtype)


def mean_squared_error(y_true, y_pred):
    return np.mean((y_pred - _like(y_true, y_pred)) ** 2, axis=-1)


def mean_absolute_error(y_true, y_pred):
    return np.mean(np.abs(y_pred - _like(y_true, y_pred)), axis=-1)


def huber(y_true, y_pred, delta: float = 1.0):
    """0.5 e^2 where |e| <= delta, else delta * (|e| - 0.5 delta); averaged over the last axis."""
    e = np.abs(y_pred - _like(y_true, y_pred))
    quadratic = np.minimum(e, delta)      # the piecewise form without a branch: smooth grads
    return np.mean(0.5 * quadratic ** 2 + delta * (e - quadratic), axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False):
    """Averaged over the last axis. From logits z: max(z, 0) - z y + log(1 + exp(-|z|))."""
    y = _like(y_true, y_pred)
    if from_logits:
        z = y_pred
        per_element = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    else:
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        per_element = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return np.mean(per_element, axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0):
    """-sum(y_true * log p) over the last axis; y_true are one-hot (or soft) targets."""
    y = _like(y_true, y_pred)
    if label_smoothing:
        y = y * (1 - label_smoothing) + label_smoothing / y_pred.shape[-1]
    if from_logits:
        log_p = tracer.log_softmax(y_pred, axis=-1)
    else:
        p = y_pred / np.sum(y_pred, axis=-1, keepdims=True)
        log_p = np.log(np.clip(p, EPSILON, 1 - EPSILON))
    return -np.sum(y * log_p, axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False):
    """Cross-entropy with integer class labels y_true (shape y_pred.shape[:-1], or with a
    trailing axis of 1)."""
    labels = y_true if hasattr(y_true, "dtype") else np.asarray(y_true)
    if labels.ndim == y_pred.ndim:
        labels = np.reshape(labels, labels.shape[:-1])
    return categorical_crossentropy(one_hot(labels, y_pred.shape[-1], y_pred.dtype), y_pred,
                                    from_logits=from_logits)


class Loss:
    """A loss function averaged over the batch (optionally weighted per example)."""
    fn: Callable = None

    def __init__(self, **options):
        self.options = options

    def __call__(self, y_true, y_pred, sample_weight=None):
        per_example = type(self).fn(y_true, y_pred, **self.options)
        if sample_weight is None:
            return np.mean(per_example)
        weight = _like(sample_weight, per_example)
        return np.sum(per_example * weight) / np.maximum(np.sum(weight), EPSILON)

    def get_config(self) -> dict:
        return dict(self.options)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({args})"


class MeanSquaredError(Loss):
    fn = staticmethod(mean_squared_error)

    def __init__(self):
        super().__init__()


class MeanAbsoluteError(Loss):
    fn = staticmethod(mean_absolute_error)

    def __init__(self):
        super().__init__()


class Huber(Loss):
    fn = staticmethod(huber)

    def __init__(self, delta: float = 1.0):
        super().__init__(delta=float(delta))


class BinaryCrossentropy(Loss):
    fn = staticmethod(binary_crossentropy)

    def __init__(self, from_logits: bool = False):
        super().__init__(from_logits=bool(from_logits))


class CategoricalCrossentropy(Loss):
    fn = staticmethod(categorical_crossentropy)

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0):
        super().__init__(from_logits=bool(from_logits), label_smoothing=float(label_smoothing))


class SparseCategoricalCrossentropy(Loss):
    fn = staticmethod(sparse_categorical_crossentropy)

    def __init__(self, from_logits: bool = False):
        super().__init__(from_logits=bool(from_logits))


CLASSES = {cls.__name__: cls for cls in (MeanSquaredError, MeanAbsoluteError, Huber,
                                         BinaryCrossentropy, CategoricalCrossentropy,
                                         SparseCategoricalCrossentropy)}
_ALIASES = {"mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
            "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
            "huber": Huber, "binary_crossentropy": BinaryCrossentropy,
            "categorical_crossentropy": CategoricalCrossentropy,
            "sparse_categorical_crossentropy": SparseCategoricalCrossentropy}


def get(loss: str | Loss | Callable) -> Loss | Callable:
    """A Loss for a name ("mse", "sparse_categorical_crossentropy", ...), a Loss, or a
    callable loss(y_true, y_pred) -> scalar."""
    if isinstance(loss, str):
        try:
            return _ALIASES[loss]()
        except KeyError:
            raise ValueError(f"unknown loss {loss!r}; known: {sorted(_ALIASES)}") from None
    if callable(loss):
        return loss
    raise TypeError(f"a loss is a name, a nn.losses.Loss or a callable, not {type(loss).__name__}")
