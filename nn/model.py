"""Models: `Sequential` (a stack of layers) and the Keras-style shell `Model` around the
functional core.

    model = Sequential([Dense(64, activation="relu"), Dense(10)])
    variables = model.init(random.key(0), x[:1])     # {"params": ..., "state": ...}
    logits = model.apply(variables, x)               # pure: works under grad, vmap, jit

`Model` adds the stateful conveniences: `compile`, `fit`, `evaluate`, `predict` (in
nn.training), `summary`, `save` / `save_weights` / `load_weights` (in nn.saving). The
model's current numbers live in `model.variables` (and the optimizer's in
`model.optimizer_state`); `fit` replaces them with the values its jitted step returns."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from tracer import random, tree_leaves

from . import losses as _losses
from . import metrics as _metrics
from . import optimizers as _optimizers
from .layers.base import Layer, layer_from_config, register_layer, snake_case

__all__ = ["Model", "Sequential"]


class Model(Layer):
    """A Layer with training machinery. Subclasses implement `init` and `call_with_state`.

    Attributes: `variables` (params and state, None until built), `optimizer`,
    `optimizer_state`, `loss`, `metrics`, `jit_compile` and `backend` (how the steps of fit,
    evaluate and predict are compiled: set by compile), `history` (of the last fit)."""

    def __init__(self, name: str | None = None, seed: int = 0):
        super().__init__(name)
        self.seed = int(seed)
        self.variables: dict | None = None
        self.input_shape: tuple | None = None     # one example's shape, without the batch axis
        self._input_dtype = np.dtype(np.float32)
        self.optimizer: _optimizers.Optimizer | None = None
        self.optimizer_state = None
        self.loss = None
        self.metrics: list[_metrics.Metric] = []
        self.jit_compile, self.backend = True, None
        self.stop_training = False
        self.history = None
        self._steps: dict[str, Any] = {}          # the compiled step functions (nn.training)
        self._train_rng = None                    # the random key the next training step uses

    # --- building -------------------------------------------------------------------------
    @property
    def built(self) -> bool:
        return self.variables is not None

    def build(self, input_shape: Sequence[int], dtype=np.float32) -> None:
        """Create `variables` for inputs of one example shape `input_shape` (no batch axis)."""
        example = np.zeros((1,) + tuple(int(d) for d in input_shape), dtype)
        self.variables = self.init(random.key(self.seed), example)
        self.input_shape = tuple(example.shape[1:])
        self._input_dtype = np.dtype(dtype)
        self._steps.clear()

    def _ensure_built(self, x) -> None:
        if not self.built:
            self.build(np.shape(x)[1:], np.asarray(x).dtype)

    @property
    def params(self) -> dict:
        self._require_built("params")
        return self.variables["params"]

    @property
    def state(self) -> dict:
        self._require_built("state")
        return self.variables["state"]

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(f"{what}: the model has no weights yet; call model.build(input_shape), "
                             "or fit/predict it on data first")

    def count_params(self) -> int:
        self._require_built("count_params")
        return sum(int(np.size(p)) for p in tree_leaves(self.variables["params"]))

    def get_weights(self) -> list[np.ndarray]:
        """Every array of params then state, in a fixed (sorted-name) order."""
        self._require_built("get_weights")
        return [np.array(w) for w in tree_leaves(self.variables)]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        from tracer import tree_flatten, tree_unflatten
        self._require_built("set_weights")
        leaves, treedef = tree_flatten(self.variables)
        if len(weights) != len(leaves):
            raise ValueError(f"set_weights: the model has {len(leaves)} arrays, got {len(weights)}")
        for old, new in zip(leaves, weights):
            if np.shape(new) != old.shape:
                raise ValueError(f"set_weights: expected shape {old.shape}, got {np.shape(new)}")
        self.variables = tree_unflatten(treedef, [np.asarray(w, o.dtype) for w, o in zip(weights, leaves)])

    # --- compile / fit / evaluate / predict ------------------------------------------------
    def compile(self, optimizer: str | _optimizers.Optimizer = "rmsprop", loss=None,
                metrics: Sequence | None = None, jit_compile: bool = True,
                backend: str | None = None) -> None:
        """Choose the optimizer, the loss and the metrics for fit and evaluate. With
        `jit_compile` (default) each step runs as one jit-compiled function, compiled by
        `backend` (None: jit's default, e.g. "cpu" for Numba; "numpy" interprets the graph);
        without, it runs eagerly (op by op, easier to debug)."""
        if loss is None:
            raise ValueError("compile: a loss is required, e.g. loss='sparse_categorical_crossentropy'")
        self.optimizer = _optimizers.get(optimizer)
        self.loss = _losses.get(loss)
        self.metrics = [_metrics.get(m, self.loss) for m in (metrics or [])]
        self.jit_compile, self.backend = bool(jit_compile), backend
        self.optimizer_state = None
        self._steps.clear()

    def fit(self, x=None, y=None, **kwargs):
        """Train; see nn.training.fit for the arguments. Returns a History."""
        from .training import fit
        return fit(self, x, y, **kwargs)

    def evaluate(self, x=None, y=None, **kwargs):
        """Loss and metrics on data; see nn.training.evaluate."""
        from .training import evaluate
        return evaluate(self, x, y, **kwargs)

    def predict(self, x, **kwargs) -> np.ndarray:
        """Outputs for inputs x, batch by batch, in inference mode; see nn.training.predict."""
        from .training import predict
        return predict(self, x, **kwargs)

    def __call__(self, *args, **kwargs):
        """model(variables, x) is apply; model(x) on arrays predicts with the model's weights."""
        if len(args) == 1 and not isinstance(args[0], dict):
            self._ensure_built(args[0])
            return self.apply(self.variables, args[0], **kwargs)
        return self.apply(*args, **kwargs)

    # --- inspection and files ---------------------------------------------------------------
    def summary(self, print_fn=None) -> None:
        """Print a table of the layers, their output shapes and parameter counts."""
        from .summary import print_summary
        print_summary(self, print_fn)

    def save(self, path) -> None:
        """Architecture, weights, compile settings and optimizer state in one file."""
        from .saving import save_model
        save_model(self, path)

    def save_weights(self, path) -> None:
        from .saving import save_weights
        save_weights(self, path)

    def load_weights(self, path) -> None:
        from .saving import load_weights
        load_weights(self, path)


@register_layer
class Sequential(Model):
    """A stack of layers, each feeding the next. Layers without a name are named after
    their class within this model (dense, dense_1, ...), so names and saved files do not
    depend on what else the program built. `input_shape` (one example, no batch axis) lets
    `summary` and `build` work before any data is seen."""

    def __init__(self, layers: Sequence[Layer] | None = None, name: str | None = None,
                 input_shape: Sequence[int] | None = None, seed: int = 0):
        super().__init__(name, seed)
        self.layers: list[Layer] = []
        for layer in layers or []:
            self.add(layer)
        if input_shape is not None:
            self.build(input_shape)

    def add(self, layer: Layer) -> None:
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer, got {type(layer).__name__}")
        self.layers.append(layer)
        self.layer_names()          # fail now on a duplicate name
        self.variables = None
        self._steps.clear()

    def layer_names(self) -> list[str]:
        names, counts = [], {}
        for layer in self.layers:
            if layer.name is not None:
                name = layer.name
            else:
                base = snake_case(type(layer).__name__)
                k = counts.get(base, 0)
                counts[base] = k + 1
                name = base if k == 0 else f"{base}_{k}"
            if name in names or "/" in name:
                raise ValueError(f"Sequential: layer name {name!r} is used twice or contains '/'")
            names.append(name)
        return names

    @property
    def uses_rng(self) -> bool:
        return any(layer.uses_rng for layer in self.layers)

    # --- the functional core -----------------------------------------------------------------
    def init(self, key, x) -> dict:
        """Variables for every layer, keyed by layer name (layers without any are left out)."""
        if not self.layers:
            raise ValueError("Sequential.init: the model has no layers")
        params, state = {}, {}
        keys = random.split(key, len(self.layers))
        for name, layer, k in zip(self.layer_names(), self.layers, keys):
            v = layer.init(k, x)
            if v["params"]:
                params[name] = v["params"]
            if v["state"]:
                state[name] = v["state"]
            x = layer.apply(v, x)
        return {"params": params, "state": state}

    def init_params(self, key, x) -> dict:
        return self.init(key, x)["params"]

    def init_state(self, x) -> dict:
        return self.init(random.key(0), x)["state"]

    def call_with_state(self, params, state, x, *, training=False, rng=None):
        new_state = {}
        for i, (name, layer) in enumerate(zip(self.layer_names(), self.layers)):
            uses_rng = training and rng is not None and layer.uses_rng
            x, s = layer.call_with_state(params.get(name, {}), state.get(name, {}), x,
                                         training=training,
                                         rng=random.fold_in(rng, i) if uses_rng else None)
            if s:
                new_state[name] = s
        return x, new_state

    def layer_output_shapes(self) -> list[tuple]:
        """Each layer's output shape for one example batch (batch axis included as 1)."""
        self._require_built("layer_output_shapes")
        x = np.zeros((1,) + self.input_shape, self._input_dtype)
        shapes = []
        for name, layer in zip(self.layer_names(), self.layers):
            v = {"params": self.variables["params"].get(name, {}),
                 "state": self.variables["state"].get(name, {})}
            x = layer.apply(v, x)
            shapes.append(tuple(x.shape))
        return shapes

    # --- serialisation --------------------------------------------------------------------------
    def get_config(self) -> dict:
        return {"name": self.name, "seed": self.seed,
                "input_shape": None if self.input_shape is None else list(self.input_shape),
                "layers": [{"class_name": type(l).__name__, "config": l.get_config()}
                           for l in self.layers]}

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        layers = [layer_from_config(spec) for spec in config.get("layers", [])]
        return cls(layers, name=config.get("name"), input_shape=config.get("input_shape"),
                   seed=config.get("seed", 0))
