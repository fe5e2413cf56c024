"""The batch rule table: primitive name -> rule, one module per family of ops.

A rule is `rule(axis_size, args, dims, **params) -> (out, out_dim)`: `args` are arrays,
Tracers or Python scalars, `dims` their batch axes (None: unbatched, at least one is
batched); `out_dim` is the batch axis of `out` (a list of both for primitives with
several results). Rules are written with `bind`, so they compute on arrays and record
on Tracers."""
from __future__ import annotations

from . import control_flow, cumulative, elementwise, indexing, linalg, random, reductions, shape

__all__ = ["BATCH_RULES"]

BATCH_RULES: dict = {}
for _family in (elementwise, reductions, cumulative, shape, indexing, linalg, random,
                control_flow):
    BATCH_RULES.update(_family.RULES)
