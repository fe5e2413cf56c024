"""Learning-rate schedules: `schedule(step) -> learning rate`, written with NumPy calls so
they run inside the jit-compiled training step (step is the number of updates so far).
Rates are float64 scalars; the optimizer casts them to each parameter's dtype."""
from __future__ import annotations

import numpy as np

__all__ = ["LearningRateSchedule", "ExponentialDecay", "CosineDecay", "PiecewiseConstantDecay",
           "SCHEDULES"]


def _float(step):
    return (step if hasattr(step, "astype") else np.asarray(step)).astype(np.float64)


class LearningRateSchedule:
    """Base class; subclasses store their constructor arguments under the same names."""

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self) -> dict:
        return dict(vars(self))

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class ExponentialDecay(LearningRateSchedule):
    """initial * decay_rate ** (step / decay_steps); with `staircase` the exponent is floored."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False):
        if decay_steps <= 0:
            raise ValueError("ExponentialDecay: decay_steps must be positive")
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), int(decay_steps)
        self.decay_rate, self.staircase = float(decay_rate), bool(staircase)

    def __call__(self, step):
        p = _float(step) / np.float64(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return np.float64(self.initial_learning_rate) * np.float64(self.decay_rate) ** p


class CosineDecay(LearningRateSchedule):
    """Cosine from initial down to initial * alpha over decay_steps, then constant."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0):
        if decay_steps <= 0:
            raise ValueError("CosineDecay: decay_steps must be positive")
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), int(decay_steps)
        self.alpha = float(alpha)

    def __call__(self, step):
        progress = np.minimum(_float(step), np.float64(self.decay_steps)) / np.float64(self.decay_steps)
        cosine = 0.5 * (1 + np.cos(np.float64(np.pi) * progress))
        return np.float64(self.initial_learning_rate) * ((1 - self.alpha) * cosine + self.alpha)


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] for step <= boundaries[0], values[1] up to boundaries[1], ..., values[-1]
    after the last boundary (len(values) == len(boundaries) + 1)."""

    def __init__(self, boundaries: list, values: list):
        if len(values) != len(boundaries) + 1:
            raise ValueError("PiecewiseConstantDecay: needs one more value than boundaries, got "
                             f"{len(boundaries)} boundaries and {len(values)} values")
        self.boundaries, self.values = [int(b) for b in boundaries], [float(v) for v in values]

    def __call__(self, step):
        s = _float(step)
        lr = np.float64(self.values[0]) + 0 * s
        for boundary, before, after in zip(self.boundaries, self.values, self.values[1:]):
            lr = lr + np.where(s > boundary, np.float64(after - before), np.float64(0))
        return lr


SCHEDULES = {cls.__name__: cls for cls in (ExponentialDecay, CosineDecay, PiecewiseConstantDecay)}
