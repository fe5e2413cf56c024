"""One loop nest for a fused group (element-wise ops and the reductions consuming them).

Loops: the domain's size-1 axes are dropped and adjacent axes are merged when every operand
agrees on them (both broadcast or both read, and a contiguous operand for a merged read),
so `x * w + b` over 10M elements is one flat loop and a bias add is two loops. Operands
are read with broadcast indexing; constant operands are hoisted out of the loops.

Reductions over the innermost (merged) loop run in blocks: a vectorised loop computes
BLOCK values into a small buffer, then a block combiner of kernels/cpu/runtime.py folds
them into the accumulator (a float reduction loop does not vectorise without
reassociation, so the element-wise work would not either). Rows longer than CHUNK are cut
into chunks whose partial results are combined in a fixed order, so results do not depend
on the number of threads. Other reduction patterns accumulate into an array indexed by the
kept axes."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracer import Const, Var

from ...fusion import Group
from .elementwise import expression
from .reduction import REDUCERS, TAKES_SCRATCH, accumulator_dtype
from ..runtime import BLOCK
from ..scalars import cast, np_type
from ...shapes import prod

__all__ = ["lower_fused", "CHUNK", "PARTS"]

CHUNK = 16384    # elements of a reduced row per work item
PARTS = 64       # work items are dealt out to at most this many prange iterations
# Shorter rows reduce with one scalar accumulator: the blocked loops cost ~0.3 s more to
# compile, which only pays off on long rows. Like the parallel threshold this is decided
# from the graph's static sizes, so it is part of the program's structure.
BLOCKED_MIN = 4096


@dataclass
class _Loop:
    axes: list          # domain axes merged into this loop
    reduced: bool
    size: str = ""      # name of the runtime trip count
    counter: str = ""   # name of the (signed) loop index
    pitch: str = ""     # row-major stride of this loop in the domain (for stores)


def _is_array(v) -> bool:
    return isinstance(v, Var) or isinstance(v.value, np.ndarray)


def _key(v):
    return v if isinstance(v, Var) else id(v.value)


def _operands(group: Group, internal: set) -> list:
    seen, out = set(), []
    for op in group.ops:
        for v in op.inputs:
            if v not in internal and _is_array(v) and _key(v) not in seen:
                seen.add(_key(v))
                out.append(v)
    return out


def _reads(v, domain) -> list:
    """Per domain axis: does operand v vary along it (False: broadcast)?"""
    off = len(domain) - v.aval.ndim
    return [d >= off and v.aval.shape[d - off] != 1 for d in range(len(domain))]


def _loops(em, group: Group, operands: list, gid: int) -> list:
    domain, axes = group.domain, set(group.axes or ())
    reads = [(_reads(v, domain), em.ref(v).contiguous) for v in operands]
    loops: list[_Loop] = []
    for d in range(len(domain)):
        if domain[d] == 1:
            continue
        prev = loops[-1].axes[-1] if loops else None
        if prev is not None and (prev in axes) == (d in axes) and all(
                r[prev] == r[d] and (contiguous or not r[d]) for r, contiguous in reads):
            loops[-1].axes.append(d)
        else:
            loops.append(_Loop([d], d in axes))
    if not loops:   # a single element: one trip keeps the code uniform
        loops.append(_Loop([], False))
    pitch = 1
    for j in range(len(loops) - 1, -1, -1):
        loop = loops[j]
        size = prod([domain[d] for d in loop.axes])
        loop.size = em.dim(size, (gid, "loop", j))
        loop.pitch = "1" if j == len(loops) - 1 else em.dim(pitch, (gid, "pitch", j))
        pitch *= size
    return loops


class _Access:
    """How the loop body reads one operand: a hoisted scalar, or a flat index made of the
    loop counters times the operand's strides (a merged loop steps by the stride of its
    last axis: merged operands are contiguous)."""

    def __init__(self, em, v, group: Group, loops: list):
        ref, domain = em.ref(v), group.domain
        reads = _reads(v, domain)
        off = len(domain) - v.aval.ndim
        self.ref, self.em, self.hoisted = ref, em, None
        strides = em.strides(ref)
        self.terms = []   # (loop number, stride expression)
        for j, loop in enumerate(loops):
            if loop.axes and reads[loop.axes[0]]:
                self.terms.append((j, strides[loop.axes[-1] - off]))
        if not self.terms:
            self.hoisted = em.assign("s", f"{ref.buf}[{em.index(ref, [])}]")

    def load(self, loops) -> str:
        if self.hoisted is not None:
            return self.hoisted
        parts = [] if self.em.offset(self.ref) is None else [self.em.offset(self.ref)]
        for j, s in self.terms:
            parts.append(loops[j].counter if s == "1" else f"{loops[j].counter} * {s}")
        return f"{self.ref.buf}[np.uint64({' + '.join(parts)})]"


def _flat_index(loops) -> str:
    return " + ".join(l.counter if l.pitch == "1" else f"{l.counter} * {l.pitch}"
                      for l in loops)


def _body(em, group: Group, access: dict, loops: list, stores: dict) -> dict:
    """Emit the per-element code: loads, one local per value, stores. Returns the locals."""
    values, loaded = {}, {}
    for op in group.ops:
        if group.reduces(op):
            continue
        operands = []
        for v in op.inputs:
            if v in values:
                operands.append((values[v], v.aval.dtype))
            elif isinstance(v, Const) and not isinstance(v.value, np.ndarray):
                operands.append(v)
            else:
                key = _key(v)
                if key not in loaded:
                    acc = access[key]
                    loaded[key] = em.assign("l", acc.load(loops)) if acc.hoisted is None \
                        else acc.hoisted
                operands.append((loaded[key], v.aval.dtype))
        out = op.outputs[0]
        values[out] = em.assign("v", expression(op, operands))
        if out in stores:
            em.emit(f"{stores[out]}{_flat_index(loops)})] = {values[out]}")
    return values


def _value_of(v, values: dict, access: dict, loops):
    """A reduction's operand: a value computed in the body, or an operand read directly."""
    if v in values:
        return values[v]
    return access[_key(v)].load(loops)


