"""Partition a graph into groups, each lowered to one loop nest or one library/loop call;
shared by the backends, each of which says through its `family_of` which primitives it
fuses ("elementwise" and "reduction") and names the family of the others.

The fusion rule: a *fused* group has a domain D (a shape) and runs one loop nest over D.
Every element-wise op in it (arithmetic, casts, comparisons, select, broadcast_to) has
output shape exactly D; operands from outside the group are read with broadcast indexing,
so no intermediate array exists inside a group. Reductions whose operand has shape D join
the group that computes the operand; all reductions of a group reduce the same axes. Ops
join greedily in graph order, and two groups merge when an op consumes both, unless that
would make a cycle between groups or read a reduction result inside its own loop. Every
other op (views, contractions, gathers, scans...) is a group of its own. Groups are
returned in a dependency order.

Parallelism is decided here, from the graph's static sizes: a fused group whose work
(domain size times the cost of its ops) is at least PARALLEL_MIN_WORK gets `prange` over
its outer loop (the program is then compiled with parallel=True), smaller ones run
serially. So the size class of each group is part of a program's structure: batch sizes
on the same side of the threshold share one source and one compiled function."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from tracer import Graph, Op, Var

from .shapes import prod

__all__ = ["Group", "partition", "PARALLEL_MIN_WORK"]

# A fused loop runs in parallel when its work, elements times the summed cost of its ops,
# is at least PARALLEL_MIN_WORK. Waking the thread pool costs microseconds (far more on a
# loaded 2-core machine), and each parallel loop adds ~1 s to a program's first compile,
# so small loops stay serial. One core does not saturate memory, though: an MLP step's SGD
# updates (2 ops on 784x512 and 512x512 weights) on both cores made the step at batch 32
# 15-25% faster and at batch 128 up to 10% (measured; batch 1024 the same), for ~1.8 s more
# of its first compile; a tanh layer (~20x the work per element) goes parallel from ~30k
# elements.
PARALLEL_MIN_WORK = 1 << 19
TRANSCENDENTAL_COST = 16     # a vectorised tanh/exp/log is ~30 instructions, an add one
TRANSCENDENTAL = frozenset({
    "exp", "expm1", "log", "log1p", "tanh", "erf", "sin", "cos", "tan", "arcsin", "arccos",
    "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "cbrt", "atan2", "pow"})


@dataclass(eq=False)
class Group:
    ops: list
    kind: str                   # "fused", or the lowering family of its single op
    domain: tuple | None = None   # fused: the loop domain
    axes: tuple | None = None     # fused: the reduction axes (None: no reduction)
    parallel: bool = False
    index: int = 0              # creation order: ties in the schedule keep it
    ancestors: set = field(default_factory=set)   # indices of groups this one needs
    reductions: set = field(default_factory=set)  # fused: its ops that reduce `axes`

    def reduces(self, op: Op) -> bool:
        return op in self.reductions

    def flags(self) -> str:
        """A fused group's " reduce(axes)" and " parallel", as they apply."""
        red = "" if self.axes is None else f" reduce{tuple(self.axes)}"
        return red + (" parallel" if self.parallel else "")

    def __repr__(self):
        names = " ".join(op.prim.name for op in self.ops)
        if self.kind != "fused":
            return f"{self.kind}[{names}]"
        return f"fused{list(self.domain)}{self.flags()}[{names}]"


class _Partition:
    def __init__(self, family_of: Callable[[str], str]):
        self.family_of = family_of
        self.groups: dict[int, Group] = {}
        self.group_of: dict[Var, Group] = {}   # producer group of each op output
        self._next = 0

    def fused_kind(self, op: Op) -> str | None:
        """"elementwise" or "reduction" for ops a fused group can take, else None. A
        reduction over no axes is a cast, so it fuses as an element-wise op."""
        family = self.family_of(op.prim.name)
        if family == "reduction":
            return "elementwise" if op.params["axes"] == () else "reduction"
        return "elementwise" if family == "elementwise" else None

    def new(self, op, kind, domain=None, axes=None) -> Group:
        g = Group([], kind, domain, axes, index=self._next)
        self._next += 1
        self.groups[g.index] = g
        self.add(g, op)
        return g

    def add(self, g: Group, op: Op):
        g.ops.append(op)
        for v in op.inputs:
            h = self.group_of.get(v)
            if h is not None and h is not g:
                self._depend(g, h)
        for v in op.outputs:
            self.group_of[v] = g

    def _depend(self, g: Group, h: Group):
        new = {h.index} | h.ancestors
        for x in self.groups.values():   # everything that needs g now needs h too
            if x is g or g.index in x.ancestors:
                x.ancestors |= new

    def mergeable(self, a: Group, b: Group) -> bool:
        """a and b can merge unless one reads a reduction result of the other (complete
        only after the loop), or a path a -> x -> b (or b -> x -> a) runs through a third
        group x (a cycle)."""
        if _reads_reduction_of(a, b) or _reads_reduction_of(b, a):
            return False
        for x in self.groups.values():
            if x is a or x is b:
                continue
            if (a.index in x.ancestors and x.index in b.ancestors) or \
               (b.index in x.ancestors and x.index in a.ancestors):
                return False
        return True

    def merge(self, a: Group, b: Group) -> Group:
        """Move b's ops into a and drop b (ops are put back in graph order at the end)."""
        a.ops = a.ops + b.ops
        a.axes = a.axes if a.axes is not None else b.axes
        a.reductions |= b.reductions
        for v, g in self.group_of.items():
            if g is b:
                self.group_of[v] = a
        del self.groups[b.index]
        a.ancestors = (a.ancestors | b.ancestors) - {a.index, b.index}
        for x in self.groups.values():   # what needed a or b needs the merged group's needs
            if x is not a and (a.index in x.ancestors or b.index in x.ancestors):
                x.ancestors.discard(b.index)
                x.ancestors |= {a.index} | a.ancestors
        return a

    def joinable(self, g: Group | None, domain, axes) -> bool:
        """Can a value of group g be computed inside a fused group with this domain (and
        reduction axes, None if none)?"""
        return (g is not None and g.kind == "fused" and g.domain == domain
                and (axes is None or g.axes is None or g.axes == axes))


