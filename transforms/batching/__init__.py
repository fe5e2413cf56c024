"""vmap: the batching transform. `api` has the user-facing `vmap`, `interpreter` evaluates
a Graph on batched values, and `rules/` holds one batch rule per primitive."""
from .api import vmap
from .interpreter import batch_graph, batch_op
from .rules import BATCH_RULES

__all__ = ["vmap", "batch_graph", "batch_op", "BATCH_RULES"]
