"""`vmap`: map a function over an axis of its arguments without a Python loop.

The function is traced once, abstractly, on the type of one example; the graph is then
evaluated by the batching interpreter on the whole batch (see interpreter.py)."""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from tracer import ArrayType, TransformError, tree_flatten, tree_unflatten
from tracer.builder import leaf_type, trace_flat
from tracer.errors import format_location, user_location

from .axes import axes_of_leaves, is_axis
from .interpreter import batch_graph
from .rules._helpers import move_to, to_front

__all__ = ["vmap"]


def _where() -> str:
    return format_location(user_location())


def _check_spec(spec, what: str) -> None:
    leaves, _ = tree_flatten(spec, is_leaf=lambda a: a is None)
    bad = [a for a in leaves if not is_axis(a)]
    if bad:
        raise TransformError(f"vmap: {what} may hold only ints and None (or containers of "
                             f"them), not {bad[0]!r} (at {_where()})")


def _in_axes_per_arg(in_axes, args: tuple) -> tuple:
    if is_axis(in_axes):
        return (in_axes,) * len(args)
    if not isinstance(in_axes, (tuple, list)):
        raise TransformError(
            f"vmap: in_axes must be an int, None, or a tuple with one entry per positional "
            f"argument, not {type(in_axes).__name__} (at {_where()}); for a single argument "
            "write in_axes=(spec,)")
    if len(in_axes) != len(args):
        raise TransformError(
            f"vmap: in_axes has {len(in_axes)} entries but the function was called with "
            f"{len(args)} positional arguments (at {_where()}); give one entry per argument")
    return tuple(in_axes)


def _example_types(leaves, axes: list, paths: list, axis_size) -> tuple[list, list, int]:
    """Each leaf's per-example type, its batch axis normalised, and the batch size."""
    types, dims, sizes = [], [], []
    for x, axis, path in zip(leaves, axes, paths):
        t = leaf_type(x, f"vmap {path}")
        if axis is None:
            types.append(t)
            dims.append(None)
            continue
        if not -t.ndim <= axis < t.ndim:
            raise TransformError(
                f"vmap: in_axes asks for axis {axis} of {path}, which is {t} with {t.ndim} "
                f"axes (at {_where()}); use an axis in [{-t.ndim}, {t.ndim}) or None")
        axis %= t.ndim
        types.append(ArrayType(t.shape[:axis] + t.shape[axis + 1:], t.dtype))
        dims.append(axis)
        sizes.append((path, axis, t.shape[axis]))
    distinct = {n for _, _, n in sizes} | ({axis_size} if axis_size is not None else set())
    if len(distinct) > 1:
        listed = "; ".join(f"{p} has size {n} along axis {a}" for p, a, n in sizes)
        given = f"; axis_size={axis_size}" if axis_size is not None else ""
        raise TransformError(f"vmap: the mapped axes must all have the same size, but {listed}"
                             f"{given} (at {_where()})")
    if not distinct:
        raise TransformError(
            f"vmap: no argument is mapped (every in_axes entry is None), so the batch size is "
            f"unknown (at {_where()}); pass axis_size=n or map at least one argument")
    return types, dims, distinct.pop()


def _place_output(x, dim, out_axis, path: str, axis_size: int, inputs: list):
    """Move an output's batch axis to `out_axis`, broadcasting an unbatched output."""
    if out_axis is None:
        if dim is not None:
            raise TransformError(
                f"vmap: out_axes is None for {path}, but it differs between examples "
                f"(at {_where()}); give it an output axis")
        return x
    ndim = len(getattr(x, "shape", ())) + (dim is None)
    if not -ndim <= out_axis < ndim:
        raise TransformError(f"vmap: out_axes asks for axis {out_axis} of {path}, which has "
                             f"{ndim} axes with the batch axis (at {_where()})")
    x = move_to(to_front(x, None, axis_size), 0, out_axis % ndim) if dim is None \
        else move_to(x, dim, out_axis % ndim)
    if isinstance(x, np.ndarray) and (not x.flags.writeable or any(
            isinstance(a, np.ndarray) and np.may_share_memory(x, a) for a in inputs)):
        # a broadcast, or a view of an input: give the user an array of their own, as
        # np.stack of the examples would
        x = x.copy()
    return x


def vmap(fun: Callable, in_axes: Any = 0, out_axes: Any = 0,
         axis_size: int | None = None) -> Callable:
    """Vectorise `fun` over an axis of its arguments, as `np.stack([fun(*ex) for ex in
    examples])` would, but as whole-batch operations.

    in_axes: for each positional argument the axis holding the examples (an int, negative
        counting from the end, or None for an argument shared by all examples); an int or
        None applies to all, a tuple has one entry per argument, and each entry may be a
        pytree prefix of its argument. Keyword arguments are mapped over axis 0.
    out_axes: likewise for the outputs: where the batch axis goes (None: an output that
        does not depend on the example).
    axis_size: the batch size, needed when no argument is mapped.

    >>> vmap(lambda x, y: x @ y, in_axes=(0, None))(np.ones((5, 3)), np.ones(3)).shape
    (5,)
    """
    _check_spec(in_axes, "in_axes")
    _check_spec(out_axes, "out_axes")
    if axis_size is not None and (not is_axis(axis_size) or axis_size < 0):
        raise TransformError(f"vmap: axis_size must be a non-negative int, not {axis_size!r}")

    @functools.wraps(fun)
    def batched(*args, **kwargs):
        specs = _in_axes_per_arg(in_axes, args)
        pairs = [pa for i, (spec, arg) in enumerate(zip(specs, args))
                 for pa in axes_of_leaves(spec, arg, f"argument {i}", "in_axes")]
        pairs += [pa for k in sorted(kwargs)
                  for pa in axes_of_leaves(0, kwargs[k], f"keyword argument {k!r}", "in_axes")]
        leaves, in_tree = tree_flatten((args, kwargs))
        paths, axes = [p for p, _ in pairs], [a for _, a in pairs]
        types, dims, size = _example_types(leaves, axes, paths, axis_size)
        out_tree = []

        def flat_fun(*tracers):
            a, kw = tree_unflatten(in_tree, tracers)
            out_leaves, td = tree_flatten(fun(*a, **kw))
            out_tree.append(td)
            for o in out_leaves:
                leaf_type(o, "output of the vmapped function")
            return out_leaves

        graph, captured, _ = trace_flat(flat_fun, types)
        outs, out_dims = batch_graph(graph, list(leaves) + captured,
                                     dims + [None] * len(captured), size)
        shape_tree = tree_unflatten(out_tree[0], [object() for _ in outs])
        placed = [_place_output(x, d, axis, path, size, leaves) for x, d, (path, axis) in zip(
            outs, out_dims, axes_of_leaves(out_axes, shape_tree, "output", "out_axes"))]
        return tree_unflatten(out_tree[0], placed)
    return batched