def partition(graph: Graph, family_of: Callable[[str], str],
              parallel_ok: bool = True) -> list[Group]:
    """The fusion groups of `graph`, in an order that respects their dependencies.
    `family_of(primitive name)`: the backend's family of each primitive (raising for one
    it cannot compile); a non-fused group's `kind` is its op's family."""
    part = _Partition(family_of)
    position = {id(op): i for i, op in enumerate(graph.ops)}
    for op in graph.ops:
        kind = part.fused_kind(op)
        if kind is None:
            part.new(op, family_of(op.prim.name))
            continue
        if kind == "elementwise":
            domain, axes = op.outputs[0].aval.shape, None
            sources = [v for v in op.inputs if isinstance(v, Var)]
        else:
            domain, axes = op.inputs[0].aval.shape, tuple(sorted(op.params["axes"]))
            sources = [op.inputs[0]] if isinstance(op.inputs[0], Var) else []
        # candidate groups computing an operand inside the same domain (not a reduction result)
        cands = []
        for v in sources:
            g = part.group_of.get(v)
            if v.aval.shape == domain and part.joinable(g, domain, axes) and g not in cands \
                    and _in_domain(g, v):
                cands.append(g)
        target = None
        for g in cands:
            if target is None:
                if _no_cycle_join(part, g, op):
                    target = g
            elif (target.axes is None or g.axes is None or target.axes == g.axes) \
                    and part.mergeable(target, g):
                target = part.merge(target, g)
        if target is None or not _no_cycle_join(part, target, op):
            target = part.new(op, "fused", domain, axes)
        else:
            part.add(target, op)
            if axes is not None:
                target.axes = axes
        if axes is not None:
            target.reductions.add(op)
    groups = _schedule(list(part.groups.values()), position)
    for g in groups:
        if g.kind == "fused":
            g.ops.sort(key=lambda op: position[id(op)])
            size = prod(g.domain)
            cost = sum(TRANSCENDENTAL_COST if op.prim.name in TRANSCENDENTAL else 1
                       for op in g.ops)
            g.parallel = parallel_ok and size * cost >= PARALLEL_MIN_WORK
    return groups


def _in_domain(g: Group, v: Var) -> bool:
    """Is v an element-wise value of g (not the result of one of its reductions)?"""
    return not any(v in op.outputs for op in g.reductions)


def _reads_reduction_of(x: Group, y: Group) -> bool:
    """Does an op of x read a reduction result of y?"""
    results = {v for op in y.reductions for v in op.outputs}
    return any(v in results for op in x.ops for v in op.inputs)


def _no_cycle_join(part: _Partition, g: Group, op: Op) -> bool:
    """Can op run inside g's loop nest? Every other group feeding op must be computed
    before g, so none may depend on g; and op may not read a reduction result of g itself
    (it is complete only after the loop, as in `y / sum(y)`)."""
    for v in op.inputs:
        h = part.group_of.get(v)
        if h is g and not _in_domain(g, v):
            return False
        if h is not None and h is not g and g.index in h.ancestors:
            return False
    return True


def _schedule(groups: list[Group], position: dict) -> list[Group]:
    """Topological order of the groups (Kahn), ties broken by each group's first op."""
    index = {g.index: g for g in groups}
    first = {g.index: min(position[id(op)] for op in g.ops) for g in groups}
    producer = {}
    for g in groups:
        for op in g.ops:
            for v in op.outputs:
                producer[v] = g.index
    needs = {g.index: set() for g in groups}
    for g in groups:
        for op in g.ops:
            for v in op.inputs:
                p = producer.get(v)
                if p is not None and p != g.index:
                    needs[g.index].add(p)
    done, order = set(), []
    while len(order) < len(groups):
        ready = [i for i in index if i not in done and needs[i] <= done]
        nxt = min(ready, key=lambda i: first[i])
        done.add(nxt)
        order.append(index[nxt])
    return order
