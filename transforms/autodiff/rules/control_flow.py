"""Derivatives of cond, while_loop and scan: each applies the transform to its sub-graphs.

- cond: with a concrete predicate the chosen branch is differentiated directly; with a
  traced one, a cond whose branches are the JVP / VJP of the original branches.
- while_loop: forward mode carries the tangents through an augmented loop (the carries
  whose tangents can become nonzero are found by a fixpoint). Reverse mode needs the trip
  count, so it runs where the values are concrete (outside jit/vmap): the loop is unrolled,
  each step's VJP kept, then applied backwards. Under jit it raises; use scan or
  fori_loop with static bounds there.
- scan: forward mode is an augmented scan. Reverse mode is a scan that also stacks each
  step's incoming carry, then a scan in the opposite direction that applies the body's VJP
  step by step (the body's internals are recomputed there, only carries are stored),
  carrying the carry's cotangent and the sum of the constants' cotangents."""
from __future__ import annotations

from tracer.builder import eval_graph, trace_flat
from tracer.errors import TransformError, format_location, user_location
from tracer.primitive import REGISTRY as P
from tracer.tracer import Tracer

from tracer.ir import Var

from ._util import add, is_float, zeros

__all__ = ["JVP", "VJP"]


def _interp():
    from .. import interpreters      # the interpreters import these tables
    return interpreters


def _graph_of(fn, in_types):
    """Trace `fn(*leaves) -> list` on abstract values of `in_types` into a Graph."""
    graph, captured, _ = trace_flat(lambda *a: list(fn(*a)), [t.strong() for t in in_types])
    assert not captured, "a derivative sub-graph must not close over traced values"
    return graph


def _zero_filled(values, types):
    return [zeros(t.strong()) if v is None else v for v, t in zip(values, types)]


def _active_outputs(graph, active_inputs) -> list[bool]:
    active = _interp().active_vars(graph, [v for v, a in zip(graph.inputs, active_inputs) if a])
    return [isinstance(v, Var) and v in active for v in graph.outputs]


def _concrete(x):
    return x.value if isinstance(x, Tracer) else x


# --- cond --------------------------------------------------------------------------------
def _cond_jvp(primals, tangents, outs, *, true_branch, false_branch):
    pred, ops, ts = primals[0], primals[1:], tangents[1:]
    if not isinstance(pred, Tracer):
        branch = true_branch if bool(pred) else false_branch
        return _interp().jvp_graph(branch, ops, ts)[1]
    on = [t is not None for t in ts]
    out_on = [a or b for a, b in zip(_active_outputs(true_branch, on),
                                     _active_outputs(false_branch, on))]
    in_types = true_branch.in_types
    out_types = true_branch.out_types

    def jvp_branch(branch):
        def run(*args):
            t_in = _spread(args[len(ops):], on)
            out, t_out = _interp().jvp_graph(branch, args[:len(ops)], t_in)
            return out + _zero_filled([t for t, a in zip(t_out, out_on) if a],
                                      [t for t, a in zip(out_types, out_on) if a])
        return _graph_of(run, in_types + [t for t, a in zip(in_types, on) if a])

    results = P["cond"].bind(pred, *ops, *[t for t in ts if t is not None],
                             true_branch=jvp_branch(true_branch), false_branch=jvp_branch(false_branch))
    return _spread(results[len(out_types):], out_on)


def _cond_vjp(cts, primals, outs, active, *, true_branch, false_branch):
    pred, ops, wanted = primals[0], primals[1:], list(active[1:])
    if not isinstance(pred, Tracer):
        branch = true_branch if bool(pred) else false_branch
        return [None] + _interp().vjp_graph(branch, ops, wanted)[1](cts)
    given = [c is not None for c in cts]
    in_types, out_types = true_branch.in_types, true_branch.out_types

    def vjp_branch(branch):
        def run(*args):
            ct_out = _spread(args[len(ops):], given)
            in_cts = _interp().vjp_graph(branch, args[:len(ops)], wanted)[1](ct_out)
            return [c for c, w in zip(in_cts, wanted) if w]
        return _graph_of(run, in_types + [t for t, g in zip(out_types, given) if g])

    results = P["cond"].bind(pred, *ops, *[c for c in cts if c is not None],
                             true_branch=vjp_branch(true_branch), false_branch=vjp_branch(false_branch))
    return [None] + _spread(results, wanted)


# --- loops: which carries need tangents ----------------------------------------------------
def _carry_fixpoint(body, const_on, carry_on, x_on=()) -> list[bool]:
    """Carries whose tangents can be nonzero: those given one, and every carry the body
    makes depend on them (or on an active constant or x), until nothing changes."""
    carry_on = list(carry_on)
    n_carry = len(carry_on)
    while True:
        out_on = _active_outputs(body, list(const_on) + carry_on + list(x_on))[:n_carry]
        grown = [a or b for a, b in zip(carry_on, out_on)]
        if grown == carry_on:
            return carry_on
        carry_on = grown


