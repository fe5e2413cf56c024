"""The primitive set, one module per family of ops. Importing this package registers
every primitive in `tracer.primitive.REGISTRY`."""
from . import elementwise, reductions, shape, indexing, linalg, cumulative  # noqa: F401
