"""Control flow inside the one program: the bodies (sub-graphs) are emitted inline, as
Python `if` / `while` / `for` around their code, so a loop of a thousand steps is still one
call from Python. Carried values live in workspace buffers; each step's results are
copied into them (through a temporary when a result may alias a carried buffer)."""
from __future__ import annotations

from tracer.types import ArrayType

from ..emitter import ArrayRef

__all__ = ["lower_cond", "lower_while", "lower_scan"]


def _buffers(em, outs) -> list:
    """One contiguous buffer per output (fresh for graph outputs)."""
    return [em.alloc(v) for v in outs]


def _store(em, results, targets, carried) -> None:
    """Copy a body's results into the carried buffers. A result sharing a buffer with the
    carried values may be (a view of) one that another copy overwrites first, so those go
    through a temporary."""
    staged = []
    for r, t in zip(results, targets):
        if any(r.buf == c.buf for c in carried):
            tmp = em.alloc_buffer(ArrayType(t.aval.shape, t.aval.dtype), fresh=False)
            staged.append((em.copy(r, tmp), t))
        else:
            staged.append((r, t))
    for r, t in staged:
        em.copy(r, t)


def lower_cond(em, op):
    pred, *operands = op.inputs
    outs = _buffers(em, op.outputs)
    refs = [em.ref(v) for v in operands]
    with em.block(f"if {em.scalar(pred)}:"):
        _store(em, em.emit_graph(op.params["true_branch"], refs), outs, [])
    with em.block("else:"):
        _store(em, em.emit_graph(op.params["false_branch"], refs), outs, [])


def lower_while(em, op):
    n_cond, n_body = op.params["n_cond"], op.params["n_body"]
    cond_consts = [em.ref(v) for v in op.inputs[:n_cond]]
    body_consts = [em.ref(v) for v in op.inputs[n_cond:n_cond + n_body]]
    carry = _buffers(em, op.outputs)
    for v, c in zip(op.inputs[n_cond + n_body:], carry):
        em.copy(em.ref(v), c)
    with em.block("while True:"):
        (pred,) = em.emit_graph(op.params["cond_graph"], cond_consts + carry)
        with em.block(f"if not {pred.buf}[{em.index(pred, [])}]:"):
            em.emit("break")
        results = em.emit_graph(op.params["body_graph"], body_consts + carry)
        _store(em, results, carry, carry)


def lower_scan(em, op):
    """Step i reads xs[k][i] (copied into a buffer: a slice at a runtime offset) and writes
    ys[k][i]; `reverse` runs i from length-1 down to 0."""
    p = op.params
    n_consts, n_carry, length = p["n_consts"], p["n_carry"], p["length"]
    consts = [em.ref(v) for v in op.inputs[:n_consts]]
    xs = op.inputs[n_consts + n_carry:]
    outs = _buffers(em, op.outputs)
    carry, ys = outs[:n_carry], outs[n_carry:]
    for v, c in zip(op.inputs[n_consts:n_consts + n_carry], carry):
        em.copy(em.ref(v), c)
    steps = em.dim(length, (id(op), "length"))
    it = em.name("it")
    with em.block(f"for {it} in range({steps}):"):
        i = em.assign("i", f"{steps} - 1 - {it}" if p["reverse"] else it)
        slices = []
        for x in xs:
            ref = em.ref(x)
            item = ArrayType(x.aval.shape[1:], x.aval.dtype)
            row = ArrayRef(ref.buf, item, ref.offset, ref.stride_values()[1:], ref.zero_offset)
            step = em.dim(ref.stride_values()[0], (id(ref), "stride", 0))
            slices.append(em.copy(row, em.alloc_buffer(item, fresh=False),
                                  src_shift=f"{i} * {step}"))
        results = em.emit_graph(p["body"], consts + carry + slices)
        # ys first: a y may be (a view of) the old carry, which storing the new one overwrites
        for r, y in zip(results[n_carry:], ys):
            row = ArrayRef(y.buf, ArrayType(y.aval.shape[1:], y.aval.dtype), y.offset, None,
                           y.zero_offset)
            em.copy(r, row, dst_shift=f"{i} * {em.dim(row.aval.size, (id(y), 'row'))}")
        _store(em, results[:n_carry], carry, carry)
