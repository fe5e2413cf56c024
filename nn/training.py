"""fit, evaluate and predict for a compiled Model.

The whole training step (forward pass, loss, gradients, optimizer update, metric totals)
is ONE function of (params, state, optimizer state, rng key, x, y) that returns all the
new values, compiled with `jit` (unless compile(jit_compile=False)). Nothing is captured
by hand: the model's weights go in as arguments and come back as results. Non-trainable
state (BatchNormalization's moving averages) is returned as the loss function's auxiliary
output, so it never enters the gradient.

With a backend that keeps arrays on a device (backend="cuda": it has `device_put` and
`device_get`), fit uploads the parameters, state, optimizer state and rng key once, feeds
each step's outputs to the next step on the device, and writes host NumPy copies back into
the model at the end of each epoch; only the per-batch loss and metric totals (scalars)
come back every step. The cpu and numpy backends work on the host arrays themselves."""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from tracer import random, tree_flatten, tree_unflatten
from transforms import jit

from .callbacks import Callback, CallbackList, History
from .data import Dataset
from .progress import EpochProgress

__all__ = ["fit", "evaluate", "predict", "train_step_function", "compiled_step"]


# --- the step functions ----------------------------------------------------------------------
def _totals(model, loss, y, y_pred, batch_size: int) -> dict:
    n = np.float32(batch_size)
    totals = {"loss": {"total": loss * n, "count": n}}
    for metric in model.metrics:
        totals[metric.name] = metric.batch_totals(y, y_pred)
    return totals


def train_step_function(model) -> Callable:
    """The pure training step of a compiled model:
    (params, state, opt_state, rng, x, y) -> (params, state, opt_state, rng, totals)."""
    from transforms import value_and_grad
    loss_fn, optimizer, uses_rng = model.loss, model.optimizer, model.uses_rng

    def train_step(params, state, opt_state, rng, x, y):
        if uses_rng:
            keys = random.split(rng)
            rng, layer_rng = keys[0], keys[1]
        else:
            layer_rng = None

        def objective(p):
            y_pred, new_state = model.apply({"params": p, "state": state}, x, training=True,
                                            rng=layer_rng, return_state=True)
            return loss_fn(y, y_pred), (y_pred, new_state)
        (loss, (y_pred, new_state)), grads = value_and_grad(objective, has_aux=True)(params)
        params, opt_state = optimizer.update(grads, opt_state, params)
        return params, new_state, opt_state, rng, _totals(model, loss, y, y_pred, x.shape[0])
    return train_step


def _eval_step_function(model) -> Callable:
    def eval_step(params, state, x, y):
        y_pred = model.apply({"params": params, "state": state}, x)
        return _totals(model, model.loss(y, y_pred), y, y_pred, x.shape[0])
    return eval_step


def _predict_step_function(model) -> Callable:
    def predict_step(params, state, x):
        return model.apply({"params": params, "state": state}, x)
    return predict_step


_MAKERS = {"train": train_step_function, "eval": _eval_step_function,
           "predict": _predict_step_function}


def compiled_step(model, kind: str) -> Callable:
    """The model's "train", "eval" or "predict" step, jit-compiled when the model was
    compiled with jit_compile=True (the default); made once and kept on the model."""
    step = model._steps.get(kind)
    if step is None:
        step = _MAKERS[kind](model)
        if model.jit_compile:
            step = jit(step, backend=model.backend)
        model._steps[kind] = step
    return step


# --- where the steps' arrays live ----------------------------------------------------------------
def _device_backend(model):
    """The backend of the model's jitted steps when it keeps arrays on a device (it has
    `device_put` / `device_get`, like "cuda"), else None: the cpu and numpy backends and
    eager steps (jit_compile=False) work on host arrays, with no copies."""
    if not model.jit_compile:
        return None
    backend = model.backend
    if backend is None or isinstance(backend, str):
        from kernels.backend import BACKENDS, default_backend
        backend = default_backend() if backend is None else BACKENDS.get(backend)
    return backend if hasattr(backend, "device_put") else None


class _DeviceCopies:
    """fit's device copies of what it trains. `put(tree)` uploads a host tree, except the
    leaves that are the very arrays the last `get` returned: those map back to their device
    copies, so between epochs only what the host replaced (a LearningRateScheduler's rate,
    set_weights in a callback) travels again. Writing into a host array in place is not
    seen: callbacks change weights by assigning new arrays."""

    def __init__(self, backend):
        self.backend = backend
        self._last: dict[int, tuple] = {}     # id(host leaf) -> (host leaf, its device copy)

    def _known(self, leaf):
        pair = self._last.get(id(leaf))
        return pair[1] if pair is not None and pair[0] is leaf else None

    def put(self, tree):
        leaves, treedef = tree_flatten(tree)
        known = [self._known(leaf) for leaf in leaves]
        uploaded = iter(self.backend.device_put([x for x, d in zip(leaves, known) if d is None]))
        return tree_unflatten(treedef, [next(uploaded) if d is None else d for d in known])

    def get(self, tree):
        leaves, treedef = tree_flatten(tree)
        host = self.backend.device_get(leaves)
        self._last = {id(h): (h, d) for h, d in zip(host, leaves)}
        return tree_unflatten(treedef, host)