def lower_fused(em, group: Group, gid: int):
    internal = {v for op in group.ops for v in op.outputs}
    operands = _operands(group, internal)
    loops = _loops(em, group, operands, gid)
    access = {_key(v): _Access(em, v, group, loops) for v in operands}
    stores = {}
    for op in group.ops:
        out = op.outputs[0]
        if not group.reduces(op) and em.needed_outside(out, gid):
            stores[out] = _target(em, em.alloc(out))
    reductions = [op for op in group.ops if group.reduces(op)]
    if not reductions:
        _nest(em, group.parallel, group, loops, access, stores)
    elif loops[-1].reduced and not any(loop.reduced for loop in loops[:-1]):
        row = prod([group.domain[d] for d in loops[-1].axes])
        if row >= BLOCKED_MIN:
            _blocked_reduction(em, group, loops, access, stores, reductions)
        else:
            _row_reduction(em, group, loops, access, stores, reductions)
    else:
        _array_reduction(em, group, loops, access, stores, reductions)


def _target(em, ref) -> str:
    """`buf[offset + ` : the start of a store into a fresh or workspace buffer."""
    off = em.offset(ref)
    return f"{ref.buf}[np.uint64({off} + " if off else f"{ref.buf}[np.uint64("


def _nest(em, parallel: bool, group, loops, access, stores, on_element=None):
    """Nested loops (prange on the outermost if parallel), then the body."""
    parallel = parallel and bool(loops)
    em.parallel |= parallel     # (parallel=True with no prange: Numba warns the user)
    for j, loop in enumerate(loops):
        loop.counter = em.name("i")
        kind = "prange" if parallel and j == 0 else "range"
        em.emit(f"for {loop.counter} in {kind}({loop.size}):")
        em.depth += 1
    values = _body(em, group, access, loops, stores)
    if on_element is not None:
        on_element(values)
    em.depth -= len(loops)


def _reduction_outputs(em, reductions) -> list:
    outs = []
    for op in reductions:
        x, out = op.inputs[0], op.outputs[0]
        acc_dt = accumulator_dtype(op.prim.name, x.aval.dtype, out.aval.dtype)
        outs.append((op, acc_dt, _target(em, em.alloc(out))))
    return outs


