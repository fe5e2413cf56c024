"""Jacobians and the Hessian, built on vmap as JAX does: jacrev maps the VJP over the
rows of an identity (one per output element), jacfwd maps the JVP over its columns (one
per input element). The forward pass runs once either way.

The result for output leaf `o` and input leaf `i` has shape o.shape + i.shape, nested as
the output's tree of (the argument's tree, or a tuple of them for a tuple argnums)."""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from tracer.pytree import tree_flatten, tree_unflatten
from tracer.types import type_of

from ..batching import vmap
from ._args import check_differentiable, normalize_argnums
from .api import _run, _tangent_fn, vjp

__all__ = ["jacfwd", "jacrev", "hessian"]


def _basis(types) -> list:
    """Rows of an identity over all the leaves' elements, split per leaf: leaf k gets an
    array (total,) + shape_k in its own dtype."""
    sizes = [t.size for t in types]
    total = sum(sizes)
    starts = np.cumsum([0] + sizes)
    return [np.eye(total, dtype=t.dtype)[:, starts[k]:starts[k + 1]].reshape((total,) + t.shape)
            for k, t in enumerate(types)], starts


def _on_args(fun, args, nums, kwargs):
    """fun as a function of the arguments in `nums` only."""
    def partial(*diff):
        full = list(args)
        for i, d in zip(nums, diff):
            full[i] = d
        return fun(*full, **kwargs)
    return partial


def _assemble(out_tree, out_types, arg_trees, single, block) -> object:
    """The jacobian pytree from `block(o, i)`, the array for output leaf o, input leaf i."""
    per_out = []
    for o in range(len(out_types)):
        leaf_ids = iter(range(sum(td.num_leaves for td in arg_trees)))
        per_arg = [tree_unflatten(td, [block(o, next(leaf_ids)) for _ in range(td.num_leaves)])
                   for td in arg_trees]
        per_out.append(per_arg[0] if single else tuple(per_arg))
    return tree_unflatten(out_tree, per_out)


def _jacobian(who: str, fun: Callable, argnums, has_aux: bool, forward_mode: bool) -> Callable:
    @functools.wraps(fun)
    def jacobian(*args, **kwargs):
        nums = normalize_argnums(who, argnums, len(args))
        for i in nums:
            check_differentiable(who, args[i], i)
        diff_args = tuple(args[i] for i in nums)
        in_leaves, in_tree = tree_flatten(diff_args)
        in_types = [type_of(x) for x in in_leaves]
        f = _on_args(fun, args, nums, kwargs)
        if forward_mode:
            traced = _run(who, f, diff_args, has_aux)
            out, aux = traced.out(), (traced.aux() if has_aux else None)
            push = _tangent_fn(who, traced)
            out_leaves, out_tree = tree_flatten(out)
            out_types = [type_of(o) for o in out_leaves]
            basis, starts = _basis(in_types)
            cols = vmap(lambda *ts: push(list(ts)))(*basis) if starts[-1] else None

            def block(o, i):
                shape = out_types[o].shape + in_types[i].shape
                if cols is None or not in_types[i].size:
                    return np.zeros(shape, out_types[o].dtype)
                part = np.moveaxis(cols[o][starts[i]:starts[i + 1]], 0, -1)
                return np.reshape(part, shape)
        else:
            out, f_vjp, *aux = vjp(f, *diff_args, has_aux=has_aux)
            aux = aux[0] if has_aux else None
            out_leaves, out_tree = tree_flatten(out)
            out_types = [type_of(o) for o in out_leaves]
            basis, starts = _basis(out_types)

            def pull(*cts):
                return tree_flatten(f_vjp(tree_unflatten(out_tree, list(cts))))[0]
            rows = vmap(pull)(*basis) if starts[-1] else None

            def block(o, i):
                shape = out_types[o].shape + in_types[i].shape
                if rows is None or not out_types[o].size:
                    return np.zeros(shape, in_types[i].dtype)
                return np.reshape(rows[i][starts[o]:starts[o + 1]], shape)

        arg_trees = in_tree.children
        jac = _assemble(out_tree, out_types, arg_trees, isinstance(argnums, (int, np.integer)), block)
        return (jac, aux) if has_aux else jac

    return jacobian


def jacrev(fun: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """The Jacobian of `fun` by reverse mode (one VJP per output element, vmapped): best
    when outputs are fewer than inputs. Shape: out.shape + in.shape per leaf."""
    return _jacobian("jacrev", fun, argnums, has_aux, forward_mode=False)


def jacfwd(fun: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """The Jacobian of `fun` by forward mode (one JVP per input element, vmapped): best
    when inputs are fewer than outputs. Shape: out.shape + in.shape per leaf."""
    return _jacobian("jacfwd", fun, argnums, has_aux, forward_mode=True)


def hessian(fun: Callable, argnums: int | tuple = 0) -> Callable:
    """The Hessian of a scalar `fun`: jacfwd(jacrev(fun)), shape in.shape + in.shape."""
    return jacfwd(jacrev(fun, argnums), argnums)
