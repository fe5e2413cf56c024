"""Cache keys of jit: a key per call, built quickly without ArrayTypes or TreeDefs, and the
explanation of a miss (which argument changed, and how) for `Jitted.cache_info`."""
from __future__ import annotations

import numpy as np

from tracer import Tracer
from tracer.pytree import tree_flatten

__all__ = ["SCALARS", "array_key", "add_tokens", "explain_miss"]

_ndarray = np.ndarray


def array_key(args: tuple) -> tuple:
    """The key of a call with positional ndarrays only, as `Jitted.__call__` builds it:
    (shape, dtype) for one argument, a tuple of them for several. It cannot equal a general
    key (`Jitted._key`), which starts with the number of positional arguments."""
    if len(args) == 1:
        return (args[0].shape, args[0].dtype)
    return tuple([(a.shape, a.dtype) for a in args])


SCALARS = (bool, int, float, complex)   # Python scalar leaves (weak types)


def add_tokens(x, out: list, leaves: list) -> None:
    """Append the cache-key tokens of pytree `x` to `out` and its leaves to `leaves`, in
    `tree_flatten`'s order, without building TreeDefs or ArrayTypes (that is for misses)."""
    t = type(x)
    if t is dict:
        keys = sorted(x)
        out.append((dict, tuple(keys)))
        for k in keys:
            add_tokens(x[k], out, leaves)
    elif t is tuple or t is list:
        out.append((t, len(x)))
        for c in x:
            add_tokens(c, out, leaves)
    elif x is None:
        out.append(None)
    elif t is _ndarray or isinstance(x, np.generic):
        out.append((t, x.shape, x.dtype))
        leaves.append(x)
    elif t in SCALARS:
        out.append(t)                       # weak: the dtype follows from the type
        leaves.append(x)
    elif isinstance(x, Tracer):
        out.append((t, x.aval))
        leaves.append(x)
    else:                                   # registered nodes, namedtuples, other leaves
        sub, tree = tree_flatten(x)
        if tree.children is None:
            # a device array keys by shape and dtype; anything else is refused on the miss
            out.append((t, getattr(x, "shape", None), getattr(x, "dtype", None)))
            leaves.append(x)
            return
        out.append(tree)
        for c in sub:
            add_tokens(c, out, leaves)


def _show_tree(tree) -> str:
    """A tree structure the way the user wrote it: {'w': *, 'b': *}, (*, [*, *]), Layer(*, *)."""
    if tree.children is None:
        return "*"
    inner = [_show_tree(c) for c in tree.children]
    if tree.node_type is dict:
        return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(tree.aux, inner)) + "}"
    if tree.node_type is list:
        return "[" + ", ".join(inner) + "]"
    if tree.node_type is type(None):
        return "None"
    name = "" if tree.node_type is tuple else getattr(tree.node_type, "__name__", "")
    return f"{name}({', '.join(inner)}{',' if len(inner) == 1 and not name else ''})"


def explain_miss(old: tuple | None, new: tuple) -> str:
    """Which argument changed (shape, dtype, weak type, structure, static value) since `old`.
    Both are argument descriptions made by `Jitted._describe`: per argument (name, TreeDef,
    leaf ArrayTypes), or (name, None, (type, value)) for a static one."""
    if old is None:
        return "first call"
    before = {name: (tree, info) for name, tree, info in old}
    reasons = []
    for name, tree, info in new:
        if name not in before:
            reasons.append(f"argument {name!r} is new")
            continue
        tree0, info0 = before.pop(name)
        if tree is None or tree0 is None:
            if (tree, info) != (tree0, info0):
                show = lambda t, i: f"static {i[1]!r}" if t is None else "traced"   # noqa: E731
                reasons.append(f"argument {name!r} changed: {show(tree0, info0)} -> "
                               f"{show(tree, info)}")
        elif tree != tree0:
            reasons.append(f"argument {name!r} changed structure: {_show_tree(tree0)} -> "
                           f"{_show_tree(tree)}")
        else:
            for j, (a, b) in enumerate(zip(info0, info)):
                if a != b:
                    what = " and ".join(w for w, changed in (
                        ("shape", a.shape != b.shape), ("dtype", a.dtype != b.dtype),
                        ("weak type (Python scalar vs array)", a.weak != b.weak)) if changed)
                    leaf = f" (leaf {j})" if len(info) > 1 else ""
                    reasons.append(f"argument {name!r}{leaf} changed {what}: {a} -> {b}")
    reasons += [f"argument {name!r} is no longer passed" for name in before]
    return "; ".join(reasons) or ("the same argument types as the last call, passed another way "
                                  "(by keyword, or as Tracers of another transform), which is "
                                  "cached separately")
