"""Ops that are loops of their own: gathers and scatters, scans and arg-reductions along an
axis, concatenate, pad, and the Threefry cipher.

An op along one axis sees its (C-contiguous) operand as (pre, n, post): the axis in the
middle, the axes before and after it flattened. Each kernel is a grid-stride loop over
independent elements or lines; a scan or scatter walks its axis sequentially inside one
thread, in NumPy's order, so results (duplicates in a scatter, rounding in a cumsum)
match NumPy exactly. Indices are clamped into range: the front end only makes valid
ones, and an invalid one must not read or write outside a buffer."""
from __future__ import annotations

import numpy as np

from tracer.ops.random import PARITY, ROTATIONS

from .layout import Loc, prod
from .nests import grid_1d
from .source import BufArg

__all__ = ["lower_take", "lower_scatter", "lower_cumulative", "lower_argreduce",
           "lower_concatenate", "lower_pad", "lower_threefry"]


class _Fixed:
    """A hand-written kernel source with its argument values, launched like a generated one."""

    def __init__(self, params: str, body: str, values: list):
        self.name, self.values = "kernel", values
        self._text = f"def kernel({params}):\n" + body

    def source(self) -> str:
        from .source import HEADER
        return HEADER + self._text


def _launch(pl, params, body, values, n):
    pl.launch(_Fixed(params, body, values), grid_1d(n, pl.cfg.threads, pl.cfg.max_blocks),
              pl.cfg.threads)


def _buf(loc: Loc) -> list:
    return [BufArg(loc.slot, loc.dtype), loc.offset]


def _split(shape, axis) -> tuple:
    return prod(shape[:axis]), shape[axis], prod(shape[axis + 1:])


_GRID = "    t = cuda.grid(1)\n    step = cuda.gridsize(1)\n"

_TAKE = _GRID + """\
    while t < total:
        q = t % post
        r = t // post
        j = r % nidx
        k = min(max(idx[io + j], 0), nx - 1)
        out[oo + t] = x[xo + ((r // nidx) * nx + k) * post + q]
        t += step
"""


def lower_take(pl, op):
    x, idx = op.inputs
    axis = op.params["axis"]
    src, ind = pl.contiguous(x), pl.contiguous(idx)
    out = pl.alloc(op.outputs[0])
    _, nx, post = _split(x.aval.shape, axis)
    _launch(pl, "x, xo, idx, io, out, oo, total, nidx, post, nx", _TAKE,
            _buf(src) + _buf(ind) + _buf(out) + [out.size, ind.size, post, nx], out.size)


_SCATTER = _GRID + """\
    while t < lines:
        q = t % post
        p = t // post
        for j in range(nidx):
            k = idx[io + j]
            if k >= 0 and k < nx:
                a = oo + (p * nx + k) * post + q
                u = upd[uo + (p * nidx + j) * post + q]
                out[a] = {combine}
        t += step
"""
_SCATTER_COMBINE = {"set": "u", "add": "out[a] + u", "mul": "out[a] * u",
                    "min": "nf_min(out[a], u)", "max": "nf_max(out[a], u)"}


def lower_scatter(pl, op):
    """The copy of x, then one thread per (pre, post) line applies the updates in order."""
    x, idx, updates = op.inputs
    axis, mode = op.params["axis"], op.params["mode"]
    out = pl.alloc(op.outputs[0])
    pl.copy(pl.loc(x), out)
    ind = pl.contiguous(idx)
    upd = pl.contiguous(updates, out.dtype)
    pre, nx, post = _split(x.aval.shape, axis)
    body = _SCATTER.format(combine=_SCATTER_COMBINE[mode])
    _launch(pl, "out, oo, idx, io, upd, uo, lines, nidx, post, nx", body,
            _buf(out) + _buf(ind) + _buf(upd) + [pre * post, ind.size, post, nx], pre * post)


_CUMULATIVE = _GRID + """\
    while t < lines:
        q = t % post
        base = oo + (t // post) * n * post + q
        if n > 0:
            acc = out[base]
            for j in range(1, n):
                a = base + j * post
                acc = {combine}
                out[a] = acc
        t += step
"""
_CUMULATIVE_COMBINE = {"cumsum": "acc + out[a]", "cumprod": "acc * out[a]",
                       "cummax": "nf_max(acc, out[a])", "cummin": "nf_min(acc, out[a])"}


