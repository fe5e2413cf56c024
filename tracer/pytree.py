"""Pytrees: nested tuples, lists, dicts, None, namedtuples, registered dataclasses and
custom classes. A tree flattens into leaves and a `TreeDef` that rebuilds it."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

__all__ = ["TreeDef", "tree_flatten", "tree_unflatten", "tree_map", "tree_leaves",
           "tree_structure", "register_pytree_node", "register_dataclass"]

# type -> (flatten: obj -> (children, aux), unflatten: (aux, children) -> obj)
_NODES: dict[type, tuple[Callable, Callable]] = {}


def register_pytree_node(cls: type, flatten: Callable, unflatten: Callable) -> type:
    """Make `cls` a pytree node: `flatten(obj) -> (children, aux)` and
    `unflatten(aux, children) -> obj`, with `aux` hashable."""
    _NODES[cls] = (flatten, unflatten)
    return cls


def register_dataclass(cls: type) -> type:
    """Register a dataclass (usable as a decorator): its fields are children."""
    names = tuple(f.name for f in dataclasses.fields(cls))
    register_pytree_node(cls, lambda o: ([getattr(o, n) for n in names], None),
                         lambda _, ch: cls(**dict(zip(names, ch))))
    return cls


register_pytree_node(tuple, lambda t: (list(t), None), lambda _, ch: tuple(ch))
register_pytree_node(list, lambda t: (list(t), None), lambda _, ch: list(ch))
register_pytree_node(dict, lambda d: ([d[k] for k in sorted(d)], tuple(sorted(d))),
                     lambda keys, ch: dict(zip(keys, ch)))
register_pytree_node(type(None), lambda _: ([], None), lambda _, ch: None)


def _node_of(x):
    cls = type(x)
    if cls in _NODES:
        return _NODES[cls]
    if isinstance(x, tuple) and hasattr(cls, "_fields"):    # namedtuple
        return (lambda t: (list(t), None), lambda _, ch, cls=cls: cls(*ch))
    return None


@dataclasses.dataclass(frozen=True)
class TreeDef:
    """The structure of a pytree: node type, aux data and children (None for a leaf)."""
    node_type: Any
    aux: Any
    children: tuple | None

    @property
    def num_leaves(self) -> int:
        return 1 if self.children is None else sum(c.num_leaves for c in self.children)

    def __repr__(self):
        if self.children is None:
            return "*"
        inner = ", ".join(map(repr, self.children))
        return f"{getattr(self.node_type, '__name__', self.node_type)}({inner})"


_LEAF = TreeDef(None, None, None)


# The walks are module functions, not nested recursive closures: a closure that calls
# itself is a reference cycle, which would keep every leaf (say a jitted function's
# outputs) alive until the cyclic garbage collector runs.
def tree_flatten(tree, is_leaf: Callable | None = None) -> tuple[list, TreeDef]:
    leaves: list = []
    treedef = _flatten(tree, is_leaf, leaves)
    return leaves, treedef


def _flatten(x, is_leaf, leaves: list) -> TreeDef:
    node = None if is_leaf is not None and is_leaf(x) else _node_of(x)
    if node is None:
        leaves.append(x)
        return _LEAF
    children, aux = node[0](x)
    return TreeDef(type(x), aux, tuple(_flatten(c, is_leaf, leaves) for c in children))


def tree_unflatten(treedef: TreeDef, leaves) -> Any:
    return _unflatten(treedef, iter(leaves))


def _unflatten(td: TreeDef, it) -> Any:
    if td.children is None:
        return next(it)
    children = [_unflatten(c, it) for c in td.children]
    node = _NODES.get(td.node_type)
    if node is None:   # namedtuple
        return td.node_type(*children)
    return node[1](td.aux, children)


def tree_leaves(tree, is_leaf=None) -> list:
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None) -> TreeDef:
    return tree_flatten(tree, is_leaf)[1]


def tree_map(f: Callable, tree, *rest, is_leaf=None):
    """Apply `f` to the leaves of `tree` (and the matching leaves of `rest`)."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [tree_flatten(r, is_leaf) for r in rest]
    for leaves_r, td in others:
        if td != treedef:
            raise ValueError(f"tree_map: tree structures differ: {treedef} vs {td}")
    return tree_unflatten(treedef, [f(*xs) for xs in zip(leaves, *[lv for lv, _ in others])])
