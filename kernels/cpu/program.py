"""The callable a compiled graph becomes: checks the inputs, makes one call of the Numba
function (flat inputs, flat array constants, runtime sizes, workspaces), and returns one
NumPy array per graph output (the flat results reshaped)."""
from __future__ import annotations

import numpy as np

from tracer import Graph, ShapeError

from .codegen import Generated

__all__ = ["Program"]

_ndarray = np.ndarray


class Program:
    """`program(*inputs) -> list of arrays`. `.source` is the generated code, `.groups`
    the fusion groups, `.dispatcher` the Numba function (None if nothing is computed)."""

    def __init__(self, graph: Graph, generated: Generated, dispatcher):
        self.graph = graph
        self.source = generated.source
        self.groups = generated.groups
        self.key = generated.key
        self.dispatcher = dispatcher
        self._types = [(v.aval.shape, v.aval.dtype, v.aval.weak) for v in graph.inputs]
        # constants as flat writable copies: one Numba type, whatever the user gave
        self._tail = tuple(np.array(c, order="C", copy=True).reshape(-1) for c in generated.consts)
        self._tail += (generated.dims,)
        self._tail += tuple(np.zeros(n, dt) for dt, n in sorted(generated.workspace.items()))
        self._outputs = generated.outputs
        self._out_dtypes = [v.aval.dtype for v in graph.outputs]
        self._out_shapes = [v.aval.shape for v in graph.outputs]

    def __call__(self, *args) -> list:
        if len(args) != len(self._types):
            raise TypeError(f"the compiled program takes {len(self._types)} inputs, "
                            f"got {len(args)}")
        arrays = [self._input(k, a) for k, a in enumerate(args)]
        results = self.dispatcher(*[a.reshape(-1) for a in arrays], *self._tail) \
            if self.dispatcher is not None else ()
        outs = []
        for (kind, what, *region), dtype, shape in zip(self._outputs, self._out_dtypes,
                                                        self._out_shapes):
            if kind == "result":
                start, size = region
                outs.append(results[what][start:start + size].reshape(shape))
            elif kind == "input":
                outs.append(np.array(arrays[what], copy=True))
            else:
                outs.append(np.array(what, dtype=dtype, copy=True))
        return outs

    def _input(self, k: int, a):
        shape, dtype, weak = self._types[k]
        if type(a) is _ndarray and a.dtype == dtype and a.shape == shape and a.flags.c_contiguous:
            return a
        arr = np.asarray(a)
        if arr.shape != shape:
            raise ShapeError("program input", f"input {k} has shape {arr.shape}, the program "
                             f"was compiled for {shape}")
        if arr.dtype != dtype:
            if not (weak or arr.ndim == 0 or np.can_cast(arr.dtype, dtype, "same_kind")):
                raise TypeError(f"input {k} has dtype {arr.dtype}, the program was compiled "
                                f"for {dtype}")
            arr = arr.astype(dtype)
        # (np.ascontiguousarray would make a 0-d array 1-d)
        return arr if arr.flags.c_contiguous else arr.copy(order="C")
