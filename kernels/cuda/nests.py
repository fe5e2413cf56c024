"""Kernel sources for loop nests over a domain: element-wise (one grid-stride loop) and
reductions (shared-memory trees, or one thread per output, with an optional final pass).

An access (a load or a store) is a Loc with its strides over the domain (0 on broadcast
axes). After `merge_axes` an access whose strides are the C-strides of the merged domain
is read at `offset + i`; the others from coordinates unravelled from i. Sizes, offsets
and strides are int arguments, so the source depends on ranks, dtypes, broadcast
patterns and the ops, never on sizes.

Reductions: with the innermost domain axis reduced (or nothing kept), one block reduces
one output element: its threads stride over the reduced elements (coalesced), then fold
their accumulators in a shared-memory tree. With the innermost axis kept, one thread owns
an output element and loops over the reduced ones (neighbouring threads read neighbouring
elements). When there are too few outputs to fill the GPU, the reduced range is split
over grid.y and a second kernel combines the partial results."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cpu.lowering.reduction import accumulator_dtype
from .expr import cast, literal, np_type
from .layout import Loc, c_strides, merge_axes, prod
from .source import KernelWriter

__all__ = ["Load", "Store", "Reduce", "elementwise_kernel", "reduction_kernels", "grid_1d"]


@dataclass
class Load:
    name: str          # the local the value is loaded into
    loc: Loc
    strides: tuple     # over the domain (0: broadcast)


@dataclass
class Store:
    expr: str          # the local holding the value
    loc: Loc
    strides: tuple     # over the domain


@dataclass
class Reduce:
    value: str         # the local holding the reduced element
    prim: str          # reduce_sum ...
    in_dtype: np.dtype
    out: Loc           # contiguous, the kept axes' shape


_COMBINE = {"reduce_sum": "{a} + {b}", "reduce_prod": "{a} * {b}",
            "reduce_max": "nf_max({a}, {b})", "reduce_min": "nf_min({a}, {b})",
            "reduce_any": "({a} | {b})", "reduce_all": "({a} & {b})"}


def _acc_dtype(r: Reduce) -> np.dtype:
    if r.prim in ("reduce_any", "reduce_all"):
        return np.dtype(np.uint8)     # 0/1 (shared arrays of bool are bytes anyway)
    return accumulator_dtype(r.prim, r.in_dtype, r.out.dtype)


def _identity(r: Reduce, acc) -> str:
    lowest = -np.inf if acc.kind == "f" else (np.iinfo(acc).min if acc.kind in "iu" else 0)
    highest = np.inf if acc.kind == "f" else (np.iinfo(acc).max if acc.kind in "iu" else 1)
    value = {"reduce_sum": 0, "reduce_prod": 1, "reduce_max": lowest, "reduce_min": highest,
             "reduce_any": 0, "reduce_all": 1}[r.prim]
    return literal(value, acc)


def _combine(r: Reduce, acc, a: str, b: str) -> str:
    return f"{np_type(acc)}({_COMBINE[r.prim].format(a=a, b=b)})"


def _to_acc(r: Reduce, acc, value: str) -> str:
    if r.prim in ("reduce_any", "reduce_all"):
        return f"np.uint8({value} != 0)"
    return cast(value, r.in_dtype, acc)


def _from_acc(r: Reduce, acc, value: str) -> str:
    if r.prim in ("reduce_any", "reduce_all"):
        return f"({value} != 0)"
    return cast(value, acc, r.out.dtype)


def grid_1d(n: int, threads: int, max_blocks: int) -> int:
    return max(1, min(-(-n // threads), max_blocks))


class _Indexer:
    """Index expressions of the accesses from the coordinates of the merged domain."""

    def __init__(self, k: KernelWriter, sizes: list, accesses: list, merged: list):
        self.k, self.sizes = k, sizes
        self.flat = [list(m) == list(c_strides(sizes)) for m in merged]
        self.accesses, self.merged = accesses, merged

    def unravel(self, flat: str, axes: list, coords: dict) -> None:
        """Emit the coordinates of `axes` (merged axis numbers, C order) from `flat`."""
        if len(axes) == 1:
            coords[axes[0]] = flat
            return
        rest = self.k.fresh("t")
        self.k.emit(f"{rest} = {flat}")
        for n, a in enumerate(reversed(axes)):
            c = self.k.fresh("c")
            if n == len(axes) - 1:
                self.k.emit(f"{c} = {rest}")
            else:
                size = self.k.int_arg("n", self.sizes[a])
                self.k.emit(f"{c} = {rest} % {size}")
                self.k.emit(f"{rest} = {rest} // {size}")
            coords[a] = c

    def index(self, j: int, coords: dict | None, flat: str | None) -> str:
        acc = self.accesses[j]
        buf = self.k.buf_arg(acc.loc.slot, acc.loc.dtype)
        off = self.k.int_arg("o", acc.loc.offset)
        if flat is not None and self.flat[j]:
            return f"{buf}[{off} + {flat}]"
        terms = [off]
        for a, s in enumerate(self.merged[j]):
            if s != 0:
                terms.append(f"{coords[a]} * {self.k.int_arg('s', s)}")
        return f"{buf}[{' + '.join(terms)}]"


def _body(k: KernelWriter, ix: _Indexer, loads, body, stores, coords, flat) -> None:
    for j, ld in enumerate(loads):
        k.emit(f"{ld.name} = {ix.index(j, coords, flat)}")
    for line in body:
        k.emit(line)
    for j, st in enumerate(stores, len(loads)):
        k.emit(f"{ix.index(j, coords, flat)} = {cast(st.expr, None, st.loc.dtype)}")


def elementwise_kernel(domain, loads: list, body: list, stores: list, cfg):
    """(writer, grid, block): one grid-stride loop over the domain."""
    k = KernelWriter()
    accesses = loads + stores
    sizes, _, merged = merge_axes(domain, [a.strides for a in accesses])
    ix = _Indexer(k, sizes, accesses, merged)
    n = prod(domain)
    total = k.int_arg("n", n)
    k.emit("i = cuda.grid(1)")
    k.emit("step = cuda.gridsize(1)")
    with k.block(f"while i < {total}:"):
        coords: dict = {}
        if not all(ix.flat) and sizes:
            ix.unravel("i", list(range(len(sizes))), coords)
        _body(k, ix, loads, body, stores, coords, "i")
        k.emit("i += step")
    return k, grid_1d(n, cfg.threads, cfg.max_blocks), cfg.threads


def reduction_kernels(domain, axes, loads, body, stores, reds: list, cfg, scratch) -> list:
    """[(writer, grid, block)]: the reduction kernel, then the final pass when the reduced
    range is split. `scratch(dtype, size) -> slot` gives the partial results' buffers."""
    accesses = loads + stores
    sizes, flags, merged = merge_axes(domain, [a.strides for a in accesses], set(axes))
    kept = [a for a, red in enumerate(flags) if not red]
    reduced = [a for a, red in enumerate(flags) if red]
    m, r = prod([sizes[a] for a in kept]), prod([sizes[a] for a in reduced])
    T, target = cfg.threads, max(2, cfg.max_blocks // 4)
    rows = not kept or flags[-1]
    if rows:
        grid_x = max(1, min(m, cfg.max_blocks))
        split = min(-(-target // max(m, 1)), max(1, -(-r // (T * 8))), 65535)
    else:
        grid_x = grid_1d(m, T, cfg.max_blocks)
        split = min(-(-target * T // max(m, 1)), max(1, -(-r // 8)), 65535)
    split = max(1, split)
    accs = [_acc_dtype(rd) for rd in reds]
    partials = [scratch(a, m * split) if split > 1 else None for a in accs]
    k = KernelWriter()
    ix = _Indexer(k, sizes, accesses, merged)
    m_arg, r_arg, s_arg = k.int_arg("m", m), k.int_arg("r", r), k.int_arg("ns", split)
    k.emit("split = cuda.blockIdx.y")
    if rows:
        k.emit("tid = cuda.threadIdx.x")
        shared = [k.fresh("sh") for _ in reds]
        for sh, acc in zip(shared, accs):
            k.emit(f"{sh} = cuda.shared.array({T}, {np_type(acc)})")
        k.emit("o = cuda.blockIdx.x")
        first, stride_o = f"split * {T} + tid", "cuda.gridDim.x"
        stride_j = f"{s_arg} * {T}"
    else:
        k.emit("o = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x")
        first, stride_o, stride_j = "split", "cuda.gridDim.x * cuda.blockDim.x", s_arg
    with k.block(f"while o < {m_arg}:"):
        coords: dict = {}
        if kept:
            ix.unravel("o", kept, coords)
        names = [k.fresh("acc") for _ in reds]
        for name, rd, acc in zip(names, reds, accs):
            k.emit(f"{name} = {_identity(rd, acc)}")
        k.emit(f"j = {first}")
        with k.block(f"while j < {r_arg}:"):
            if reduced:
                ix.unravel("j", reduced, coords)
            _body(k, ix, loads, body, stores, coords, None)
            for name, rd, acc in zip(names, reds, accs):
                k.emit(f"{name} = {_combine(rd, acc, name, _to_acc(rd, acc, rd.value))}")
            k.emit(f"j += {stride_j}")
        if rows:
            for sh, name in zip(shared, names):
                k.emit(f"{sh}[tid] = {name}")
            k.emit("cuda.syncthreads()")
            k.emit(f"w = {T // 2}")
            with k.block("while w > 0:"):
                with k.block("if tid < w:"):
                    for sh, rd, acc in zip(shared, reds, accs):
                        k.emit(f"{sh}[tid] = {_combine(rd, acc, f'{sh}[tid]', f'{sh}[tid + w]')}")
                k.emit("cuda.syncthreads()")
                k.emit("w //= 2")
            names = [f"{sh}[0]" for sh in shared]
        if rows:
            with k.block("if tid == 0:"):
                _write_results(k, reds, accs, names, partials, s_arg)
        else:
            _write_results(k, reds, accs, names, partials, s_arg)
        if rows:
            k.emit("cuda.syncthreads()")   # the tree is rebuilt for the next output
        k.emit(f"o += {stride_o}")
    grid = (grid_x, split)
    out = [(k, grid, T)]
    if split > 1:
        out.append(_final_pass(reds, accs, partials, m, split, cfg))
    return out


def _write_results(k, reds, accs, values, partials, s_arg) -> None:
    with k.block(f"if {s_arg} == 1:"):
        for rd, acc, v in zip(reds, accs, values):
            out = k.buf_arg(rd.out.slot, rd.out.dtype)
            k.emit(f"{out}[{k.int_arg('o', rd.out.offset)} + o] = {_from_acc(rd, acc, v)}")
    if any(p is not None for p in partials):
        with k.block("else:"):
            for acc, v, p in zip(accs, values, partials):
                k.emit(f"{k.buf_arg(p, acc)}[o * {s_arg} + split] = {v}")


def _final_pass(reds, accs, partials, m, split, cfg):
    """One thread per output folds its `split` partial results, in order."""
    k = KernelWriter()
    m_arg, s_arg = k.int_arg("m", m), k.int_arg("ns", split)
    k.emit("o = cuda.grid(1)")
    k.emit("step = cuda.gridsize(1)")
    with k.block(f"while o < {m_arg}:"):
        for rd, acc, p in zip(reds, accs, partials):
            part = k.buf_arg(p, acc)
            a = k.fresh("acc")
            k.emit(f"{a} = {part}[o * {s_arg}]")
            with k.block(f"for q in range(1, {s_arg}):"):
                k.emit(f"{a} = {_combine(rd, acc, a, f'{part}[o * {s_arg} + q]')}")
            out = k.buf_arg(rd.out.slot, rd.out.dtype)
            k.emit(f"{out}[{k.int_arg('o', rd.out.offset)} + o] = {_from_acc(rd, acc, a)}")
        k.emit("o += step")
    return k, grid_1d(m, cfg.threads, cfg.max_blocks), cfg.threads