# --- data -------------------------------------------------------------------------------------
def _as_array(x):
    return x if isinstance(x, np.ndarray) else np.asarray(x)


def _batches_of_arrays(x, y, batch_size: int, order=None) -> Iterator:
    n = len(x)
    for start in range(0, n, batch_size):
        idx = slice(start, start + batch_size) if order is None else order[start:start + batch_size]
        yield x[idx], (None if y is None else y[idx])


def _split(element):
    """A Dataset element -> (x, y): a tuple (x, y), or x alone."""
    if isinstance(element, (tuple, list)):
        if len(element) != 2:
            raise ValueError(f"fit: Dataset elements must be (x, y) pairs, got {len(element)} parts")
        return element[0], element[1]
    return element, None


class _Data:
    """Inputs given to fit/evaluate/predict: arrays (batched here) or a batched Dataset."""

    def __init__(self, x, y, batch_size: int | None, what: str):
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"{what}: batch_size must be at least 1")
        self.dataset = x if isinstance(x, Dataset) else None
        if self.dataset is not None:
            if y is not None:
                raise ValueError(f"{what}: with a Dataset, do not pass y (the Dataset yields (x, y))")
            self.steps = self.dataset.cardinality
            return
        if x is None:
            raise ValueError(f"{what}: no input data given")
        self.x, self.y = _as_array(x), None if y is None else _as_array(y)
        if self.y is not None and len(self.y) != len(self.x):
            raise ValueError(f"{what}: x has {len(self.x)} examples but y has {len(self.y)}")
        self.batch_size = batch_size or 32
        self.steps = -(-len(self.x) // self.batch_size)

    def first_x(self):
        return self.x if self.dataset is None else _split(next(iter(self.dataset)))[0]

    def batches(self, shuffle_seed=None) -> Iterator:
        if self.dataset is not None:
            return (tuple(map(_as_array_or_none, _split(e))) for e in self.dataset)
        order = None
        if shuffle_seed is not None:
            order = np.random.default_rng(shuffle_seed).permutation(len(self.x))
        return _batches_of_arrays(self.x, self.y, self.batch_size, order)


def _as_array_or_none(v):
    return None if v is None else _as_array(v)


def _validation(x, y, validation_split: float, validation_data, batch_size):
    """(training data, validation data or None); the split takes the last examples."""
    if validation_data is not None:
        if isinstance(validation_data, Dataset):
            return _Data(x, y, batch_size, "fit"), _Data(validation_data, None, None, "validation")
        vx, vy = validation_data
        return _Data(x, y, batch_size, "fit"), _Data(vx, vy, batch_size, "validation")
    if not validation_split:
        return _Data(x, y, batch_size, "fit"), None
    if isinstance(x, Dataset):
        raise ValueError("fit: validation_split needs arrays; with a Dataset pass validation_data")
    if not 0 < validation_split < 1:
        raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split}")
    x, y = _as_array(x), _as_array(y)
    cut = int(len(x) * (1 - validation_split))
    if cut == 0 or cut == len(x):
        raise ValueError(f"fit: validation_split={validation_split} leaves no training or no "
                         f"validation examples out of {len(x)}")
    return _Data(x[:cut], y[:cut], batch_size, "fit"), _Data(x[cut:], y[cut:], batch_size, "validation")


# --- the loops ---------------------------------------------------------------------------------
def _require_compiled(model, what: str) -> None:
    if model.loss is None:
        raise ValueError(f"{what}: call model.compile(optimizer=..., loss=...) first")


class _Totals:
    """Running sums of the steps' totals, turned into the logs' numbers."""

    def __init__(self, model):
        self.model, self.sums = model, {}

    def add(self, totals: dict) -> None:
        for name, parts in totals.items():
            into = self.sums.setdefault(name, {})
            for k, v in parts.items():
                into[k] = into.get(k, 0.0) + float(v)

    def logs(self, prefix: str = "") -> dict:
        out = {}
        if "loss" in self.sums:
            sums = self.sums["loss"]
            out[prefix + "loss"] = sums["total"] / max(sums["count"], 1e-12)
        for metric in self.model.metrics:          # in the order compile was given them
            if metric.name in self.sums:
                out[prefix + metric.name] = metric.result_of(self.sums[metric.name])
        return out


