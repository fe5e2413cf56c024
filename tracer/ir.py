"""The IR: SSA values (`Var`), constants (`Const`), primitive applications (`Op`) and
`Graph`, which is immutable once built."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .types import ArrayType, type_of

__all__ = ["Var", "Const", "Op", "Graph"]


class Var:
    """An SSA value: produced once, by a graph input or an op."""
    __slots__ = ("aval",)

    def __init__(self, aval: ArrayType):
        self.aval = aval

    def __repr__(self):
        return f"Var({self.aval})"


class Const:
    """A constant: a captured array, a NumPy scalar, or a (weakly typed) Python scalar."""
    __slots__ = ("value", "aval")

    def __init__(self, value):
        self.value = value
        self.aval = type_of(value)

    def __repr__(self):
        return f"Const({self.value!r})" if self.aval.ndim == 0 else f"Const({self.aval})"


@dataclass(eq=False, slots=True)
class Op:
    """One application of a primitive: `outputs = prim(*inputs, **params)`. Never mutated
    once recorded (not frozen only because that makes recording slower)."""
    prim: object
    inputs: tuple
    outputs: tuple
    params: dict = field(default_factory=dict)
    loc: tuple | None = None   # the user's (file, line) that recorded it


@dataclass(frozen=True, eq=False)
class Graph:
    """A function as a list of ops. `inputs` are Vars; outputs are Vars or Consts."""
    inputs: tuple
    ops: tuple
    outputs: tuple

    @property
    def in_types(self) -> list:
        return [v.aval for v in self.inputs]

    @property
    def out_types(self) -> list:
        return [v.aval for v in self.outputs]

    @property
    def constants(self) -> list:
        """The graph's array constants (not scalar literals), each once."""
        seen = {}
        for op in self.ops:
            for v in op.inputs:
                if isinstance(v, Const) and isinstance(v.value, np.ndarray):
                    seen.setdefault(id(v.value), v)
        for v in self.outputs:
            if isinstance(v, Const) and isinstance(v.value, np.ndarray):
                seen.setdefault(id(v.value), v)
        return list(seen.values())

    def __str__(self):
        from .printer import render
        return render(self)

    def __repr__(self):
        from .printer import render
        return render(self, color=False)

    def __rich__(self):
        from .printer import rich_text
        return rich_text(self)
