"""The Emitter: what every lowering writes generated code through.

Every array of a generated program is a flat 1-D buffer plus a static element offset and,
for views, static strides (`ArrayRef`): reshapes, transposes and slices are index
arithmetic, and Numba never sees an N-d array (N-d indexing and reshape are what make
Numba slow to compile). Every size, offset and stride is a runtime integer of the `dims`
argument, never a literal, so a new batch size reuses the same source. The Emitter hands
out names, those integers, and buffers: regions of one new result array per dtype for
graph outputs (returned: few arrays to box), regions of one reused workspace per dtype
for intermediates."""
from __future__ import annotations

import itertools
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from tracer import Const, Graph, Var
from tracer.types import ArrayType

from ..shapes import c_strides

from .scalars import cast, check_dtype, literal

__all__ = ["ArrayRef", "Emitter", "WS_ALIGN", "c_strides", "workspace_name", "result_name"]

WS_ALIGN = 16   # elements: workspace buffers start on cache lines (64 B for float32)


@dataclass(eq=False)
class ArrayRef:
    """An IR value in the generated program: element (i0, i1, ...) is
    buf[offset + i0*strides[0] + i1*strides[1] + ...]."""
    buf: str
    aval: ArrayType
    offset: int = 0
    strides: tuple | None = None   # None: C-contiguous (from the shape, last stride 1)
    zero_offset: bool = False      # the offset is 0 by construction, whatever the sizes
    fresh: bool = False            # a new buffer owned by this value: may be returned as is
    perm: tuple | None = None      # a transpose of contiguous memory: axis i is its axis perm[i]

    @property
    def contiguous(self) -> bool:
        return self.strides is None

    def stride_values(self) -> tuple:
        return c_strides(self.aval.shape) if self.strides is None else self.strides