def _pick(values, flags):
    """The values whose flag is set."""
    return [v for v, f in zip(values, flags) if f]


def _spread(values, flags):
    """The inverse of _pick: `values` in order where the flag is set, None elsewhere
    (`values` may be an iterator shared between calls)."""
    it = iter(values)
    return [next(it) if f else None for f in flags]


# --- while_loop ----------------------------------------------------------------------------
def _while_jvp(primals, tangents, outs, *, cond_graph, body_graph, n_cond, n_body):
    c_consts, b_consts = primals[:n_cond], primals[n_cond:n_cond + n_body]
    carry, b_ts = primals[n_cond + n_body:], tangents[n_cond:n_cond + n_body]
    c_ts = tangents[n_cond + n_body:]
    n = len(carry)
    const_on = [t is not None for t in b_ts]
    carry_on = _carry_fixpoint(body_graph, const_on, [t is not None for t in c_ts])
    types = body_graph.in_types
    carry_types = types[n_body:]
    init_t = _zero_filled(_pick(c_ts, carry_on), _pick(carry_types, carry_on))
    n_t = len(init_t)

    def body(*args):
        consts, const_t = args[:n_body], args[n_body:n_body + sum(const_on)]
        state = args[n_body + sum(const_on):]
        t_in = _spread(const_t, const_on) + _spread(state[n:], carry_on)
        out, t_out = _interp().jvp_graph(body_graph, list(consts) + list(state[:n]), t_in)
        return out + _zero_filled(_pick(t_out, carry_on), _pick(carry_types, carry_on))

    def keep_going(*args):
        return eval_graph(cond_graph, list(args[:n_cond + n]))

    new_body = _graph_of(body, types[:n_body] + _pick(types[:n_body], const_on) + carry_types
                         + _pick(carry_types, carry_on))
    new_cond = _graph_of(keep_going, cond_graph.in_types + _pick(carry_types, carry_on))
    results = P["while_loop"].bind(*c_consts, *b_consts, *_pick(b_ts, const_on), *carry, *init_t,
                                   cond_graph=new_cond, body_graph=new_body,
                                   n_cond=n_cond, n_body=n_body + sum(const_on))
    return _spread(results[n:n + n_t], carry_on)


def _while_vjp(cts, primals, outs, active, *, cond_graph, body_graph, n_cond, n_body):
    values = [_concrete(x) for x in primals]
    if any(v is None for v in values):
        raise TransformError(
            "reverse-mode differentiation of while_loop needs its trip count, which is not "
            f"known under jit or vmap (at {format_location(user_location())}); use scan, or "
            "fori_loop with Python-int bounds")
    c_vals, b_consts = values[:n_cond], primals[n_cond:n_cond + n_body]
    carry, carry_vals = list(primals[n_cond + n_body:]), values[n_cond + n_body:]
    wanted = list(active[n_cond:n_cond + n_body]) + [is_float(t) for t in body_graph.in_types[n_body:]]
    steps = []
    while bool(eval_graph(cond_graph, c_vals + carry_vals)[0]):
        carry, back = _interp().vjp_graph(body_graph, list(b_consts) + carry, wanted)
        carry_vals = [_concrete(c) for c in carry]
        steps.append(back)
    ct_consts, ct_carry = [None] * n_body, list(cts)
    for back in reversed(steps):
        in_cts = back(ct_carry)
        ct_consts = [add(a, b) for a, b in zip(ct_consts, in_cts[:n_body])]
        ct_carry = in_cts[n_body:]
    const_active, carry_active = active[n_cond:n_cond + n_body], active[n_cond + n_body:]
    return ([None] * n_cond + [c if a else None for c, a in zip(ct_consts, const_active)]
            + [c if a else None for c, a in zip(ct_carry, carry_active)])


# --- scan ----------------------------------------------------------------------------------
def _scan_split(values, n_consts, n_carry):
    return (list(values[:n_consts]), list(values[n_consts:n_consts + n_carry]),
            list(values[n_consts + n_carry:]))


