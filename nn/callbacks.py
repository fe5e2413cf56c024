"""Callbacks: hooks `fit` calls at the start and end of training, of each epoch and of each
batch. `logs` are dicts of floats: loss, metrics, val_* and learning_rate."""
from __future__ import annotations

import os
import time
from typing import Callable, Sequence

import numpy as np

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "ModelCheckpoint",
           "LearningRateScheduler", "LambdaCallback"]


class Callback:
    """Base class: override the hooks you need. `self.model` is set by fit."""

    def __init__(self):
        self.model = None

    def set_model(self, model) -> None:
        self.model = model

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch: int, logs=None): pass
    def on_epoch_end(self, epoch: int, logs=None): pass
    def on_train_batch_begin(self, batch: int, logs=None): pass
    def on_train_batch_end(self, batch: int, logs=None): pass


class CallbackList(Callback):
    """Several callbacks called in order."""

    def __init__(self, callbacks: Sequence[Callback], model=None):
        super().__init__()
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be nn.callbacks.Callback objects, got {type(cb).__name__}")
            cb.set_model(model)

    def _call(self, hook: str, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._call("on_train_batch_end", batch, logs)


class History(Callback):
    """Per-epoch logs: `history["loss"]` is the list of epoch losses, and so on;
    `epoch` the epoch numbers and `epoch_times` each epoch's wall time in seconds."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.epoch_times: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_times.append(time.perf_counter() - self._start)
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


def _improvement(mode: str, monitor: str, min_delta: float) -> Callable[[float, float], bool]:
    if mode == "auto":
        mode = "max" if ("acc" in monitor or "precision" in monitor or "recall" in monitor) else "min"
    if mode == "min":
        return lambda current, best: current < best - min_delta
    if mode == "max":
        return lambda current, best: current > best + min_delta
    raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")


def _monitored(logs, monitor: str, who: str) -> float | None:
    value = (logs or {}).get(monitor)
    if value is None:
        import warnings
        warnings.warn(f"{who}: the monitored quantity {monitor!r} is not in the logs "
                      f"(available: {sorted(logs or {})}); skipping", stacklevel=3)
    return value


class EarlyStopping(Callback):
    """Stop training when `monitor` has not improved by more than `min_delta` for
    `patience` epochs; optionally restore the weights of the best epoch."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 mode: str = "auto", restore_best_weights: bool = False, start_from_epoch: int = 0):
        super().__init__()
        self.monitor, self.patience, self.start_from_epoch = monitor, int(patience), int(start_from_epoch)
        self.better = _improvement(mode, monitor, abs(min_delta))
        self.restore_best_weights = restore_best_weights
        self.stopped_epoch = None

    def on_train_begin(self, logs=None):
        self.best, self.best_weights, self.wait, self.stopped_epoch = None, None, 0, None

    def on_epoch_end(self, epoch, logs=None):
        current = _monitored(logs, self.monitor, "EarlyStopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.best is None or self.better(current, self.best):
            self.best, self.wait = current, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait > self.patience:
            self.model.stop_training = True
            self.stopped_epoch = epoch
            if self.restore_best_weights and self.best_weights is not None:
                self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model (or only its weights) after every epoch, or only when `monitor`
    improved (`save_best_only`). `filepath` may use {epoch} (1-based) and log names,
    e.g. "ckpt-{epoch:02d}-{val_loss:.3f}.nbf"."""

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss",
                 save_best_only: bool = False, save_weights_only: bool = False, mode: str = "auto"):
        super().__init__()
        self.filepath, self.monitor = os.fspath(filepath), monitor
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.better = _improvement(mode, monitor, 0.0)
        self.best = None
        self.saved: list[str] = []

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            current = _monitored(logs, self.monitor, "ModelCheckpoint")
            if current is None or (self.best is not None and not self.better(current, self.best)):
                return
            self.best = current
        path = self.filepath.format(epoch=epoch + 1, **logs)
        (self.model.save_weights if self.save_weights_only else self.model.save)(path)
        self.saved.append(path)


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to `schedule(epoch, current_rate)`.
    The new rate goes into the optimizer state, which the jitted step reads, so nothing is
    recompiled."""

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if callable(optimizer.learning_rate):
            raise ValueError("LearningRateScheduler: the optimizer already follows a schedule "
                             "(its learning_rate is callable); use one or the other")
        rate = float(self.schedule(epoch, float(optimizer.learning_rate)))
        if not np.isfinite(rate):
            raise ValueError(f"LearningRateScheduler: the schedule returned {rate} at epoch {epoch}")
        optimizer.learning_rate = rate
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {rate:.6g}")


class LambdaCallback(Callback):
    """A callback from plain functions, e.g. LambdaCallback(on_epoch_end=lambda e, logs: ...)."""

    def __init__(self, **hooks: Callable):
        super().__init__()
        for name, fn in hooks.items():
            if not hasattr(Callback, name) or not name.startswith("on_"):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)
