"""numbaflow's tracer: abstract array types, the IR, the primitive registry, the Tracer
that records plain NumPy code, pytrees and the IR printer."""
from . import ops, numpy_api  # noqa: F401  (register primitives and NumPy functions)
from .api import make_graph
from .at import at
from . import random
from .control_flow import cond, fori_loop, scan, while_loop
from .builder import eval_graph, trace
from .errors import (ConcretizationError, EscapedTracerError, InplaceUpdateError,
                     NumbaflowError, ShapeError, TransformError)
from .functions import log_softmax, logsumexp, sigmoid, softmax
from .ir import Const, Graph, Op, Var
from .primitive import REGISTRY, Primitive, bind
from .pytree import (register_dataclass, register_pytree_node, tree_flatten, tree_leaves,
                     tree_map, tree_structure, tree_unflatten)
from .tracer import Tracer
from .types import ArrayType

__all__ = [
    "make_graph", "eval_graph", "at", "cond", "while_loop", "fori_loop", "scan", "random", "trace", "ArrayType", "Var", "Const", "Op", "Graph",
    "Primitive", "REGISTRY", "bind", "Tracer",
    "tree_flatten", "tree_unflatten", "tree_map", "tree_leaves", "tree_structure",
    "register_pytree_node", "register_dataclass",
    "logsumexp", "softmax", "log_softmax", "sigmoid",
    "ConcretizationError", "ShapeError", "InplaceUpdateError", "EscapedTracerError",
    "NumbaflowError", "TransformError",
]
