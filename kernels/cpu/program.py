"""The callable a compiled graph becomes: one call of the Numba function (flat array
constants, runtime sizes and workspaces bound once, then the inputs), which returns the
graph's outputs already shaped."""
from __future__ import annotations

import functools

import numpy as np

from tracer import Graph, ShapeError

from .codegen import Generated

__all__ = ["Program"]

_ndarray = np.ndarray


class Program:
    """`program(*inputs) -> tuple of arrays` checks and converts its inputs;
    `program.unchecked(*arrays)` trusts that they have the compiled shapes and dtypes (jit's
    cache key says so); their layout is free. A graph with one computed output also offers
    `program.unchecked_one(*arrays)`, that output itself. `.source` is the generated code,
    `.groups` the fusion groups, `.dispatcher` the Numba function (None if nothing is
    computed)."""

    def __init__(self, graph: Graph, generated: Generated, dispatcher):
        self.graph = graph
        self.source = generated.source
        self.groups = generated.groups
        self.key = generated.key
        self.dispatcher = dispatcher
        self._types = [(v.aval.shape, v.aval.dtype, v.aval.weak) for v in graph.inputs]
        # constants as flat writable copies: one Numba type, whatever the user gave
        head = tuple(np.array(c, order="C", copy=True).reshape(-1) for c in generated.consts)
        head += (generated.dims,)
        head += tuple(np.zeros(n, dt) for dt, n in sorted(generated.workspace.items()))
        # the program's fixed leading arguments, bound once: a call passes the inputs only
        bound = functools.partial(dispatcher, *head) if dispatcher is not None else None
        self._bound = bound
        # outputs that are constants are not computed: they are inserted after the call
        self._consts = [(k, np.asarray(out[1], dtype=v.aval.dtype))
                        for k, (out, v) in enumerate(zip(generated.outputs, graph.outputs))
                        if out[0] == "const"]
        if generated.single:
            self.unchecked_one = bound
            self.unchecked = lambda *arrays: (bound(*arrays),)
        elif bound is not None and not self._consts:    # the usual case, without a frame
            self.unchecked = bound

    def __call__(self, *args) -> tuple:
        if len(args) != len(self._types):
            raise TypeError(f"the compiled program takes {len(self._types)} inputs, "
                            f"got {len(args)}")
        return self.unchecked(*[self._input(k, a) for k, a in enumerate(args)])

    def unchecked(self, *arrays) -> tuple:
        # (any layout: the program makes its inputs C-contiguous, see codegen)
        outs = self._bound(*arrays) if self._bound is not None else ()
        if self._consts:
            outs = list(outs)
            for k, value in self._consts:
                outs.insert(k, value.copy())
        return outs

    def _input(self, k: int, a):
        shape, dtype, weak = self._types[k]
        if type(a) is _ndarray and a.dtype == dtype and a.shape == shape:
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
        return arr
