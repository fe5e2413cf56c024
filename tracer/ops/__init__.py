"""The primitive set, one module per family of ops. Importing this package registers
every primitive in `tracer.primitive.REGISTRY`."""
from . import (control_flow, cumulative, elementwise, indexing, linalg, random,  # noqa: F401
               reductions, shape)
