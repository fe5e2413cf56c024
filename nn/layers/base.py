"""The Layer protocol: a layer describes a computation; its numbers live in a pytree.

    variables = layer.init(key, x)          # {"params": {...}, "state": {...}}
    y = layer.apply(variables, x)           # a pure function of variables and x

`params` are trainable (they receive gradients); `state` holds non-trainable values that a
training step updates, e.g. BatchNormalization's moving averages. With `return_state=True`
`apply` also returns the updated state; gradients are taken of params only, so state never
enters the gradient. `training=True` switches Dropout and BatchNormalization to their
training behaviour; layers that draw random numbers take an explicit `rng` key.

A subclass implements `init_params(key, x)`, optionally `init_state(x)`, and `call(params,
x, training=, rng=)` (or `call_with_state(...)` when it has state), all with NumPy calls
that work on Tracers: no Python control flow on values, no in-place updates."""
from __future__ import annotations

import inspect
import re
from typing import Any

import numpy as np

__all__ = ["Layer", "LAYERS", "register_layer", "layer_from_config", "dense_product"]

# class name -> class: the only classes a saved model may name
LAYERS: dict[str, type] = {}


def register_layer(cls: type) -> type:
    """Make a Layer subclass loadable from a saved model's JSON (use as a decorator)."""
    LAYERS[cls.__name__] = cls
    return cls


def snake_case(name: str) -> str:
    """Conv2D -> conv2d, BatchNormalization -> batch_normalization, LSTM -> lstm."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def dense_product(x, kernel):
    """x's last axis contracted with a 2-D kernel's first: one dot_general, no broadcast."""
    return x @ kernel if np.ndim(x) == 2 else np.tensordot(x, kernel, axes=1)


class Layer:
    """Base class of all layers (see the module docstring for the protocol)."""
    uses_rng = False    # does `call` draw random numbers in training (then it gets an rng key)?

    def __init__(self, name: str | None = None):
        self.name = name

    # --- what subclasses implement ------------------------------------------------------
    def init_params(self, key, x) -> dict:
        """Trainable parameters for an example input `x` (an array)."""
        return {}

    def init_state(self, x) -> dict:
        """Non-trainable state for an example input `x`."""
        return {}

    def call(self, params: dict, x, *, training: bool = False, rng=None):
        raise NotImplementedError(f"{type(self).__name__}.call")

    def call_with_state(self, params: dict, state: dict, x, *, training: bool = False, rng=None):
        """(output, new state). Stateless layers return the state unchanged."""
        return self.call(params, x, training=training, rng=rng), state

    # --- the functional API ---------------------------------------------------------------
    def init(self, key, x) -> dict:
        """Variables {"params": ..., "state": ...} for an example input `x` (any batch size)."""
        return {"params": self.init_params(key, x), "state": self.init_state(x)}

    def apply(self, variables: dict, x, *, training: bool = False, rng=None,
              return_state: bool = False):
        """The layer's output for `x`; with `return_state`, (output, updated state)."""
        y, state = self.call_with_state(variables["params"], variables.get("state", {}), x,
                                        training=training, rng=rng)
        return (y, state) if return_state else y

    def __call__(self, variables: dict, x, **kwargs):
        return self.apply(variables, x, **kwargs)

    # --- serialisation: the constructor's arguments, as JSON values -------------------------
    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments. By default read from attributes of the same names as
        the __init__ parameters, so a subclass stores each argument under its own name."""
        config = {}
        for p in list(inspect.signature(type(self).__init__).parameters.values())[1:]:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            value = getattr(self, p.name)
            if callable(value):
                value = _callable_name(value, f"{type(self).__name__}({p.name}=...)")
            config[p.name] = list(value) if isinstance(value, tuple) else value
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


def _callable_name(fn, where: str) -> str:
    """The registered name of a built-in activation or initializer."""
    from .. import activations, initializers
    for table in (activations._BY_NAME, initializers._BY_NAME):
        for name, known in table.items():
            if known is fn:
                return name
    raise ValueError(f"{where}: {fn!r} is not a built-in activation or initializer, so this "
                     "layer cannot be saved; pass a built-in one by name")


def layer_from_config(spec: dict) -> Layer:
    """A layer from {"class_name": ..., "config": {...}}; only registered classes."""
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"a layer is described by {{'class_name': str, 'config': dict}}, got {spec!r}")
    cls = LAYERS.get(spec["class_name"])
    if cls is None:
        raise ValueError(f"unknown layer class {spec['class_name']!r}; known: {sorted(LAYERS)}")
    config = spec.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"layer config must be a dict, got {type(config).__name__}")
    return cls.from_config(config)
