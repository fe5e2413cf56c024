"""custom_vjp: a function with a user-defined reverse-mode derivative.

    @custom_vjp
    def clip_gradient(x):
        return x
    clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (np.clip(g, -1, 1),))

Called on traced values, the function is traced into a sub-graph and recorded as one
`custom_vjp_call` op (printed with its sub-graph). Evaluating the op runs the sub-graph;
its VJP rule runs `fwd` on the primal arguments for the residuals and `bwd(residuals,
cotangent)` for the arguments' cotangents, both with the public ops, so grad of grad
differentiates through fwd and bwd. Forward mode (jvp, jacfwd, hessian through the
custom op) is refused, as in JAX. Called on plain arrays, the function just runs."""
from __future__ import annotations

import functools
from typing import Callable

from tracer.builder import eval_graph, trace
from tracer.errors import TransformError, format_location, user_location
from tracer.primitive import REGISTRY as P
from tracer.primitive import Primitive
from tracer.pytree import tree_flatten, tree_unflatten
from tracer.tracer import Tracer
from tracer.types import ArrayType

from ..batching import BATCH_RULES, vmap
from .rules import register_rules
from .rules._util import aval, to_input, zeros

__all__ = ["custom_vjp", "custom_vjp_call"]


class _TransformPrimitive(Primitive):
    """A primitive that belongs to a transform rather than to the tracer's primitive set,
    so it is not registered in REGISTRY (every entry there needs example cases and a rule
    in every transform's table)."""

    def __init__(self, name, family, infer, numpy, multiple_results=False):
        self.name, self.family, self.infer, self.numpy = name, family, infer, numpy
        self.multiple_results, self.differentiable, self.view = multiple_results, True, False


class _Rule:
    """The user's fwd/bwd and the argument and output structures (an op parameter)."""

    def __init__(self, fun, fwd, bwd, in_tree, out_tree):
        self.fun, self.fwd, self.bwd = fun, fwd, bwd
        self.in_tree, self.out_tree = in_tree, out_tree

    def __repr__(self):
        name = lambda f: getattr(f, "__name__", type(f).__name__)  # noqa: E731
        return f"{name(self.fwd)}/{name(self.bwd)}"


def _infer(*types, graph, rule):
    return [t.strong() for t in graph.out_types]


def _numpy(*args, graph, rule):
    return eval_graph(graph, args)


custom_vjp_call = _TransformPrimitive("custom_vjp_call", "custom", _infer, _numpy,
                                      multiple_results=True)


class custom_vjp:
    """Decorator: give `fun` a custom VJP with `.defvjp(fwd, bwd)`, where
    `fwd(*args) -> (out, residuals)` and `bwd(residuals, ct) -> tuple` with one cotangent
    (a pytree like the argument, or None for zero) per positional argument. Values the
    function closes over are constants for the custom rule: differentiating with
    respect to one raises a TransformError (pass it as an argument instead)."""

    def __init__(self, fun: Callable):
        functools.update_wrapper(self, fun)
        self.fun: Callable = fun
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None

    def defvjp(self, fwd: Callable, bwd: Callable) -> "custom_vjp":
        self.fwd, self.bwd = fwd, bwd
        return self

    def __call__(self, *args):
        if self.fwd is None:
            raise TransformError(f"custom_vjp function {self.__name__!r} has no VJP: call "
                                 f".defvjp(fwd, bwd) on it first "
                                 f"(at {format_location(user_location())})")
        leaves, in_tree = tree_flatten(args)
        if not any(isinstance(x, Tracer) for x in leaves):
            return self.fun(*args)
        concrete = not any(isinstance(x, Tracer) and x.value is None for x in leaves)
        graph, captured, out_tree, _ = trace(self.fun, args, concrete=concrete)
        rule = _Rule(self.fun, self.fwd, self.bwd, in_tree, out_tree)
        outs = custom_vjp_call.bind(*leaves, *captured, graph=graph, rule=rule)
        return tree_unflatten(out_tree, outs)


def _where() -> str:
    return format_location(user_location())


def _custom_jvp(primals, tangents, outs, *, graph, rule):
    raise TransformError(
        f"forward-mode differentiation (jvp, jacfwd, hessian) of the custom_vjp function "
        f"{getattr(rule.fun, '__name__', rule.fun)!r} is not supported: its derivative is "
        f"only defined in reverse mode (at {_where()}). Use grad, vjp or jacrev.")


