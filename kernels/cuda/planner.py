"""Compiling a graph into a list of steps over a list of device buffers.

Every value gets a Loc in a buffer slot: graph inputs their own slots, array constants a
slot uploaded once, graph outputs a fresh buffer per call, and intermediates a workspace
slot the program keeps between calls. Workspace slots are reused by liveness: once the
last group reading every value in a slot has run, the slot goes back to a free list and
a later value of the same dtype takes it (growing it if needed). Views (reshape,
transpose, slice) share their operand's slot and keep it alive.

Nothing here touches a GPU: a plan can be built, printed and compiled to PTX
(`cuda.compile_ptx`) on a machine without one."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracer import Graph, Var
from tracer.builder import dead_code_elimination

from ..fusion import partition
from .device import launch_config
from ..shapes import prod
from .layout import Loc
from .source import BufArg, compile_kernel

__all__ = ["Planner", "Slot", "KernelStep", "HostStep", "check_dtype"]

_INF = 1 << 60
_SUPPORTED = set("biuf")


def check_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind not in _SUPPORTED or dtype.itemsize > 8 or dtype == np.float16:
        raise TypeError(f"the cuda backend has no code for dtype {dtype} (it compiles bool, "
                        "integer, float32 and float64 arrays); use backend 'cpu' or 'numpy'")
    return dtype


@dataclass
class Slot:
    kind: str                  # "in", "const", "ws" (workspace, kept), "out" (fresh per call)
    dtype: np.dtype
    size: int
    value: object = None       # const: the host value


class KernelStep:
    """One kernel launch: the arguments are fixed ints and buffer slots."""

    def __init__(self, kernel, grid, block, values, source: str):
        self.kernel, self.grid, self.block, self.source = kernel, grid, block, source
        self.values = values
        self.template = [None if isinstance(v, BufArg) else v for v in values]
        self.fill = [(p, v.slot) for p, v in enumerate(values) if isinstance(v, BufArg)]
        self._launch = None

    def run(self, bufs) -> None:
        args = self.template[:]
        for p, slot in self.fill:
            args[p] = bufs[slot]
        if self._launch is not None:
            self._launch(*args)
            return
        launch = self.kernel[self.grid, self.block]
        launch(*args)          # compiles for these argument types on the first call
        if launch is not self.kernel:   # (the simulator's kernel[...] configures itself)
            self._launch = self._direct() or launch

    def _direct(self):
        """The compiled kernel's own launch, skipping the dispatcher's per-call typing of
        every argument (our argument types never change): ~3x less launch overhead."""
        try:
            kernel = self.kernel.overloads[self.signature()]
            c = self.kernel[self.grid, self.block]   # normalised dimensions and stream
            grid, block, stream, shared = c.griddim, c.blockdim, c.stream, c.sharedmem
        except Exception:   # noqa: BLE001  (another numba-cuda version: use the dispatcher)
            return None
        return lambda *args: kernel.launch(args, grid, block, stream, shared)

    def signature(self) -> tuple:
        """Numba argument types, as the launches pass them (for cuda.compile_ptx)."""
        from numba import types
        from numba.np.numpy_support import from_dtype
        return tuple(types.Array(from_dtype(v.dtype), 1, "C") if isinstance(v, BufArg)
                     else types.int64 for v in self.values)


class HostStep:
    """Python code between launches (control flow, host fallbacks): fn(bufs)."""

    def __init__(self, fn, what: str, programs=()):
        self.fn, self.what, self.programs = fn, what, tuple(programs)   # bodies it runs

    def run(self, bufs) -> None:
        self.fn(bufs)


class Planner:
    """Builds the steps of one graph. Lowering rules call: loc, alloc, bind, scratch,
    contiguous, copy, launch, host, needed_outside, and `cfg` (the launch configuration)."""

    def __init__(self, graph: Graph):
        self.graph = dead_code_elimination(graph)
        self.cfg = launch_config()
        self.slots: list[Slot] = []
        self.locs: dict = {}
        self.steps: list = []
        self.sources: list[str] = []
        self._consts: dict[int, Loc] = {}
        self._free: list[int] = []
        self._slot_last: dict[int, int] = {}
        self._outputs = {v for v in self.graph.outputs if isinstance(v, Var)}
        self.group = -1
        self._taken: set = set()      # out slots already returned as an output
        self._keep: list = []         # constants whose id() keys _consts
        for v in self.graph.inputs:
            check_dtype(v.aval.dtype)
            self.locs[v] = Loc(self._new_slot("in", v.aval.dtype, v.aval.size), v.aval.shape,
                               np.dtype(v.aval.dtype))

    # --- building -----------------------------------------------------------------------
    def build(self) -> "Planner":
        from .lowering import family_of, lower_op
        from .fused import lower_fused
        groups = partition(self.graph, family_of, parallel_ok=False)
        self._users, self._last = {}, {}
        for gi, g in enumerate(groups):
            for op in g.ops:
                for v in op.inputs:
                    if isinstance(v, Var):
                        self._users.setdefault(v, set()).add(gi)
                        self._last[v] = gi
        for v in self.graph.inputs:
            self._extend(self.locs[v].slot, v)
        for gi, g in enumerate(groups):
            self.group = gi
            self.sources.append(f"# group {gi}: {g!r}")
            if g.kind == "fused":
                lower_fused(self, g)
            else:
                lower_op(self, g.ops[0])
            self._release(gi)
        self.group = len(groups)
        self.out_slots = [self._output_slot(v, k) for k, v in enumerate(self.graph.outputs)]
        self.in_slots = [self.locs[v].slot for v in self.graph.inputs]
        return self

    def _output_slot(self, v, k: int) -> int:
        """Each graph output in its own fresh, exact-size buffer (copied there when it is an
        input, a constant, a view, or an output already returned)."""
        if isinstance(v, Var):
            loc = self.locs[v]
            slot = self.slots[loc.slot]
            if slot.kind == "out" and loc.offset == 0 and loc.contiguous and \
                    loc.slot not in self._taken and slot.size == loc.size:
                self._taken.add(loc.slot)
                return loc.slot
        else:
            check_dtype(v.aval.dtype)
            loc = self.loc(v)
        aval = v.aval
        dst = Loc(self._new_slot("out", aval.dtype, aval.size), aval.shape, np.dtype(aval.dtype))
        self._taken.add(dst.slot)
        self.copy(loc, dst)
        return dst.slot

    # --- values -------------------------------------------------------------------------
    def loc(self, v) -> Loc:
        if isinstance(v, Var):
            return self.locs[v]
        hit = self._consts.get(id(v.value))
        if hit is None:
            value = np.asarray(v.value, dtype=check_dtype(v.aval.dtype))
            hit = Loc(self._new_slot("const", value.dtype, value.size, value), value.shape,
                      value.dtype)
            self._consts[id(v.value)] = hit
            self._keep.append(v.value)
        return hit

    def needed_outside(self, v: Var) -> bool:
        return v in self._outputs or bool(self._users.get(v, set()) - {self.group})

    def alloc(self, v: Var) -> Loc:
        """A fresh C-contiguous Loc for v's value, bound to v."""
        dtype = check_dtype(v.aval.dtype)
        if v in self._outputs:
            slot = self._new_slot("out", dtype, v.aval.size)
        else:
            slot = self._workspace(dtype, v.aval.size)
        loc = Loc(slot, v.aval.shape, dtype)
        self.bind(v, loc)
        return loc

    def bind(self, v: Var, loc: Loc) -> None:
        self.locs[v] = loc
        self._extend(loc.slot, v)

    def scratch(self, dtype, size: int) -> int:
        """A workspace slot for the current group only."""
        slot = self._workspace(np.dtype(dtype), size)
        self._slot_last[slot] = max(self._slot_last.get(slot, -1), self.group)
        return slot

    def temp(self, shape, dtype) -> Loc:
        return Loc(self.scratch(dtype, prod(shape)), tuple(shape),
                   np.dtype(dtype))

    def contiguous(self, v, dtype=None) -> Loc:
        """v's value C-contiguous (and of `dtype`): v itself, or a copy in a scratch slot."""
        loc = self.loc(v)
        dtype = loc.dtype if dtype is None else np.dtype(dtype)
        if loc.contiguous and dtype == loc.dtype:
            return loc
        dst = self.temp(loc.shape, dtype)
        self.copy(loc, dst)
        return dst

    def _extend(self, slot: int, v: Var) -> None:
        last = _INF if v in self._outputs else self._last.get(v, self.group)
        self._slot_last[slot] = max(self._slot_last.get(slot, -1), last)

    # --- slots --------------------------------------------------------------------------
    def _new_slot(self, kind, dtype, size, value=None) -> int:
        self.slots.append(Slot(kind, np.dtype(dtype), int(size), value))
        return len(self.slots) - 1

    def _workspace(self, dtype, size: int) -> int:
        """A free workspace slot of this dtype (the smallest that fits, else the largest,
        grown), or a new one."""
        mine = [s for s in self._free if self.slots[s].dtype == dtype]
        if mine:
            fits = [s for s in mine if self.slots[s].size >= size]
            slot = min(fits, key=lambda s: self.slots[s].size) if fits else \
                max(mine, key=lambda s: self.slots[s].size)
            self._free.remove(slot)
            self.slots[slot].size = max(self.slots[slot].size, size)
        else:
            slot = self._new_slot("ws", dtype, size)
        self._slot_last[slot] = self.group
        return slot

    def _release(self, gi: int) -> None:
        for slot, last in self._slot_last.items():
            if last <= gi and self.slots[slot].kind == "ws" and slot not in self._free:
                self._free.append(slot)
                self._slot_last[slot] = _INF   # until taken again

    # --- steps --------------------------------------------------------------------------
    def launch(self, writer, grid, block) -> None:
        source = writer.source()
        self.sources.append(source)
        self.steps.append(KernelStep(compile_kernel(source, writer.name), grid, block,
                                     writer.values, source))

    def copy(self, src: Loc, dst: Loc) -> None:
        from .fused import copy_kernel
        self.launch(*copy_kernel(src, dst, self.cfg))

    def host(self, fn, what: str, programs=()) -> None:
        self.sources.append(f"# host: {what}")
        self.sources += [f"# body {k}:\n{p.source}" for k, p in enumerate(programs)]
        self.steps.append(HostStep(fn, what, programs))
