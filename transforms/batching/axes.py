"""Matching `in_axes` / `out_axes` (an int, None, or a pytree prefix of the values) to the
leaves of the values they describe, with the path of each leaf for error messages."""
from __future__ import annotations

import numpy as np

from tracer import Tracer, TransformError, tree_flatten
from tracer.errors import format_location, user_location
from tracer.types import type_of

__all__ = ["is_axis", "leaf_paths", "axes_of_leaves", "describe"]


def is_axis(a) -> bool:
    """An axis spec leaf: an int (not a bool) or None."""
    return a is None or (isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)))


def _one_level(tree):
    """The children of the root of `tree` (each taken whole) and the root's TreeDef."""
    return tree_flatten(tree, is_leaf=lambda y: y is not tree)


def _container(treedef):
    """The node type, lists and tuples counting as the same (both are sequences of
    positions, and users write either)."""
    return tuple if treedef.node_type is list else treedef.node_type


def _keys(treedef, n: int) -> list[str]:
    if treedef.node_type is dict:
        return [f"[{k!r}]" for k in treedef.aux]
    return [f"[{i}]" for i in range(n)]


def leaf_paths(tree, path: str) -> list[str]:
    """The path of every leaf of `tree`, in flattening order."""
    children, td = _one_level(tree)
    if td.children is None:
        return [path]
    return [p for key, child in zip(_keys(td, len(children)), children)
            for p in leaf_paths(child, path + key)]


def describe(x) -> str:
    children, td = _one_level(x)
    if td.children is None:
        if isinstance(x, (np.ndarray, np.generic, Tracer)):
            return f"an array {type_of(x)}"
        return f"a {type(x).__name__}"
    if td.node_type is dict:
        return f"a dict with keys {list(td.aux)}"
    if td.node_type is type(None):
        return "None"
    return f"a {getattr(td.node_type, '__name__', td.node_type)} of {len(children)} entries"


def axes_of_leaves(prefix, tree, path: str, what: str) -> list[tuple[str, int | None]]:
    """(path, axis) for every leaf of `tree`, `prefix` giving one axis for a whole subtree
    wherever it has an int or None."""
    if is_axis(prefix):
        axis = None if prefix is None else int(prefix)
        return [(p, axis) for p in leaf_paths(tree, path)]
    p_children, p_td = _one_level(prefix)
    if p_td.children is None:
        raise TransformError(f"vmap: {what} may hold only ints and None, but has "
                             f"{prefix!r} for {path} (at {format_location(user_location())})")
    children, td = _one_level(tree)
    if (_container(p_td), p_td.aux, len(p_children)) != (_container(td), td.aux, len(children)):
        raise TransformError(
            f"vmap: {what} does not match the structure of {path}: {what} has "
            f"{describe(prefix)} there, but {path} is {describe(tree)} (at "
            f"{format_location(user_location())}). Give {what} as an int, None, or a pytree "
            "prefix of the values, with the same containers and keys.")
    return [pa for key, p_child, child in zip(_keys(td, len(children)), p_children, children)
            for pa in axes_of_leaves(p_child, child, path + key, what)]
