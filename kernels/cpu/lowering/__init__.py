"""The lowering table: primitive name -> how the cpu backend compiles it, by family.

- "elementwise": a scalar expression inside a fused loop nest (elementwise.RULES)
- "reduction": an accumulator inside a fused loop nest (reduction.REDUCERS)
- "view": a Numba view, no copy (views.py)
- "library": a BLAS call (library.py)
- "loop": a loop of its own (loops.py); control-flow ops with sub-graphs register here too

Fused families have no rule of their own: fused.lower_fused writes the whole group. Adding a
primitive means one `register_lowering` call; a test fails for any primitive in
tracer.REGISTRY missing from the table."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import control, library, loops, views
from .elementwise import RULES
from .reduction import REDUCERS

__all__ = ["Lowering", "LOWERINGS", "register_lowering", "family_of", "FAMILIES"]

FAMILIES = ("elementwise", "reduction", "view", "library", "loop")


@dataclass(frozen=True)
class Lowering:
    family: str
    rule: Callable | None = None   # (emitter, op) -> None, for the non-fused families


LOWERINGS: dict[str, Lowering] = {}


def register_lowering(name: str, family: str, rule: Callable | None = None) -> None:
    if family not in FAMILIES:
        raise ValueError(f"unknown lowering family {family!r}; one of {FAMILIES}")
    if (family in ("elementwise", "reduction")) != (rule is None):
        raise ValueError(f"{name}: fused families take no rule, the others need one")
    LOWERINGS[name] = Lowering(family, rule)


def family_of(name: str) -> str:
    try:
        return LOWERINGS[name].family
    except KeyError:
        raise NotImplementedError(
            f"the cpu backend has no lowering for primitive {name!r}; add one with "
            "kernels.cpu.lowering.register_lowering, or use the 'numpy' backend") from None


for _name in RULES:
    if not _name.startswith("reduce_"):
        register_lowering(_name, "elementwise")
for _name in REDUCERS:
    register_lowering(_name, "reduction")
register_lowering("reshape", "view", views.lower_reshape)
register_lowering("transpose", "view", views.lower_transpose)
register_lowering("slice", "view", views.lower_slice)
register_lowering("dot_general", "library", library.lower_dot_general)
register_lowering("take", "loop", loops.lower_take)
register_lowering("scatter", "loop", loops.lower_scatter)
register_lowering("argsort", "loop", loops.lower_along_axis("argsort3"))
for _name in ("cumsum", "cumprod", "cummax", "cummin"):
    register_lowering(_name, "loop", loops.lower_along_axis(_name + "3"))
register_lowering("argmax", "loop", loops.lower_argreduce("argmax3"))
register_lowering("argmin", "loop", loops.lower_argreduce("argmin3"))
register_lowering("concatenate", "loop", loops.lower_concatenate)
register_lowering("pad", "loop", loops.lower_pad)
register_lowering("threefry2x32", "loop", loops.lower_threefry)
register_lowering("cond", "loop", control.lower_cond)
register_lowering("while_loop", "loop", control.lower_while)
register_lowering("scan", "loop", control.lower_scan)
