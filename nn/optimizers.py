"""Optimizers as pure (init, update) pairs over pytrees, and Keras-style objects around them.

The functional core (optax-style): a `GradientTransformation` is a pair of pure functions
    state = tx.init(params);  updates, state = tx.update(grads, state, params)
and `apply_updates(params, updates)` adds the updates. Building blocks (`scale_by_adam`,
`trace`, `clip_by_global_norm`, `add_decayed_weights`, ...) combine with `chain`.

The Keras-style objects (`SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad`) hold the
hyperparameters and expose `init(params) -> state` and `update(grads, state, params) ->
(new_params, new_state)`. Their state carries the step count and the learning rate as
arrays, so a jit-compiled training step reads the current rate (a schedule is evaluated
at the step inside the step; a LearningRateScheduler writes a new constant between epochs)
without being recompiled. Update rule: params -= lr * (direction + weight_decay * params),
the direction after optional clipping (clipnorm per array, global_clipnorm over all)."""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from tracer import tree_leaves, tree_map

from . import schedules

__all__ = ["GradientTransformation", "chain", "apply_updates", "global_norm", "identity",
           "trace", "scale_by_adam", "scale_by_rms", "scale_by_adagrad", "clip_by_global_norm",
           "clip_by_norm", "add_decayed_weights", "Optimizer", "SGD", "Adam", "AdamW", "RMSprop",
           "Adagrad", "get"]


class GradientTransformation(NamedTuple):
    init: Callable      # params -> state
    update: Callable    # (grads, state, params) -> (updates, state)


def _zeros_like(tree):
    return tree_map(np.zeros_like, tree)


def apply_updates(params, updates):
    """params + updates, leaf by leaf, keeping each param's dtype."""
    return tree_map(lambda p, u: p + u.astype(p.dtype), params, updates)


def global_norm(tree):
    """sqrt of the sum of squares of every leaf."""
    return np.sqrt(sum(np.sum(g * g) for g in tree_leaves(tree)))


def identity() -> GradientTransformation:
    return GradientTransformation(lambda params: {}, lambda g, s, p=None: (g, s))


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply transforms in order; the state is the tuple of their states."""
    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(grads, state, params=None):
        new_state = []
        for t, s in zip(transforms, state):
            grads, s = t.update(grads, s, params)
            new_state.append(s)
        return grads, tuple(new_state)
    return GradientTransformation(init, update)


def trace(momentum: float, nesterov: bool = False) -> GradientTransformation:
    """Momentum: t = momentum * t + g; direction t (or g + momentum * t with nesterov)."""
    def update(grads, state, params=None):
        t = tree_map(lambda g, t: momentum * t + g, grads, state["trace"])
        out = tree_map(lambda g, t: g + momentum * t, grads, t) if nesterov else t
        return out, {"trace": t}
    return GradientTransformation(lambda params: {"trace": _zeros_like(params)}, update)


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-7) -> GradientTransformation:
    """Adam's direction m_hat / (sqrt(v_hat) + eps) with bias-corrected moments."""
    def init(params):
        return {"count": np.zeros((), np.int32), "m": _zeros_like(params), "v": _zeros_like(params)}

    def update(grads, state, params=None):
        count = state["count"] + 1
        t = count.astype(np.float64)        # scalars: cast to each leaf's dtype below
        m = tree_map(lambda g, m: b1 * m + (1 - b1) * g, grads, state["m"])
        v = tree_map(lambda g, v: b2 * v + (1 - b2) * g * g, grads, state["v"])
        c1, c2 = 1 - b1 ** t, 1 - b2 ** t
        out = tree_map(lambda m, v: (m / c1.astype(m.dtype)) /
                       (np.sqrt(v / c2.astype(v.dtype)) + eps), m, v)
        return out, {"count": count, "m": m, "v": v}
    return GradientTransformation(init, update)


def scale_by_rms(rho: float = 0.9, eps: float = 1e-7, centered: bool = False) -> GradientTransformation:
    """RMSprop's direction g / (sqrt(E[g^2] - (E[g]^2 if centered)) + eps)."""
    def init(params):
        state = {"nu": _zeros_like(params)}
        if centered:
            state["mu"] = _zeros_like(params)
        return state

    def update(grads, state, params=None):
        nu = tree_map(lambda g, n: rho * n + (1 - rho) * g * g, grads, state["nu"])
        new = {"nu": nu}
        if centered:
            mu = tree_map(lambda g, m: rho * m + (1 - rho) * g, grads, state["mu"])
            new["mu"] = mu
            out = tree_map(lambda g, n, m: g / (np.sqrt(np.maximum(n - m * m, 0)) + eps), grads, nu, mu)
        else:
            out = tree_map(lambda g, n: g / (np.sqrt(n) + eps), grads, nu)
        return out, new
    return GradientTransformation(init, update)


