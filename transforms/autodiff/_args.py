"""Argument checks shared by the autodiff entry points, with errors that name the
argument (and the leaf inside a pytree) and the user's line."""
from __future__ import annotations

import dataclasses

import numpy as np

from tracer.builder import leaf_type
from tracer.errors import TransformError, format_location, user_location
from tracer.pytree import TreeDef, tree_flatten
from tracer.tracer import Tracer

__all__ = ["normalize_argnums", "leaf_paths", "check_differentiable", "cast_like"]


def _where() -> str:
    return format_location(user_location())


def normalize_argnums(who: str, argnums, nargs: int) -> tuple:
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    nums = (argnums,) if single else argnums
    if not isinstance(nums, (tuple, list)) or not nums or not all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in nums):
        raise TransformError(f"{who}: argnums must be an int or a non-empty tuple of ints, "
                             f"not {argnums!r} (at {_where()})")
    out = []
    for a in nums:
        if not -nargs <= a < nargs:
            raise TransformError(f"{who}: argnums={argnums!r} asks for argument {a}, but the "
                                 f"function was called with {nargs} positional arguments "
                                 f"(at {_where()})")
        out.append(int(a) % nargs)
    if len(set(out)) != len(out):
        raise TransformError(f"{who}: argnums={argnums!r} repeats an argument (at {_where()})")
    return tuple(out)


def leaf_paths(td: TreeDef, prefix: str = "") -> list[str]:
    """A readable path (`[0]['w'].bias`) for each leaf of a tree structure."""
    if td.children is None:
        return [prefix]
    if td.node_type is dict:
        keys = [f"[{k!r}]" for k in td.aux]
    elif dataclasses.is_dataclass(td.node_type):
        keys = [f".{f.name}" for f in dataclasses.fields(td.node_type)]
    elif hasattr(td.node_type, "_fields"):
        keys = [f".{f}" for f in td.node_type._fields]
    else:
        keys = [f"[{i}]" for i in range(len(td.children))]
    return [p for k, c in zip(keys, td.children) for p in leaf_paths(c, prefix + k)]


def check_differentiable(who: str, arg, position: int) -> None:
    """Refuse integer and boolean leaves in an argument that is differentiated."""
    leaves, td = tree_flatten(arg)
    for leaf, path in zip(leaves, leaf_paths(td)):
        t = leaf_type(leaf, f"{who}: argument {position}{path}")
        if t.dtype.kind != "f":
            raise TransformError(
                f"{who}: cannot differentiate with respect to argument {position}{path}, "
                f"which has dtype {t.dtype} ({t}); only float inputs have derivatives "
                f"(at {_where()}). Convert it to float, or leave it out of argnums (integer "
                "arguments outside argnums are fine).")


def cast_like(who: str, what: str, value, t):
    """A user-given tangent or cotangent checked against the type `t` it stands for."""
    shape = value.shape if isinstance(value, Tracer) else np.shape(value)
    if tuple(shape) != t.shape:
        raise TransformError(f"{who}: {what} has shape {tuple(shape)}, but it must match the "
                             f"shape {t.shape} of the value it belongs to ({t}) (at {_where()})")
    if isinstance(value, Tracer):
        from tracer.numpy_api.basic import astype
        return astype(value, t.dtype)
    return np.asarray(value, dtype=t.dtype)
