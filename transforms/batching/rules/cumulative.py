"""Batch rules of the cumulative scans: the batch axis stays in place."""
from __future__ import annotations

from tracer import REGISTRY
from tracer.ops.cumulative import CUMULATIVE

from ._helpers import along_axis_rule

__all__ = ["RULES"]

RULES = {name: along_axis_rule(REGISTRY[name]) for name in CUMULATIVE}