def _product(em, loops) -> str:
    # (no loops: 1 as a runtime integer, which may reach a helper such as `fill`)
    return em.assign("nk", " * ".join(loop.size for loop in loops)) if loops else em.int_arg(1)


def _block_dtype(op) -> np.dtype:
    """What a block buffer holds: the operand's dtype (booleans for any/all)."""
    if op.prim.name in ("reduce_any", "reduce_all"):
        return np.dtype(bool)
    return op.inputs[0].aval.dtype


def _blocked_reduction(em, group, loops, access, stores, reductions):
    kept, red = loops[:-1], loops[-1]
    nk = _product(em, kept)
    outs = _reduction_outputs(em, reductions)
    nrc = em.assign("nrc", f"max(({red.size} + {CHUNK - 1}) // {CHUNK}, 1)")
    nwork = em.assign("nw", f"{nk} * {nrc}")
    parts = [em.assign("pt", f"np.empty({nwork}, {np_type(dt)})") for _, dt, _ in outs]
    npart = em.assign("np_", f"min({nwork}, {PARTS if group.parallel else 1})")
    em.parallel |= group.parallel
    p = em.name("p")
    with em.block(f"for {p} in {'prange' if group.parallel else 'range'}({npart}):"):
        # the buffer holds values in their own dtype (float32 stays float32: a conversion in
        # the vectorised loop halves its width); the block combiner accumulates wider
        tmp_dts = [_block_dtype(op) for op, _, _ in outs]
        tmps = [em.assign("tb", f"np.empty({BLOCK}, {np_type(d)})") for d in tmp_dts]
        combiners = [REDUCERS[op.prim.name].block(dt) for op, dt, _ in outs]
        if TAKES_SCRATCH.intersection(combiners):
            half = em.assign("hb", f"np.empty({BLOCK // 2}, np.float64)")
        w = em.name("w")
        with em.block(f"for {w} in range({p} * {nwork} // {npart}, "
                      f"({p} + 1) * {nwork} // {npart}):"):
            kf = em.assign("kf", f"{w} // {nrc}")
            c = em.assign("c", f"{w} - {kf} * {nrc}")
            rest = kf
            for j in range(len(kept) - 1, -1, -1):   # kept indices from the flat row index
                kept[j].counter = em.assign("i", f"{rest} % {kept[j].size}" if j else rest)
                if j:
                    rest = em.assign("q", f"{rest} // {kept[j].size}")
            lo = em.assign("lo", f"{c} * {CHUNK}")
            hi = em.assign("hi", f"min({lo} + {CHUNK}, {red.size})")
            accs = [em.assign("acc", REDUCERS[op.prim.name].identity_literal(dt))
                    for op, dt, _ in outs]
            b0 = em.name("b")
            with em.block(f"for {b0} in range({lo}, {hi}, {BLOCK}):"):
                m = em.assign("m", f"min({BLOCK}, {hi} - {b0})")
                t = em.name("t")
                with em.block(f"for {t} in range({m}):"):
                    red.counter = em.assign("i", f"{b0} + {t}")
                    values = _body(em, group, access, loops, stores)
                    for (op, _, _), tmp, tdt in zip(outs, tmps, tmp_dts):
                        x = op.inputs[0]
                        val = _value_of(x, values, access, loops)
                        em.emit(f"{tmp}[np.uint64({t})] = {cast(val, x.aval.dtype, tdt)}")
                for combiner, tmp, acc in zip(combiners, tmps, accs):
                    scratch = f", {half}" if combiner in TAKES_SCRATCH else ""
                    em.emit(f"{acc} = {combiner}({tmp}, {m}, {acc}{scratch})")
            for part, acc in zip(parts, accs):
                em.emit(f"{part}[{w}] = {acc}")
    k = em.name("k")
    with em.block(f"for {k} in range({nk}):"):
        for (op, dt, target), part in zip(outs, parts):
            acc = em.assign("acc", f"{part}[{k} * {nrc}]")
            c = em.name("c")
            with em.block(f"for {c} in range(1, {nrc}):"):
                combine = REDUCERS[op.prim.name].combine.format(
                    a=acc, b=f"{part}[{k} * {nrc} + {c}]")
                em.emit(f"{acc} = {combine}")
            em.emit(f"{target}{k})] = {cast(acc, dt, op.outputs[0].aval.dtype)}")


