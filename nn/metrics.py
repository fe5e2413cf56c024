"""Metrics that accumulate over batches.

A metric splits in two: `batch_totals(y_true, y_pred)` computes sums over one batch with
NumPy calls (so it runs inside the jit-compiled training step), and the metric object
adds those totals up across batches in Python (`merge`) and turns them into a number
(`result`). `update_state`, `result` and `reset_state` give the Keras interface on arrays."""
from __future__ import annotations

import numpy as np

from . import losses as _losses

__all__ = ["Metric", "Mean", "Accuracy", "SparseCategoricalAccuracy", "CategoricalAccuracy",
           "BinaryAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
           "Precision", "Recall", "get"]


def _labels(y_true, y_pred):
    """Integer labels shaped like y_pred without its class axis."""
    y_true = y_true if hasattr(y_true, "dtype") else np.asarray(y_true)
    return np.reshape(y_true, y_pred.shape[:-1])


def _fraction(hits):
    """Totals for a mean of booleans: {"total": number true, "count": number of entries}."""
    return {"total": np.sum(hits.astype(np.float32)), "count": np.float32(np.size(hits))}


class Metric:
    """Base class: subclasses implement `batch_totals` and `result_of`."""
    default_name = "metric"

    def __init__(self, name: str | None = None):
        self.name = name or self.default_name
        self.reset_state()

    def batch_totals(self, y_true, y_pred) -> dict:
        raise NotImplementedError

    @staticmethod
    def result_of(totals: dict) -> float:
        return float(totals["total"]) / max(float(totals["count"]), 1e-12)

    def reset_state(self) -> None:
        self.totals: dict[str, float] = {}

    def merge(self, totals: dict) -> None:
        for k, v in totals.items():
            self.totals[k] = self.totals.get(k, 0.0) + float(v)

    def update_state(self, y_true, y_pred) -> None:
        self.merge(self.batch_totals(y_true, y_pred))

    def result(self) -> float:
        return self.result_of(self.totals) if self.totals else 0.0

    def get_config(self) -> dict:
        return {"name": self.name}


class Mean(Metric):
    """The (weighted) mean of the values passed: `batch_totals(values, weights=None)`."""
    default_name = "mean"

    def batch_totals(self, values, weights=None) -> dict:
        if weights is None:
            return {"total": np.sum(values), "count": np.float32(np.size(values))}
        return {"total": np.sum(values * weights), "count": np.sum(weights)}


class SparseCategoricalAccuracy(Metric):
    """How often argmax(y_pred) equals the integer label y_true."""
    default_name = "accuracy"

    def batch_totals(self, y_true, y_pred) -> dict:
        return _fraction(np.argmax(y_pred, axis=-1) == _labels(y_true, y_pred))


class CategoricalAccuracy(Metric):
    """How often argmax(y_pred) equals argmax(y_true) (one-hot targets)."""
    default_name = "accuracy"

    def batch_totals(self, y_true, y_pred) -> dict:
        return _fraction(np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1))


class BinaryAccuracy(Metric):
    """How often (y_pred > threshold) equals (y_true > 0.5), over all elements."""
    default_name = "accuracy"

    def __init__(self, threshold: float = 0.5, name: str | None = None):
        self.threshold = float(threshold)
        super().__init__(name)

    def batch_totals(self, y_true, y_pred) -> dict:
        return _fraction((y_pred > self.threshold) == (y_true > 0.5))

    def get_config(self) -> dict:
        return {"threshold": self.threshold, "name": self.name}


class Accuracy(Metric):
    """How often y_pred equals y_true exactly (Keras' Accuracy class; the string
    "accuracy" in compile picks the variant that matches the loss instead)."""
    default_name = "accuracy"

    def batch_totals(self, y_true, y_pred) -> dict:
        return _fraction(y_pred == y_true)


class SparseTopKCategoricalAccuracy(Metric):
    """How often the integer label is among the k largest predictions. Computed as "fewer
    than k classes score strictly higher than the label's", with no sort."""
    default_name = "top_k_accuracy"

    def __init__(self, k: int = 5, name: str | None = None):
        self.k = int(k)
        super().__init__(name)

    def batch_totals(self, y_true, y_pred) -> dict:
        hot = _losses.one_hot(_labels(y_true, y_pred), y_pred.shape[-1], y_pred.dtype)
        return self._hits(hot, y_pred)

    def _hits(self, hot, y_pred):
        label_score = np.sum(hot * y_pred, axis=-1, keepdims=True)
        higher = np.sum((y_pred > label_score).astype(np.int32), axis=-1)
        return _fraction(higher < self.k)

    def get_config(self) -> dict:
        return {"k": self.k, "name": self.name}


class TopKCategoricalAccuracy(SparseTopKCategoricalAccuracy):
    """Top-k accuracy with one-hot targets."""

    def batch_totals(self, y_true, y_pred) -> dict:
        hot = (np.arange(y_pred.shape[-1]) == np.argmax(y_true, axis=-1)[..., None])
        return self._hits(hot.astype(y_pred.dtype), y_pred)


class Precision(Metric):
    """true positives / predicted positives, predictions thresholded at `threshold`."""
    default_name = "precision"

    def __init__(self, threshold: float = 0.5, name: str | None = None):
        self.threshold = float(threshold)
        super().__init__(name)

    def _counts(self, y_true, y_pred):
        predicted, actual = y_pred > self.threshold, y_true > 0.5
        tp = np.sum((predicted & actual).astype(np.float32))
        return tp, np.sum(predicted.astype(np.float32)), np.sum(actual.astype(np.float32))

    def batch_totals(self, y_true, y_pred) -> dict:
        tp, predicted, _ = self._counts(y_true, y_pred)
        return {"total": tp, "count": predicted}

    def get_config(self) -> dict:
        return {"threshold": self.threshold, "name": self.name}


class Recall(Precision):
    """true positives / actual positives, predictions thresholded at `threshold`."""
    default_name = "recall"

    def batch_totals(self, y_true, y_pred) -> dict:
        tp, _, actual = self._counts(y_true, y_pred)
        return {"total": tp, "count": actual}


CLASSES = {cls.__name__: cls for cls in (
    Mean, Accuracy, SparseCategoricalAccuracy, CategoricalAccuracy, BinaryAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision, Recall)}

_NAMES = {"sparse_categorical_accuracy": SparseCategoricalAccuracy,
          "categorical_accuracy": CategoricalAccuracy, "binary_accuracy": BinaryAccuracy,
          "top_k_categorical_accuracy": TopKCategoricalAccuracy,
          "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
          "precision": Precision, "recall": Recall}

# "accuracy" means the accuracy that fits the loss (as in Keras)
_ACCURACY_FOR_LOSS = {_losses.SparseCategoricalCrossentropy: SparseCategoricalAccuracy,
                      _losses.CategoricalCrossentropy: CategoricalAccuracy,
                      _losses.BinaryCrossentropy: BinaryAccuracy}


def get(metric: str | Metric, loss=None) -> Metric:
    """A Metric for a name or a Metric; "accuracy"/"acc" picks the variant matching `loss`."""
    if isinstance(metric, Metric):
        return metric
    if metric in ("accuracy", "acc"):
        return _ACCURACY_FOR_LOSS.get(type(loss), SparseCategoricalAccuracy)(name="accuracy")
    if isinstance(metric, str) and metric in _NAMES:
        return _NAMES[metric](name=metric)
    raise ValueError(f"unknown metric {metric!r}; known: accuracy, {', '.join(sorted(_NAMES))}")
