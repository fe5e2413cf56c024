"""Small axis helpers shared by the batch rules. They are written with `bind`, so they run
NumPy on arrays and record ops on Tracers, like the rules themselves."""
from __future__ import annotations

from tracer import REGISTRY

__all__ = ["shape_of", "example_ndim", "example_shape", "full_axis", "move_to", "to_front",
           "pad_rank", "along_axis_rule", "broadcasting_rule"]

_P = REGISTRY


def shape_of(x) -> tuple:
    """The shape of an array, a Tracer or a Python scalar."""
    return tuple(getattr(x, "shape", ()))


def example_ndim(x, dim) -> int:
    """The rank of one example of `x` (its batch axis, if any, left out)."""
    return len(shape_of(x)) - (dim is not None)


def example_shape(x, dim) -> list:
    """The shape of one example of `x` (its batch axis, if any, left out)."""
    shape = list(shape_of(x))
    if dim is not None:
        del shape[dim]
    return shape


def full_axis(axis: int, dim: int) -> int:
    """Where a per-example axis lies in the batched value whose batch axis is `dim`."""
    return axis + (axis >= dim)


def move_to(x, src: int, dst: int):
    """x with its axis `src` moved to position `dst` (one transpose, none if in place)."""
    if src == dst:
        return x
    perm = [i for i in range(len(shape_of(x))) if i != src]
    perm.insert(dst, src)
    return _P["transpose"].bind(x, perm=tuple(perm))


def to_front(x, dim, axis_size: int):
    """x with its batch axis first; an unbatched x is broadcast to `axis_size` examples."""
    if dim is None:
        shape = shape_of(x)
        return _P["broadcast_to"].bind(x, shape=(axis_size,) + shape)
    return move_to(x, dim, 0)


def pad_rank(x, rank: int):
    """A front-batched x with size-1 axes inserted after the batch axis, so that one
    example has `rank` axes and NumPy's right-aligned broadcasting lines up again."""
    shape = shape_of(x)
    missing = rank - (len(shape) - 1)
    if missing <= 0:
        return x
    return _P["reshape"].bind(x, shape=shape[:1] + (1,) * missing + shape[1:])


def along_axis_rule(prim):
    """The batch rule of a primitive whose output is shaped like its one input and whose
    `axis` parameter names the axis it works along (cumulative scans, argsort): the batch
    axis stays in place and the axis parameter skips over it."""
    def rule(axis_size, args, dims, *, axis):
        (x,), (dim,) = args, dims
        return prim.bind(x, axis=full_axis(axis, dim)), dim
    return rule


def broadcasting_rule(name: str):
    """The batch rule of a primitive that broadcasts its operands like NumPy: a batched
    operand gets its batch axis in front and size-1 axes after it up to the output's
    per-example rank, so right-aligned broadcasting still lines the examples up with the
    unbatched operands, which are left alone (they broadcast over the batch). The primitive
    is looked up by name when the rule runs."""
    def rule(axis_size, args, dims, **params):
        rank = max(example_ndim(x, d) for x, d in zip(args, dims))
        aligned = [x if d is None else pad_rank(to_front(x, d, axis_size), rank)
                   for x, d in zip(args, dims)]
        return _P[name].bind(*aligned, **params), 0
    return rule
