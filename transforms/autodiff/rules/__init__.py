"""The derivative rule tables, keyed by primitive name, one module per family of ops
(elementwise, reductions, cumulative, shape, indexing, linalg, random, control_flow; the
custom_vjp op registers its own in ../custom.py).

    JVP_RULES[name](primals, tangents, out, **params) -> tangent of out (None: zero)
    VJP_RULES[name](ct, primals, out, active, **params) -> one cotangent per operand

`tangents` holds None for a zero tangent; `active[i]` says whether operand i needs a
cotangent (the rule returns None for the others). For a primitive with several results,
`out` and the tangent/cotangent of out are lists. `ZERO` marks a primitive whose
derivative is zero (no tangent, no cotangent). Rules are written with primitives and
NumPy calls, so on Tracers they record ops that can be differentiated again."""
from __future__ import annotations

from . import control_flow, cumulative, elementwise, indexing, linalg, random, reductions, shape
from ._util import ZERO

__all__ = ["JVP_RULES", "VJP_RULES", "ZERO", "register_rules"]

JVP_RULES: dict = {}
VJP_RULES: dict = {}


def register_rules(name: str, jvp, vjp) -> None:
    """Add the rules of a primitive defined outside the tracer's families (control flow,
    custom_vjp)."""
    JVP_RULES[name] = jvp
    VJP_RULES[name] = vjp


for _family in (elementwise, reductions, cumulative, shape, indexing, linalg, random,
                control_flow):
    JVP_RULES.update(_family.JVP)
    VJP_RULES.update(_family.VJP)
