"""Batch rule of threefry2x32: its operands broadcast over their leading axes like an
element-wise op (the last axis, the two 32-bit words, is the same size everywhere), so
each example keeps its own key and counter."""
from __future__ import annotations

from ._helpers import broadcasting_rule

__all__ = ["RULES"]

RULES = {"threefry2x32": broadcasting_rule("threefry2x32")}
