"""NumPy's API on Tracers. Importing it fills the tables in `registry`."""
from . import basic, indexing, linalg, reductions, shape, ufuncs  # noqa: F401
from .basic import astype
from .indexing import getitem
from .registry import FUNCTIONS, UFUNC_METHODS, UFUNCS, array_function, array_ufunc, call_ufunc

__all__ = ["FUNCTIONS", "UFUNCS", "UFUNC_METHODS", "array_function", "array_ufunc",
           "call_ufunc", "getitem", "astype"]