def _row_reduction(em, group, loops, access, stores, reductions):
    """Short rows: per kept index, one scalar accumulator per reduction over the row."""
    kept, red = loops[:-1], loops[-1]
    outs = _reduction_outputs(em, reductions)

    def row(values_unused):
        accs = [em.assign("acc", REDUCERS[op.prim.name].identity_literal(dt))
                for op, dt, _ in outs]
        red.counter = em.name("i")
        with em.block(f"for {red.counter} in range({red.size}):"):
            values = _body(em, group, access, loops, stores)
            for (op, dt, _), acc in zip(outs, accs):
                x = op.inputs[0]
                val = cast(_value_of(x, values, access, loops), x.aval.dtype, dt)
                em.emit(f"{acc} = {REDUCERS[op.prim.name].combine.format(a=acc, b=val)}")
        flat = _kept_index(kept)
        for (op, dt, target), acc in zip(outs, accs):
            em.emit(f"{target}{flat})] = {cast(acc, dt, op.outputs[0].aval.dtype)}")

    _nest(em, group.parallel, _NoBody(), kept, access, stores, row)


def _kept_index(kept) -> str:
    """Row-major index over the kept loops only: where a reduction result goes."""
    flat = "0"
    for loop in kept:
        flat = loop.counter if flat == "0" else f"({flat}) * {loop.size} + {loop.counter}"
    return flat


class _NoBody:
    """A group with no ops: _nest then only opens the loops and calls back."""
    ops = ()


def _array_reduction(em, group, loops, access, stores, reductions):
    """Any other set of reduced axes: accumulate into an array over the kept loops, in
    row-major order of the domain (prange only over a kept outermost loop, so parallel
    iterations own distinct rows). The output itself is the accumulator when it has the
    accumulator's dtype; else a float64 (or wider) array is, cast at the end."""
    kept = [loop for loop in loops if not loop.reduced]
    nk = _product(em, kept)
    outs = _reduction_outputs(em, reductions)
    accs = []   # per reduction: (buffer, offset expression) of the accumulator
    for op, dt, _ in outs:
        ident = REDUCERS[op.prim.name].identity_literal(dt)
        out = em.ref(op.outputs[0])
        if out.aval.dtype == dt:
            off = em.start(out)
            em.emit(f"fill({out.buf}, {off}, {nk}, {ident})")
            accs.append((out.buf, off))
        else:
            acc = em.assign("ac", f"np.empty({nk}, {np_type(dt)})")
            em.emit(f"fill({acc}, {em.int_arg(0)}, {nk}, {ident})")
            accs.append((acc, None))

    def accumulate(values):
        flat = _kept_index(kept)
        for (op, dt, _), (acc, off) in zip(outs, accs):
            x = op.inputs[0]
            val = cast(_value_of(x, values, access, loops), x.aval.dtype, dt)
            at = em.assign("uk", f"np.uint64({flat if off is None else off + ' + ' + flat})")
            combine = REDUCERS[op.prim.name].combine.format(a=f"{acc}[{at}]", b=val)
            em.emit(f"{acc}[{at}] = {combine}")

    # (the outermost loop reduced: serial. Parallel column chunks measured slower for an
    # MLP's bias gradients, a memory-bound loop, on two cores.)
    _nest(em, group.parallel and not loops[0].reduced, group, loops, access, stores,
          accumulate)
    pending = [(o, a) for o, a in zip(outs, accs) if a[1] is None]
    if pending:
        k = em.name("k")
        with em.block(f"for {k} in range({nk}):"):
            for (op, dt, target), (acc, _) in pending:
                em.emit(f"{target}{k})] = {cast(f'{acc}[{k}]', dt, op.outputs[0].aval.dtype)}")
