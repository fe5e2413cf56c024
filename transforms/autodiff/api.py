"""The user-facing autodiff transforms: vjp, jvp, linearize, grad, value_and_grad.

Each call traces the function afresh (never cached outside jit: a function closing over
a variable the user rebinds must not get stale derivatives). Without abstract Tracers
among the arguments the trace carries concrete values, so Python control flow on values
works; those values are reused as the forward pass. Under jit/vmap (abstract Tracers)
or an outer grad, evaluating the graph re-records it into the outer trace, so the
transforms compose."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from tracer.builder import trace
from tracer.errors import TransformError, format_location, user_location
from tracer.ir import Graph, Var
from tracer.pytree import TreeDef, tree_flatten, tree_unflatten
from tracer.tracer import Tracer

from ._args import cast_like, check_differentiable, normalize_argnums
from .interpreters import active_vars, cotangents, forward, read, tangents
from .rules._util import zeros

__all__ = ["vjp", "jvp", "linearize", "grad", "value_and_grad"]


@dataclass
class _Traced:
    """A function traced on some arguments, with the primal value of every variable."""
    graph: Graph
    env: dict
    in_tree: TreeDef
    out_tree: TreeDef
    aux_tree: TreeDef | None
    outs: list     # output leaves, then aux leaves

    @property
    def n_out(self) -> int:
        return self.out_tree.num_leaves

    @property
    def in_vars(self) -> tuple:
        return self.graph.inputs[:self.in_tree.num_leaves]

    def out(self):
        return tree_unflatten(self.out_tree, self.outs[:self.n_out])

    def aux(self):
        return tree_unflatten(self.aux_tree, self.outs[self.n_out:])


def _run(who: str, fun: Callable, args: tuple, has_aux: bool) -> _Traced:
    leaves, in_tree = tree_flatten(tuple(args))
    concrete = not any(isinstance(x, Tracer) and x.value is None for x in leaves)

    def with_aux(*a):
        out = fun(*a)
        if not has_aux:
            return out
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TransformError(f"{who}(..., has_aux=True): the function must return a pair "
                                 f"(output, aux), not {type(out).__name__} "
                                 f"(at {format_location(user_location())})")
        return tuple(out)

    graph, captured, out_tree, builder = trace(with_aux, tuple(args), concrete=concrete)
    env = forward(graph, list(leaves) + list(captured), builder.values)
    outs = [read(env, v) for v in graph.outputs]
    aux_tree = None
    if has_aux:
        out_tree, aux_tree = out_tree.children
    return _Traced(graph, env, in_tree, out_tree, aux_tree, outs)


def _backward(traced: _Traced, wanted: list, active: set, out_cts) -> list:
    """Cotangents (zeros where no path) of the `wanted` input variables."""
    outs = list(out_cts) + [None] * (len(traced.graph.outputs) - len(out_cts))
    ct = cotangents(traced.graph, traced.env, active, outs)
    return [_own(ct[v]) if v in ct else zeros(v.aval) for v in wanted]


def _own(g):
    """A gradient the user may write into (not a broadcast view of the seed's ones)."""
    return g.copy() if isinstance(g, np.ndarray) and not g.flags.writeable else g


def vjp(fun: Callable, *primals, has_aux: bool = False):
    """`(out, f_vjp)` (and `aux` with has_aux): `f_vjp(ct)` returns a tuple with the
    cotangent of each primal, for an output cotangent `ct` shaped like `out`.

    >>> out, f_vjp = vjp(np.sin, 0.5); f_vjp(1.0)   # doctest: +SKIP
    (np.float64(0.8775825618903728),)
    """
    for i, p in enumerate(primals):
        check_differentiable("vjp", p, i)
    traced = _run("vjp", fun, primals, has_aux)
    active = active_vars(traced.graph, traced.in_vars)
    out_types = [v.aval for v in traced.graph.outputs[:traced.n_out]]

    def f_vjp(ct):
        leaves, td = tree_flatten(ct)
        if td != traced.out_tree:
            raise TransformError(f"vjp: the cotangent's structure {td} does not match the "
                                 f"output's {traced.out_tree} "
                                 f"(at {format_location(user_location())})")
        cts = [cast_like("vjp", f"cotangent {i}", c, t)
               for i, (c, t) in enumerate(zip(leaves, out_types))]
        grads = _backward(traced, list(traced.in_vars), active, cts)
        return tree_unflatten(traced.in_tree, grads)

    return (traced.out(), f_vjp, traced.aux()) if has_aux else (traced.out(), f_vjp)


def _tangent_fn(who: str, traced: _Traced) -> Callable:
    """tangent leaves of the inputs -> tangent leaves of the outputs (zeros where none)."""
    def f_jvp(tangent_leaves) -> list:
        given = {v: cast_like(who, "tangent", t, v.aval) for v, t in zip(traced.in_vars, tangent_leaves)}
        tan = tangents(traced.graph, traced.env, given)
        return [tan[v] if isinstance(v, Var) and v in tan else zeros(v.aval)
                for v in traced.graph.outputs[:traced.n_out]]
    return f_jvp


def _check_tangents(primals, tangent_args, who):
    p_leaves, p_tree = tree_flatten(tuple(primals))
    t_leaves, t_tree = tree_flatten(tuple(tangent_args))
    if p_tree != t_tree:
        raise TransformError(f"{who}: the tangents' structure {t_tree} does not match the "
                             f"primals' {p_tree} (at {format_location(user_location())})")
    return t_leaves


def jvp(fun: Callable, primals, tangents_, has_aux: bool = False):
    """`(out, tangent_out)`: `fun(*primals)` and its derivative in the direction
    `tangents_` (one tangent per primal, each shaped like it)."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents_, (tuple, list)):
        raise TransformError("jvp: primals and tangents must be tuples (one entry per "
                             f"argument) (at {format_location(user_location())})")
    for i, p in enumerate(primals):
        check_differentiable("jvp", p, i)
    t_leaves = _check_tangents(primals, tangents_, "jvp")
    traced = _run("jvp", fun, tuple(primals), has_aux)
    out_t = tree_unflatten(traced.out_tree, _tangent_fn("jvp", traced)(t_leaves))
    return (traced.out(), out_t, traced.aux()) if has_aux else (traced.out(), out_t)


def linearize(fun: Callable, *primals):
    """`(out, f_jvp)`: the forward pass runs once; `f_jvp(*tangents)` then gives the
    output tangent for any input tangents."""
    for i, p in enumerate(primals):
        check_differentiable("linearize", p, i)
    traced = _run("linearize", fun, primals, False)
    tangent_fn = _tangent_fn("linearize", traced)

    def f_jvp(*tangent_args):
        t_leaves = _check_tangents(primals, tangent_args, "linearize")
        return tree_unflatten(traced.out_tree, tangent_fn(t_leaves))
    return traced.out(), f_jvp


def _scalar_output(who: str, traced: _Traced):
    types = [v.aval for v in traced.graph.outputs[:traced.n_out]]
    if len(types) != 1 or types[0].shape != () or types[0].dtype.kind != "f":
        what = ", ".join(map(str, types)) or "nothing"
        raise TransformError(
            f"{who} requires a scalar float output, but the function returned {what} "
            f"(at {format_location(user_location())}). Reduce it (np.sum, np.mean) or use "
            "vjp / jacrev for non-scalar outputs.")
    return types[0]


def value_and_grad(fun: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """A function returning `(fun(*args), gradient)` (`((value, aux), gradient)` with
    has_aux); the gradient has the structure of `args[argnums]` (a tuple of them for
    a tuple argnums) and the dtype of each input leaf."""
    who = "value_and_grad"

    @functools.wraps(fun)
    def value_and_grad_fun(*args, **kwargs):
        nums = normalize_argnums(who, argnums, len(args))
        for i in nums:
            check_differentiable(who, args[i], i)
        f = functools.partial(fun, **kwargs) if kwargs else fun
        traced = _run(who, f, args, has_aux)
        out_type = _scalar_output(who, traced)
        arg_trees = traced.in_tree.children
        starts = np.cumsum([0] + [td.num_leaves for td in arg_trees])
        wanted = [traced.in_vars[k] for i in nums for k in range(starts[i], starts[i + 1])]
        active = active_vars(traced.graph, wanted)
        grads = iter(_backward(traced, wanted, active, [np.ones((), out_type.dtype)]))
        per_arg = [tree_unflatten(arg_trees[i], [next(grads) for _ in range(arg_trees[i].num_leaves)])
                   for i in nums]
        g = per_arg[0] if isinstance(argnums, (int, np.integer)) else tuple(per_arg)
        value = traced.out()
        return ((value, traced.aux()) if has_aux else value), g

    return value_and_grad_fun


def grad(fun: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar-valued `fun` with respect to `args[argnums]` (`(gradient,
    aux)` with has_aux).

    >>> grad(lambda x: np.sum(np.tanh(x) ** 2))(np.ones(3))   # doctest: +SKIP
    array([0.83994868, 0.83994868, 0.83994868])
    """
    vg = value_and_grad(fun, argnums, has_aux)

    @functools.wraps(fun)
    def grad_fun(*args, **kwargs) -> Any:
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return grad_fun