def _scan_jvp(primals, tangents, outs, *, body, n_consts, n_carry, length, reverse):
    consts, carry, xs = _scan_split(primals, n_consts, n_carry)
    t_consts, t_carry, t_xs = _scan_split(tangents, n_consts, n_carry)
    const_on = [t is not None for t in t_consts]
    x_on = [t is not None for t in t_xs]
    carry_on = _carry_fixpoint(body, const_on, [t is not None for t in t_carry], x_on)
    y_on = _active_outputs(body, const_on + carry_on + x_on)[n_carry:]
    c_types, k_types, x_types = _scan_split(body.in_types, n_consts, n_carry)
    y_types = body.out_types[n_carry:]
    nc, nk = sum(const_on), sum(carry_on)

    def step(*args):
        it = iter(args)
        consts_, t_c = [next(it) for _ in c_types], _spread(it, const_on)
        carry_, t_k = [next(it) for _ in k_types], _spread(it, carry_on)
        x_, t_x = [next(it) for _ in x_types], _spread(it, x_on)
        out, t_out = _interp().jvp_graph(body, consts_ + carry_ + x_, t_c + t_k + t_x)
        t_carry_out = _zero_filled(_pick(t_out[:n_carry], carry_on), _pick(k_types, carry_on))
        t_ys = _zero_filled(_pick(t_out[n_carry:], y_on), _pick(y_types, y_on))
        return out[:n_carry] + t_carry_out + out[n_carry:] + t_ys

    new_body = _graph_of(step, c_types + _pick(c_types, const_on) + k_types
                         + _pick(k_types, carry_on) + x_types + _pick(x_types, x_on))
    results = P["scan"].bind(*consts, *_pick(t_consts, const_on), *carry,
                             *_zero_filled(_pick(t_carry, carry_on), _pick(k_types, carry_on)),
                             *xs, *_pick(t_xs, x_on), body=new_body, n_consts=n_consts + nc,
                             n_carry=n_carry + nk, length=length, reverse=reverse)
    return (_spread(results[n_carry:n_carry + nk], carry_on)
            + _spread(results[n_carry + nk + len(y_types):], y_on))


def _scan_vjp(cts, primals, outs, active, *, body, n_consts, n_carry, length, reverse):
    consts, carry, xs = _scan_split(primals, n_consts, n_carry)
    c_types, k_types, x_types = _scan_split(body.in_types, n_consts, n_carry)
    const_on, _, x_on = _scan_split(list(active), n_consts, n_carry)
    k_float = [is_float(t) for t in k_types]
    ct_carry, ct_ys = cts[:n_carry], cts[n_carry:]
    y_given = [c is not None for c in ct_ys]
    n_x = len(xs)

    # 1. the carry entering each step, stacked (the forward scan again, keeping carries)
    def forward_step(*args):
        out = eval_graph(body, list(args))
        return out[:n_carry] + list(args[n_consts:n_consts + n_carry])
    carry_ins = P["scan"].bind(*consts, *carry, *xs, body=_graph_of(forward_step, body.in_types),
                               n_consts=n_consts, n_carry=n_carry, length=length,
                               reverse=reverse)[n_carry:] if n_carry else []

    # 2. the body's VJP step by step, in the opposite direction
    nk, nc = sum(k_float), sum(const_on)
    wanted = const_on + k_float + x_on

    def backward_step(*args):
        consts_ = list(args[:n_consts])
        it = iter(args[n_consts:])
        ct_k = _spread(it, k_float)
        acc = [next(it) for _ in range(nc)]
        carry_in = [next(it) for _ in range(n_carry)]
        x_ = [next(it) for _ in range(n_x)]
        ct_y = _spread(it, y_given)
        in_cts = _interp().vjp_graph(body, consts_ + carry_in + x_, wanted)[1](ct_k + ct_y)
        ct_c, new_ct_k, ct_x = _scan_split(in_cts, n_consts, n_carry)
        return (_pick(new_ct_k, k_float) + [add(a, c) for a, c in zip(acc, _pick(ct_c, const_on))]
                + _pick(ct_x, x_on))

    ct_y_types = [t for t, g in zip(body.out_types[n_carry:], y_given) if g]
    in_types = (c_types + _pick(k_types, k_float) + _pick(c_types, const_on) + k_types + x_types
                + ct_y_types)
    ct_final = _zero_filled(_pick(ct_carry, k_float), _pick(k_types, k_float))
    results = P["scan"].bind(*consts, *ct_final, *[zeros(t.strong()) for t in _pick(c_types, const_on)],
                             *carry_ins, *xs, *[c for c in ct_ys if c is not None],
                             body=_graph_of(backward_step, in_types), n_consts=n_consts,
                             n_carry=nk + nc, length=length, reverse=not reverse)
    ct_init = _spread(results[:nk], k_float)
    return (_spread(results[nk:nk + nc], const_on)
            + [c if a else None for c, a in zip(ct_init, active[n_consts:n_consts + n_carry])]
            + _spread(results[nk + nc:], x_on))


JVP = {"cond": _cond_jvp, "while_loop": _while_jvp, "scan": _scan_jvp}
VJP = {"cond": _cond_vjp, "while_loop": _while_vjp, "scan": _scan_vjp}