def fit(model, x=None, y=None, batch_size: int | None = None, epochs: int = 1, verbose: int = 1,
        callbacks: list[Callback] | None = None, validation_split: float = 0.0,
        validation_data=None, shuffle: bool = True, initial_epoch: int = 0) -> History:
    """Train `model` for `epochs` passes over the data and return its History.

    x, y: arrays (split into batches of `batch_size`, default 32, shuffled each epoch when
    `shuffle`), or x a Dataset of (x, y) batches. validation_split: the fraction of the
    arrays (the last examples, before shuffling) held out; validation_data: (x_val, y_val)
    or a Dataset. verbose: 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
    Callbacks see logs with loss, metrics, val_* and learning_rate after each epoch.

    `model.variables` and `model.optimizer_state` are replaced at the end of each epoch,
    before validation and `on_epoch_end`, so epoch callbacks (ModelCheckpoint, EarlyStopping,
    get_weights) see that epoch's weights as host NumPy arrays, whatever the backend; batch
    callbacks see those of the last finished epoch. With backend="cuda" the weights stay on
    the GPU during the epoch (see the module's docstring)."""
    _require_compiled(model, "fit")
    train, val = _validation(x, y, validation_split, validation_data, batch_size)
    model._ensure_built(train.first_x())
    optimizer = model.optimizer
    if model.optimizer_state is None:
        model.optimizer_state = optimizer.init(model.variables["params"])
    history = History()
    model.history = history
    hooks = CallbackList([history] + list(callbacks or []), model)
    step = compiled_step(model, "train")
    rng = random.key(model.seed + 1) if model._train_rng is None else model._train_rng
    device = _device_backend(model)
    copies = None if device is None else _DeviceCopies(device)
    model.stop_training = False
    hooks.on_train_begin()
    logs = {}
    for epoch in range(initial_epoch, epochs):
        hooks.on_epoch_begin(epoch)
        if not callable(optimizer.learning_rate):     # a LearningRateScheduler may have set it
            model.optimizer_state = optimizer.with_learning_rate(model.optimizer_state,
                                                                 optimizer.learning_rate)
        params, state, opt_state = model.variables["params"], model.variables["state"], model.optimizer_state
        if copies is not None:
            params, state, opt_state, rng = copies.put((params, state, opt_state, rng))
        totals = _Totals(model)
        with EpochProgress(epoch, epochs, train.steps, verbose) as progress:
            seed = (model.seed, epoch) if shuffle else None
            for b, (xb, yb) in enumerate(train.batches(seed)):
                if yb is None:
                    raise ValueError("fit: targets y are needed (pass y, or a Dataset of (x, y))")
                hooks.on_train_batch_begin(b)
                params, state, opt_state, rng, batch_totals = step(params, state, opt_state, rng, xb, yb)
                if device is not None:
                    batch_totals = device.device_get(batch_totals)     # scalars, for the logs
                totals.add(batch_totals)
                batch_logs = totals.logs()
                progress.advance(len(xb), batch_logs)
                hooks.on_train_batch_end(b, batch_logs)
            variables = {"params": params, "state": state}
            trained = (variables, opt_state, rng) if copies is None else \
                copies.get((variables, opt_state, rng))
            model.variables, model.optimizer_state, model._train_rng = trained
            rng = model._train_rng
            logs = totals.logs()
            if val is not None:
                logs.update(_evaluate_data(model, val, variables).logs("val_"))
            logs["learning_rate"] = float(optimizer.current_learning_rate(model.optimizer_state))
            progress.finish(logs)
        hooks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    hooks.on_train_end(logs)
    return history


def _evaluate_data(model, data: _Data, variables=None) -> _Totals:
    """Totals over `data` with `variables` (default: the model's; fit passes its device
    copies, so validation uploads no weights)."""
    step = compiled_step(model, "eval")
    totals = _Totals(model)
    device = _device_backend(model)
    if variables is None:
        variables = model.variables if device is None else device.device_put(model.variables)
    params, state = variables["params"], variables["state"]
    for xb, yb in data.batches():
        if yb is None:
            raise ValueError("evaluate: targets y are needed")
        batch_totals = step(params, state, xb, yb)
        totals.add(batch_totals if device is None else device.device_get(batch_totals))
    return totals


def evaluate(model, x=None, y=None, batch_size: int | None = None, verbose: int = 0,
             return_dict: bool = False):
    """The loss (and metrics) over the data in inference mode: a float, a list
    [loss, *metrics], or with `return_dict` a dict of them."""
    _require_compiled(model, "evaluate")
    data = _Data(x, y, batch_size, "evaluate")
    model._ensure_built(data.first_x())
    logs = _evaluate_data(model, data).logs()
    if verbose:
        from rich.console import Console
        from .progress import format_logs
        Console().print(format_logs(logs), highlight=False)
    if return_dict:
        return logs
    return logs["loss"] if len(logs) == 1 else list(logs.values())


def predict(model, x, batch_size: int | None = None) -> np.ndarray:
    """The model's outputs for x (arrays or a Dataset), in inference mode, as a NumPy
    array whatever the backend (a device backend gets the weights uploaded once)."""
    data = _Data(x, None, batch_size, "predict")
    model._ensure_built(data.first_x())
    step = compiled_step(model, "predict")
    device = _device_backend(model)
    variables = model.variables if device is None else device.device_put(model.variables)
    params, state = variables["params"], variables["state"]
    outs = [step(params, state, xb) for xb, _ in data.batches()]
    if device is not None:
        outs = device.device_get(outs)
    return np.concatenate(outs) if outs else np.zeros((0,))

