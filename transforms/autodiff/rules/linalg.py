"""Derivatives of dot_general (the lax rule). It is bilinear: the JVP is the sum of the
op on each tangent; the VJP contracts the cotangent with the other operand over that
operand's free axes and permutes the result back into the operand's axis order."""
from __future__ import annotations

import numpy as np

from tracer.ops.linalg import free_axes
from tracer.primitive import REGISTRY as P

from ._util import add, aval, to_input, to_output, transpose

__all__ = ["JVP", "VJP"]


def _dot(x, y, contract, batch):
    return P["dot_general"].bind(x, y, contract=contract, batch=batch)


def _dot_jvp(primals, tangents, out, *, contract, batch):
    x, y = primals
    tx, ty = tangents
    dx = None if tx is None else _dot(tx, y, contract, batch)
    dy = None if ty is None else _dot(x, ty, contract, batch)
    return to_output(add(dx, dy), aval(out))


def _operand_ct(ct, other, mine, theirs, ct_theirs, ct_batch, first: bool):
    """The cotangent of one operand: the cotangent contracted with `other` over other's
    free axes. `mine`/`theirs`: (contract, batch, free) axes of this operand and of
    `other`; `ct_theirs`: the cotangent's axes holding other's free axes. The product's
    axes are the batch axes, our free axes, and other's contract axes in ascending order
    (standing for our contract axes); for the first operand they come in that order
    (ct first), for the second other's go before ours (other first), so that x @ y
    needs no transpose."""
    (c, b, f), (oc, ob, of) = mine, theirs
    ours = [c[oc.index(a)] for a in sorted(oc)]
    if first:
        g = _dot(ct, other, contract=(ct_theirs, of), batch=(ct_batch, ob))
        order = list(b) + list(f) + ours
    else:
        g = _dot(other, ct, contract=(of, ct_theirs), batch=(ob, ct_batch))
        order = list(b) + ours + list(f)
    return transpose(g, tuple(int(i) for i in np.argsort(order)))


def _dot_vjp(ct, primals, out, active, *, contract, batch):
    x, y = primals
    (xc, yc), (xb, yb) = contract, batch
    xf, yf = free_axes(aval(x).ndim, xc, xb), free_axes(aval(y).ndim, yc, yb)
    nb, nx = len(xb), len(xf)
    ct_b = tuple(range(nb))
    ct_x = tuple(range(nb, nb + nx))
    ct_y = tuple(range(nb + nx, nb + nx + len(yf)))
    xs, ys = (xc, xb, xf), (yc, yb, yf)
    gx = _operand_ct(ct, y, xs, ys, ct_y, ct_b, first=True) if active[0] else None
    gy = _operand_ct(ct, x, ys, xs, ct_x, ct_b, first=False) if active[1] else None
    return [None if gx is None else to_input(gx, aval(x)),
            None if gy is None else to_input(gy, aval(y))]


JVP = {"dot_general": _dot_jvp}
VJP = {"dot_general": _dot_vjp}
