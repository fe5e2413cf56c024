"""cond, while_loop and scan on the device: each body (a sub-graph) is a Program of its
own, run from the host between launches. The host reads a predicate back (one small
synchronous copy per cond and per loop step); carried values live in two sets of device
buffers used in turn, so a step never overwrites what it reads; scan hands each step its
rows of xs and ys as views of the stacked buffers, without copies."""
from __future__ import annotations

from tracer import Const

__all__ = ["lower_cond", "lower_while", "lower_scan", "flat_view", "read_scalar"]


def flat_view(bufs, loc):
    """The contiguous Loc's elements as a buffer starting at its first element."""
    buf = bufs[loc.slot]
    if loc.offset == 0 and buf.size == loc.size:
        return buf
    return buf[loc.offset:loc.offset + loc.size]


def read_scalar(bufs, loc):
    return bufs[loc.slot][loc.offset:loc.offset + 1].copy_to_host()[0]


def _program(graph):
    from .program import Program
    return Program.from_graph(graph)


def _operands(pl, vs) -> list:
    return [pl.contiguous(v) for v in vs]


def lower_cond(pl, op):
    pred, *operands = op.inputs
    branches = [_program(op.params["false_branch"]), _program(op.params["true_branch"])]
    ins = _operands(pl, operands)
    outs = [pl.alloc(v) for v in op.outputs]
    if isinstance(pred, Const):
        fixed = bool(pred.value)
        pl.host(lambda bufs: branches[fixed].run([flat_view(bufs, x) for x in ins],
                                                 [flat_view(bufs, o) for o in outs]), "cond",
                [branches[fixed]])
        return
    p = pl.loc(pred)

    def run(bufs):
        branch = branches[bool(read_scalar(bufs, p))]
        branch.run([flat_view(bufs, x) for x in ins], [flat_view(bufs, o) for o in outs])
    pl.host(run, "cond: the predicate read on the host, the branch run on the device",
            branches)


def _carry(pl, op, init) -> tuple[list, list, list]:
    """The outputs (initialised with `init`), a second set of buffers, and the kernels
    copying the second set home."""
    from .fused import copy_kernel
    from .planner import KernelStep
    from .source import compile_kernel
    outs = [pl.alloc(v) for v in op.outputs[:len(init)]]
    for v, o in zip(init, outs):
        pl.copy(pl.loc(v), o)
    spare = [pl.temp(o.shape, o.dtype) for o in outs]
    home = []
    for s, o in zip(spare, outs):
        writer, grid, block = copy_kernel(s, o, pl.cfg)
        source = writer.source()
        home.append(KernelStep(compile_kernel(source), grid, block, writer.values, source))
    return outs, spare, home


def _settle(bufs, cur, outs, home) -> None:
    """After an odd number of steps the carry is in the spare buffers: copy it home."""
    if cur is not outs:
        for step in home:
            step.run(bufs)


def lower_while(pl, op):
    p = op.params
    n_cond, n_body = p["n_cond"], p["n_body"]
    cond, body = _program(p["cond_graph"]), _program(p["body_graph"])
    cond_consts = _operands(pl, op.inputs[:n_cond])
    body_consts = _operands(pl, op.inputs[n_cond:n_cond + n_body])
    outs, spare, home = _carry(pl, op, op.inputs[n_cond + n_body:])
    flag = pl.temp((), "bool")

    def run(bufs):
        cc = [flat_view(bufs, x) for x in cond_consts]
        bc = [flat_view(bufs, x) for x in body_consts]
        cur, nxt = outs, spare
        while True:
            cond.run(cc + [flat_view(bufs, c) for c in cur], [flat_view(bufs, flag)])
            if not read_scalar(bufs, flag):
                break
            body.run(bc + [flat_view(bufs, c) for c in cur], [flat_view(bufs, c) for c in nxt])
            cur, nxt = nxt, cur
        _settle(bufs, cur, outs, home)
    pl.host(run, "while_loop: the predicate read on the host each step", [cond, body])


def lower_scan(pl, op):
    p = op.params
    n_consts, n_carry, length = p["n_consts"], p["n_carry"], p["length"]
    body = _program(p["body"])
    consts = _operands(pl, op.inputs[:n_consts])
    outs, spare, home = _carry(pl, op, op.inputs[n_consts:n_consts + n_carry])
    xs = _operands(pl, op.inputs[n_consts + n_carry:])
    ys = [pl.alloc(v) for v in op.outputs[n_carry:]]
    order = range(length - 1, -1, -1) if p["reverse"] else range(length)

    def rows(bufs, loc, i):
        n = loc.size // length if length else 0
        return bufs[loc.slot][loc.offset + i * n:loc.offset + (i + 1) * n]

    def run(bufs):
        cs = [flat_view(bufs, x) for x in consts]
        cur, nxt = outs, spare
        for i in order:
            body.run(cs + [flat_view(bufs, c) for c in cur] + [rows(bufs, x, i) for x in xs],
                     [flat_view(bufs, c) for c in nxt] + [rows(bufs, y, i) for y in ys])
            cur, nxt = nxt, cur
        _settle(bufs, cur, outs, home)
    pl.host(run, "scan: one body program run per step", [body])