def lower_cumulative(pl, op):
    """x cast into the output, then scanned in place, one thread per line."""
    out = pl.alloc(op.outputs[0])
    pl.copy(pl.loc(op.inputs[0]), out)
    pre, n, post = _split(out.shape, op.params["axis"])
    body = _CUMULATIVE.format(combine=_CUMULATIVE_COMBINE[op.prim.name])
    _launch(pl, "out, oo, lines, n, post", body, _buf(out) + [pre * post, n, post], pre * post)


_ARGREDUCE = _GRID + """\
    while t < lines:
        q = t % post
        base = xo + (t // post) * n * post + q
        best = x[base]
        bi = 0
        for j in range(1, n):
            if best != best:
                break
            v = x[base + j * post]
            if v {cmp} best or v != v:
                best = v
                bi = j
        out[oo + t] = bi
        t += step
"""


def lower_argreduce(pl, op):
    """The first index of the max (min); the first NaN wins, as in NumPy."""
    src = pl.contiguous(op.inputs[0])
    out = pl.alloc(op.outputs[0])
    pre, n, post = _split(src.shape, op.params["axis"])
    body = _ARGREDUCE.format(cmp=">" if op.prim.name == "argmax" else "<")
    _launch(pl, "x, xo, out, oo, lines, n, post", body,
            _buf(src) + _buf(out) + [pre * post, n, post], pre * post)


def _axis_window(loc: Loc, axis: int, start: int, count: int) -> Loc:
    return loc.sliced([(start, count, 1) if d == axis else (0, n, 1)
                       for d, n in enumerate(loc.shape)])


def lower_concatenate(pl, op):
    out = pl.alloc(op.outputs[0])
    axis, start = op.params["axis"], 0
    for v in op.inputs:
        n = v.aval.shape[axis]
        if v.aval.size:
            pl.copy(pl.loc(v), _axis_window(out, axis, start, n))
        start += n


def lower_pad(pl, op):
    """Fill with the pad value (a 0-d operand, broadcast), then copy x into the interior."""
    x, value = op.inputs
    out = pl.alloc(op.outputs[0])
    pl.copy(pl.loc(value), out)
    if x.aval.size:
        inner = out.sliced([(lo, n, 1) for (lo, _), n in zip(op.params["widths"], x.aval.shape)])
        pl.copy(pl.loc(x), inner)


def _threefry_body() -> str:
    u = "np.uint32"
    lines = [f"k2 = {u}(k0 ^ k1 ^ {u}({PARITY}))", f"x0 = {u}(x0 + k0)", f"x1 = {u}(x1 + k1)"]
    keys = ("k0", "k1", "k2")
    for block in range(5):
        for r in ROTATIONS[block % 2]:
            lines.append(f"x0 = {u}(x0 + x1)")
            lines.append(f"x1 = {u}({u}({u}(x1 << {u}({r})) | {u}(x1 >> {u}({32 - r}))) ^ x0)")
        lines.append(f"x0 = {u}(x0 + {keys[(block + 1) % 3]})")
        lines.append(f"x1 = {u}({u}(x1 + {keys[(block + 2) % 3]}) + {u}({block + 1}))")
    return "".join(f"        {ln}\n" for ln in lines)


_THREEFRY = _GRID + """\
    while t < n:
        k0 = key[ko + 2 * t]
        k1 = key[ko + 2 * t + 1]
        x0 = cnt[co + 2 * t]
        x1 = cnt[co + 2 * t + 1]
{rounds}        out[oo + 2 * t] = x0
        out[oo + 2 * t + 1] = x1
        t += step
"""


def lower_threefry(pl, op):
    """key and count broadcast to the output's shape first, then one thread per pair."""
    out = pl.alloc(op.outputs[0])
    full = []
    for v in op.inputs:
        dst = pl.temp(out.shape, np.uint32)
        pl.copy(pl.loc(v), dst)
        full.append(dst)
    n = out.size // 2
    _launch(pl, "key, ko, cnt, co, out, oo, n", _THREEFRY.format(rounds=_threefry_body()),
            _buf(full[0]) + _buf(full[1]) + _buf(out) + [n], n)
