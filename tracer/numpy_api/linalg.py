"""Contractions: dot, matmul, vdot, inner, outer, tensordot and einsum, all through the
one `dot_general` primitive."""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ops.linalg import dot_general
from ..primitive import REGISTRY as P
from .basic import as_array_operand, as_operand, aval, normalize_axis, reshape, transpose
from .registry import implements, implements_ufunc

__all__ = ["matmul", "dot", "tensordot", "einsum"]


def _contract(x, y, xc, yc, xb=(), yb=()):
    return dot_general.bind(x, y, contract=(tuple(xc), tuple(yc)), batch=(tuple(xb), tuple(yb)))


@implements_ufunc(np.matmul)
@implements(np.matmul)
def matmul(x1, x2):
    x, y = as_operand(x1), as_operand(x2)
    xs, ys = aval(x).shape, aval(y).shape
    if not xs or not ys:
        raise ShapeError("matmul", "matmul does not take 0-d operands; use *", (aval(x), aval(y)))
    if xs[-1] != ys[max(len(ys) - 2, 0)]:
        raise ShapeError("matmul", f"the inner sizes {xs[-1]} and {ys[max(len(ys) - 2, 0)]} "
                         "differ: x @ y needs x.shape[-1] == y.shape[-2]", (aval(x), aval(y)))
    if len(xs) == 1 and len(ys) == 1:
        return _contract(x, y, (0,), (0,))
    if len(xs) == 1:
        return reshape(matmul(reshape(x, (1, -1)), y), ys[:-2] + ys[-1:])
    if len(ys) == 1:
        return reshape(matmul(x, reshape(y, (-1, 1))), xs[:-1])
    try:
        batch = np.broadcast_shapes(xs[:-2], ys[:-2])
    except ValueError:
        raise ShapeError("matmul", "the batch dimensions cannot be broadcast together",
                         (aval(x), aval(y))) from None
    from .basic import broadcast_to
    x = broadcast_to(x, batch + xs[-2:])
    y = broadcast_to(y, batch + ys[-2:])
    nb = len(batch)
    return _contract(x, y, (nb + 1,), (nb,), range(nb), range(nb))


@implements(np.dot)
def dot(a, b, out=None):
    x, y = as_array_operand(a), as_array_operand(b)
    xs, ys = aval(x).shape, aval(y).shape
    if not xs or not ys:
        return P["mul"].bind(x, y)
    if xs[-1] != ys[max(len(ys) - 2, 0)]:
        raise ShapeError("dot", f"the sizes {xs[-1]} and {ys[max(len(ys) - 2, 0)]} of the summed "
                         "axes differ (last of a, second-to-last of b)", (aval(x), aval(y)))
    return _contract(x, y, (len(xs) - 1,), (max(len(ys) - 2, 0),))


@implements(np.vdot)
def vdot(a, b):
    return _contract(reshape(a, (-1,)), reshape(b, (-1,)), (0,), (0,))


@implements(np.inner)
def inner(a, b):
    x, y = as_array_operand(a), as_array_operand(b)
    if not aval(x).shape or not aval(y).shape:
        return P["mul"].bind(x, y)
    return _contract(x, y, (aval(x).ndim - 1,), (aval(y).ndim - 1,))


@implements(np.outer)
def outer(a, b, out=None):
    return _contract(reshape(a, (-1,)), reshape(b, (-1,)), (), ())


@implements(np.tensordot)
def tensordot(a, b, axes=2):
    x, y = as_array_operand(a), as_array_operand(b)
    if np.ndim(axes) == 0:
        k = int(axes)
        xc, yc = range(aval(x).ndim - k, aval(x).ndim), range(k)
    else:
        xa, ya = axes
        xc, yc = np.atleast_1d(xa), np.atleast_1d(ya)
    xc = [normalize_axis(i, aval(x).ndim, "tensordot") for i in xc]
    yc = [normalize_axis(i, aval(y).ndim, "tensordot") for i in yc]
    return _contract(x, y, xc, yc)


@implements(np.einsum)
def einsum(subscripts, *operands, optimize=False, **kwargs):
    """Pairwise, left to right: diagonals and sums of single operands first, then one
    dot_general per pair (batch = letters in both and kept, contract = both and dropped)."""
    if kwargs:
        raise NotImplementedError(f"np.einsum: {sorted(kwargs)} are not supported on traced arrays")
    operands = [as_array_operand(o) for o in operands]
    inputs, output = _parse_einsum(subscripts, [aval(o).ndim for o in operands])
    terms = [_einsum_single(o, s, output, inputs[:k] + inputs[k + 1:])
             for k, (o, s) in enumerate(zip(operands, inputs))]
    (x, xs), rest = terms[0], terms[1:]
    for k, (y, ys) in enumerate(rest):
        later = "".join(t[1] for t in rest[k + 1:]) + output
        batch = [c for c in xs if c in ys and c in later]
        contract = [c for c in xs if c in ys and c not in later]
        x = _contract(x, y, [xs.index(c) for c in contract], [ys.index(c) for c in contract],
                      [xs.index(c) for c in batch], [ys.index(c) for c in batch])
        xs = "".join(batch) + "".join(c for c in xs if c not in ys) + \
            "".join(c for c in ys if c not in xs)
        x, xs = _einsum_single(x, xs, later, [])
    if sorted(xs) != sorted(output):
        raise ShapeError("einsum", f"cannot produce output '{output}' from '{xs}'")
    return transpose(x, [xs.index(c) for c in output])


def _parse_einsum(subscripts, ndims):
    subscripts = subscripts.replace(" ", "")
    lhs, _, out = subscripts.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(ndims):
        raise ShapeError("einsum", f"{len(ins)} subscripts for {len(ndims)} operands")
    if "..." in subscripts:
        free = [c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in subscripts]
        width = max(n - len(s.replace("...", "")) for s, n in zip(ins, ndims) if "..." in s)
        ell = "".join(free[:width][::-1])
        ins = [s.replace("...", ell[len(ell) - (n - len(s.replace("...", ""))):]) for s, n in
               zip(ins, ndims)]
        if "->" in subscripts:
            out = out.replace("...", ell)
        else:
            out = ell + "".join(sorted(c for c in set("".join(ins)) if "".join(ins).count(c) == 1
                                       and c not in ell))
    elif "->" not in subscripts:
        letters = "".join(ins)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for s, n in zip(ins, ndims):
        if len(s) != n:
            raise ShapeError("einsum", f"subscript '{s}' does not match an operand of {n} dimensions")
    return ins, out


def _einsum_single(x, subs, keep, others):
    """Take repeated letters' diagonals and sum letters no one else needs."""
    from .indexing import diagonal
    from .reductions import sum
    while len(set(subs)) != len(subs):
        c = next(c for c in subs if subs.count(c) > 1)
        i = subs.index(c)
        j = subs.index(c, i + 1)
        x = diagonal(x, 0, i, j)
        subs = "".join(s for k, s in enumerate(subs) if k not in (i, j)) + c
    needed = keep + "".join(others)
    drop = [k for k, c in enumerate(subs) if c not in needed]
    if drop:
        x = sum(x, axis=tuple(drop))
        subs = "".join(c for k, c in enumerate(subs) if k not in drop)
    return x, subs