def scale_by_adagrad(initial_accumulator_value: float = 0.1, eps: float = 1e-7) -> GradientTransformation:
    """Adagrad's direction g / (sqrt(sum of past g^2) + eps)."""
    def init(params):
        return {"sum_of_squares": tree_map(lambda p: np.full_like(p, initial_accumulator_value), params)}

    def update(grads, state, params=None):
        acc = tree_map(lambda g, a: a + g * g, grads, state["sum_of_squares"])
        return tree_map(lambda g, a: g / (np.sqrt(a) + eps), grads, acc), {"sum_of_squares": acc}
    return GradientTransformation(init, update)


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Scale all gradients together so their global norm is at most max_norm."""
    def update(grads, state, params=None):
        norm = global_norm(grads)
        scale = np.where(norm > max_norm, max_norm / np.maximum(norm, 1e-30), 1)
        return tree_map(lambda g: g * scale.astype(g.dtype), grads), state
    return GradientTransformation(lambda params: {}, update)


def clip_by_norm(max_norm: float) -> GradientTransformation:
    """Scale each gradient array on its own so its norm is at most max_norm (Keras clipnorm)."""
    def clip(g):
        norm = np.sqrt(np.sum(g * g))
        return g * np.where(norm > max_norm, max_norm / np.maximum(norm, 1e-30), 1).astype(g.dtype)
    return GradientTransformation(lambda params: {}, lambda g, s, p=None: (tree_map(clip, g), s))


def add_decayed_weights(weight_decay: float) -> GradientTransformation:
    """direction + weight_decay * params (decoupled weight decay, once scaled by the rate)."""
    def update(grads, state, params):
        return tree_map(lambda g, p: g + weight_decay * p, grads, params), state
    return GradientTransformation(lambda params: {}, update)


class Optimizer:
    """Keras-style optimizer: hyperparameters, and `init` / `update` over params pytrees.
    `learning_rate` is a float or a schedule (a callable of the step count)."""

    def __init__(self, learning_rate, weight_decay: float | None = None,
                 clipnorm: float | None = None, global_clipnorm: float | None = None):
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError("give clipnorm or global_clipnorm, not both")
        self.learning_rate = learning_rate
        self.weight_decay, self.clipnorm, self.global_clipnorm = weight_decay, clipnorm, global_clipnorm

    def direction(self) -> GradientTransformation:
        """The optimizer's own rule (before weight decay and the learning rate)."""
        raise NotImplementedError

    def transformation(self) -> GradientTransformation:
        parts = []
        if self.clipnorm is not None:
            parts.append(clip_by_norm(self.clipnorm))
        if self.global_clipnorm is not None:
            parts.append(clip_by_global_norm(self.global_clipnorm))
        parts.append(self.direction())
        if self.weight_decay:
            parts.append(add_decayed_weights(self.weight_decay))
        return chain(*parts)

    def init(self, params) -> dict:
        rate = 0.0 if callable(self.learning_rate) else self.learning_rate
        return {"step": np.zeros((), np.int32), "learning_rate": np.asarray(rate, np.float64),
                "inner": self.transformation().init(params)}

    def current_learning_rate(self, state):
        """The rate the next update uses (an array; traceable)."""
        if callable(self.learning_rate):
            return self.learning_rate(state["step"])
        return state["learning_rate"]

    def update(self, grads, state: dict, params):
        """(new params, new state) after one step with `grads`."""
        rate = self.current_learning_rate(state)
        directions, inner = self.transformation().update(grads, state["inner"], params)
        new_params = tree_map(lambda p, d: p - rate.astype(p.dtype) * d, params, directions)
        return new_params, {"step": state["step"] + 1, "learning_rate": state["learning_rate"],
                            "inner": inner}

    def with_learning_rate(self, state: dict, rate: float) -> dict:
        """The state with a new constant learning rate (used between epochs)."""
        return {**state, "learning_rate": np.asarray(rate, np.float64)}

    def get_config(self) -> dict:
        config = {k: v for k, v in vars(self).items()}
        lr = config["learning_rate"]
        if isinstance(lr, schedules.LearningRateSchedule):
            config["learning_rate"] = {"class_name": type(lr).__name__, "config": lr.get_config()}
        elif callable(lr):
            raise ValueError("a learning rate given as a plain function cannot be saved; use a "
                             "schedule from nn.schedules")
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        config = dict(config)
        lr = config["learning_rate"]
        if isinstance(lr, dict):
            schedule = schedules.SCHEDULES.get(lr.get("class_name"))
            if schedule is None:
                raise ValueError(f"unknown learning-rate schedule {lr.get('class_name')!r}")
            config["learning_rate"] = schedule(**lr["config"])
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum."""

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def direction(self):
        return trace(self.momentum, self.nesterov) if self.momentum else identity()


class Adam(Optimizer):
    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def direction(self):
        return scale_by_adam(self.beta_1, self.beta_2, self.epsilon)


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.004, as in Keras)."""

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)


class RMSprop(Optimizer):
    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon = float(rho), float(momentum), float(epsilon)
        self.centered = bool(centered)

    def direction(self):
        rms = scale_by_rms(self.rho, self.epsilon, self.centered)
        return chain(rms, trace(self.momentum)) if self.momentum else rms


class Adagrad(Optimizer):
    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = float(initial_accumulator_value), float(epsilon)

    def direction(self):
        return scale_by_adagrad(self.initial_accumulator_value, self.epsilon)


CLASSES = {cls.__name__: cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad)}
_NAMES = {name.lower(): cls for name, cls in CLASSES.items()}


def get(optimizer: str | Optimizer) -> Optimizer:
    """An optimizer object for a name ("adam", "sgd", ...) or an Optimizer."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    try:
        return _NAMES[optimizer.lower()]()
    except (KeyError, AttributeError):
        raise ValueError(f"unknown optimizer {optimizer!r}; known: {sorted(_NAMES)}") from None