class Emitter:
    def __init__(self, graph: Graph, parallel_ok: bool = True):
        self.graph = graph
        self.parallel_ok = parallel_ok
        self.users: dict = {}              # Var -> group numbers reading it (current graph)
        self.outputs: set = set()          # the current graph's output Vars
        self.fresh_outputs = True          # do they get fresh buffers (top-level graph)?
        self.next_group = 0                # groups are numbered across all (sub-)graphs
        self.emit_graph = None             # (graph, input refs) -> output refs; codegen sets it
        self.lines: list[str] = []
        self.depth = 1
        self._count = itertools.count()
        self.dims: list[int] = []
        self._dim_names: dict = {}
        self.refs: dict = {}
        self.const_args: list[np.ndarray] = []
        self._const_refs: dict[int, ArrayRef] = {}
        self.workspace: dict[str, int] = {}   # dtype name -> elements (reused between calls)
        self.results: dict[str, int] = {}     # dtype name -> elements (new every call)
        self.parallel = False
        self._alive: list = []   # refs whose id keys a dim: never freed, so ids stay unique

    # --- text ---------------------------------------------------------------------------
    def emit(self, line: str):
        self.lines.append("    " * self.depth + line)

    @contextmanager
    def block(self, header: str):
        self.emit(header)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def name(self, prefix: str) -> str:
        return f"{prefix}{next(self._count)}"

    def assign(self, prefix: str, expr: str) -> str:
        """Emit `name = expr` under a new name and return the name."""
        n = self.name(prefix)
        self.emit(f"{n} = {expr}")
        return n

    # --- runtime integers ---------------------------------------------------------------
    def dim(self, value: int, key=None) -> str:
        """The local holding the runtime integer `value`. Equal keys share one slot; equal
        values never do (that would make the source depend on sizes)."""
        if key is not None and key in self._dim_names:
            return self._dim_names[key]
        name = f"d{len(self.dims)}"
        self.dims.append(int(value))
        if key is not None:
            self._dim_names[key] = name
        return name

    def int_arg(self, value: int) -> str:
        """A structural integer (a flag, a count, 0) as an argument of a runtime helper:
        a local, never a Python literal, because Numba compiles a helper once per distinct
        literal argument value (a new parallel gemm, ~1 s, for each flag and offset 0)."""
        return self.dim(value, ("int_arg", int(value)))

    def start(self, ref: ArrayRef) -> str:
        """ref's offset as a helper argument (see int_arg)."""
        return self.offset(ref) or self.int_arg(0)

    def size(self, v) -> str:
        return self.dim(v.aval.size, ("size", id(v)))

    def strides(self, ref: ArrayRef) -> list:
        """Stride expressions; a contiguous array's last one is the literal 1, which lets
        LLVM vectorise the innermost loop."""
        values = ref.stride_values()
        self._alive.append(ref)
        unit = len(values) - 1 if ref.contiguous else None
        return ["1" if k == unit else self.dim(s, (id(ref), "stride", k))
                for k, s in enumerate(values)]

    def offset(self, ref: ArrayRef) -> str | None:
        self._alive.append(ref)
        return None if ref.zero_offset else self.dim(ref.offset, (id(ref), "offset"))

    def index(self, ref: ArrayRef, terms: list) -> str:
        """The flat index expression of an element: `terms` is per axis (axis index
        expression, or None for a broadcast axis read at 0)."""
        strides = self.strides(ref)
        parts = [] if self.offset(ref) is None else [self.offset(ref)]
        for t, s in zip(terms, strides):
            if t is not None:
                parts.append(t if s == "1" else f"{t} * {s}")
        return " + ".join(parts) if parts else "0"

    # --- values -------------------------------------------------------------------------
    def ref(self, v) -> ArrayRef:
        """The array holding IR value v (a Var, or a Const: arrays become arguments)."""
        if isinstance(v, Var):
            return self.refs[v]
        value = v.value
        if isinstance(value, np.ndarray):
            hit = self._const_refs.get(id(value))
            if hit is None:
                check_dtype(value.dtype)
                hit = ArrayRef(f"c{len(self.const_args)}", v.aval, zero_offset=True)
                self.const_args.append(value)
                self._const_refs[id(value)] = hit
            return hit
        aval = v.aval.strong()
        buf = self.assign("k", f"np.full(1, {literal(value, aval.dtype)})")
        return ArrayRef(buf, aval, zero_offset=True)

    def scalar(self, v, dtype=None) -> str:
        """A scalar expression of 0-d value v, as `dtype` when given."""
        if isinstance(v, Const) and not isinstance(v.value, np.ndarray):
            return literal(v.value, dtype if dtype is not None else v.aval.dtype)
        ref = self.ref(v)
        expr = f"{ref.buf}[{self.index(ref, [])}]"
        return expr if dtype is None else cast(expr, v.aval.dtype, dtype)

    def contiguous(self, v) -> ArrayRef:
        """A C-contiguous array holding v: v itself, or a copy of a strided view."""
        ref = self.ref(v)
        if ref.contiguous:
            return ref
        return self.copy(ref, self.alloc_buffer(ref.aval, fresh=False))

    def copy(self, src: ArrayRef, dst: ArrayRef, src_shift: str = "",
             dst_shift: str = "") -> ArrayRef:
        """Emit a copy of src's elements into dst (any layouts, same shape, casting to dst's
        dtype). The shifts are runtime expressions added to the offsets (a loop counter
        times a stride, for scan's slices)."""
        a = " + ".join(x for x in (self.offset(src), src_shift) if x) or self.int_arg(0)
        b = " + ".join(x for x in (self.offset(dst), dst_shift) if x) or self.int_arg(0)
        if src.aval.ndim == 0:
            self.emit(f"{dst.buf}[np.uint64({b})] = {src.buf}[np.uint64({a})]")
            return dst
        if src.contiguous and dst.contiguous and src.aval.dtype == dst.aval.dtype:
            n = self.dim(src.aval.size)
            self.emit(f"flat_copy({src.buf}, {a}, {dst.buf}, {b}, {n})")
            return dst
        at = len(self.dims)   # shape, src strides, dst strides: consecutive runtime integers
        for n in src.aval.shape + src.stride_values() + dst.stride_values():
            self.dim(n)
        self.emit(f"strided_copy({src.buf}, {a}, {dst.buf}, {b}, dims, {self.int_arg(at)}, "
                  f"{self.int_arg(src.aval.ndim)})")
        return dst

    def bind(self, v: Var, ref: ArrayRef):
        self.refs[v] = ref

    def needed_outside(self, v: Var, group_index: int) -> bool:
        return v in self.outputs or bool(self.users.get(v, set()) - {group_index})

    # --- buffers ------------------------------------------------------------------------
    def alloc(self, v: Var) -> ArrayRef:
        """A C-contiguous buffer for v, bound to it: fresh if v is a graph output (the
        caller keeps it), else a slice of the workspace, which later calls overwrite."""
        fresh = self.fresh_outputs and v in self.outputs
        ref = self.alloc_buffer(v.aval.strong(), fresh=fresh, key=id(v))
        self.bind(v, ref)
        return ref

    def alloc_buffer(self, aval: ArrayType, fresh: bool, key=None) -> ArrayRef:
        """A region of a buffer: of the per-dtype result buffer the program allocates and
        returns (fresh: handed to the caller), or of the per-dtype workspace (reused)."""
        dtype = check_dtype(aval.dtype)
        area = self.results if fresh else self.workspace
        first = dtype.name not in area    # (then the offset is 0 whatever the sizes)
        used = area.get(dtype.name, 0)
        start = -(-used // WS_ALIGN) * WS_ALIGN
        area[dtype.name] = start + aval.size
        name = result_name(dtype) if fresh else workspace_name(dtype)
        return ArrayRef(name, aval, offset=start, fresh=fresh, zero_offset=first)


def workspace_name(dtype) -> str:
    return f"ws_{np.dtype(dtype).name}"


def result_name(dtype) -> str:
    return f"res_{np.dtype(dtype).name}"