def _arg_cotangents(rule, cts, args):
    """The leaves of bwd's result, checked against the arguments."""
    if not isinstance(cts, (tuple, list)) or len(cts) != len(args):
        raise TransformError(
            f"custom_vjp bwd {rule!r} must return a tuple with one cotangent per argument "
            f"({len(args)}), not {type(cts).__name__}"
            + (f" of length {len(cts)}" if isinstance(cts, (tuple, list)) else "")
            + f" (at {_where()})")
    leaves = []
    for k, (ct, arg) in enumerate(zip(cts, args)):
        arg_leaves, arg_tree = tree_flatten(arg)
        if ct is None:
            leaves += [None] * len(arg_leaves)
            continue
        ct_leaves, ct_tree = tree_flatten(ct)
        if ct_tree != arg_tree:
            raise TransformError(f"custom_vjp bwd {rule!r}: the cotangent of argument {k} has "
                                 f"structure {ct_tree}, but the argument has {arg_tree} "
                                 f"(at {_where()})")
        leaves += ct_leaves
    return leaves


def _custom_vjp(cts, primals, outs, active, *, graph, rule):
    n = rule.in_tree.num_leaves
    if any(active[n:]):
        raise TransformError(
            f"custom_vjp function {getattr(rule.fun, '__name__', rule.fun)!r} closes over a "
            f"traced value that is being differentiated (at {_where()}); its custom VJP "
            "cannot give that value's cotangent. Pass it as an argument instead.")
    args = tree_unflatten(rule.in_tree, primals[:n])
    result = rule.fwd(*args)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise TransformError(f"custom_vjp fwd {rule!r} must return a pair (output, residuals) "
                             f"(at {_where()})")
    cts = [zeros(v.aval) if c is None else c for c, v in zip(cts, graph.outputs)]
    arg_cts = _arg_cotangents(rule, rule.bwd(result[1], tree_unflatten(rule.out_tree, cts)), args)
    return [to_input(c, aval(x)) if on and c is not None else None
            for c, x, on in zip(arg_cts, primals[:n], active[:n])] + [None] * (len(primals) - n)


def _named(fn, name):
    fn.__name__ = name
    return fn


def _custom_batch(axis_size, args, dims, *, graph, rule):
    """vmap of a custom_vjp call: a custom_vjp call of the vmapped function, whose fwd and
    bwd are the vmapped fwd and bwd (so grad of vmap still uses the custom rule). Every
    result has its batch axis first; an unbatched argument's cotangent is summed over
    the batch."""
    n = rule.in_tree.num_leaves
    in_axes = tuple(dims)

    def unflat(flat):
        return tree_unflatten(rule.in_tree, list(flat[:n]))

    def fun(*flat):
        return vmap(lambda *a: eval_graph(graph, list(a)), in_axes, axis_size=axis_size)(*flat)

    def fwd(*flat):
        def one(*a):
            return eval_graph(graph, list(a)), rule.fwd(*unflat(a))[1]
        return vmap(one, in_axes, axis_size=axis_size)(*flat)

    def bwd(res, cts):
        def one(r, ct):
            leaves = _arg_cotangents(rule, rule.bwd(r, tree_unflatten(rule.out_tree, ct)),
                                     unflat(flat_types))
            return [None if g is None else to_input(g, t) for g, t in zip(leaves, flat_types)]
        per_example = vmap(one, (0, 0), axis_size=axis_size)(res, cts)
        summed = [c if c is None or d is not None else P["reduce_sum"].bind(c, axes=(0,))
                  for c, d in zip(per_example, dims)]
        return tuple(summed) + (None,) * (len(args) - n)

    flat_types = [_example_type(a, d) for a, d in zip(args[:n], dims)]
    name = lambda f: f"vmap({getattr(f, '__name__', type(f).__name__)})"   # noqa: E731
    batched = custom_vjp(_named(fun, name(rule.fun)))
    batched.defvjp(_named(fwd, name(rule.fwd)), _named(bwd, name(rule.bwd)))
    outs = batched(*args)
    return outs, [0] * len(outs)


def _example_type(x, dim):
    t = aval(x)
    return t if dim is None else ArrayType(t.shape[:dim] + t.shape[dim + 1:], t.dtype)


register_rules("custom_vjp_call", _custom_jvp, _custom_vjp)
BATCH_RULES.setdefault("custom_vjp_call", _custom_batch)   # the op is ours: so is its batch rule
