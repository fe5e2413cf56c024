"""Functional in-place updates: `at(x)[idx].set(v)` returns a new array (x is unchanged).
Works on NumPy arrays and Tracers alike; every update is one `scatter` into the flattened
array at the positions `idx` selects."""
from __future__ import annotations

import numpy as np

from .numpy_api.basic import astype, aval, broadcast_to, reshape
from .numpy_api.indexing import getitem
from .ops.indexing import scatter

__all__ = ["at"]


class _IndexedRef:
    def __init__(self, x, index):
        self.x, self.index = x, index

    def get(self):
        """x[idx]"""
        return getitem(self.x, self.index)

    def set(self, values):
        """x with x[idx] = values (with repeated indices, one of the writes wins)"""
        return self._scatter(values, "set")

    def add(self, values):
        """x with values added at idx (repeated indices accumulate, like np.add.at)"""
        return self._scatter(values, "add")

    def multiply(self, values):
        return self._scatter(values, "mul")

    def min(self, values):
        return self._scatter(values, "min")

    def max(self, values):
        return self._scatter(values, "max")

    def _scatter(self, values, mode):
        t = aval(self.x)
        # Which flat positions does the index select? Ask the same getitem, on an iota.
        positions = getitem(np.arange(t.size).reshape(t.shape), self.index)
        shape = aval(positions).shape
        try:
            np.broadcast_shapes(aval(values).shape, shape)
        except ValueError:
            raise ValueError(f"at(x)[...].{mode}: values of shape {aval(values).shape} cannot be "
                             f"broadcast to the indexed shape {shape}") from None
        updates = broadcast_to(astype(values, t.dtype), shape)
        out = scatter.bind(reshape(self.x, (-1,)), reshape(positions, (-1,)),
                           reshape(updates, (-1,)), axis=0, mode=mode)
        return reshape(out, t.shape)


class _At:
    def __init__(self, x):
        self.x = x

    def __getitem__(self, index) -> _IndexedRef:
        return _IndexedRef(self.x, index)


def at(x) -> _At:
    """Functional updates of `x`, the traceable form of `x[idx] = v` and `x[idx] += v`.

    >>> at(np.zeros(4))[1:3].set(7.0)
    array([0., 7., 7., 0.])
    >>> at(np.zeros(3))[np.array([0, 0, 2])].add(1.0)
    array([2., 0., 1.])
    """
    return _At(x)
