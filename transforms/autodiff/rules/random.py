"""Derivatives of the random-bit primitives: integer-valued, so zero."""
from __future__ import annotations

from ._util import ZERO

__all__ = ["JVP", "VJP"]

JVP = {"threefry2x32": ZERO}
VJP = {"threefry2x32": ZERO}
