"""Abstract values: the shape and dtype every rule works on."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["ArrayType", "type_of", "result_dtype", "short_dtype"]

_SHORT = {
    "float16": "f16", "float32": "f32", "float64": "f64",
    "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64",
    "bool": "bool", "complex64": "c64", "complex128": "c128",
}

# A Python scalar of each kind stands for a weakly typed value in np.result_type.
_WEAK_STANDIN = {"b": False, "i": 0, "u": 0, "f": 0.0, "c": 0j}


def short_dtype(dtype: np.dtype) -> str:
    return _SHORT.get(np.dtype(dtype).name, np.dtype(dtype).name)


class ArrayType:
    """Shape and dtype of an array. `weak` marks Python scalars, which NumPy 2 lets the
    other operand's dtype win over (np.float32(1) * 2.0 is float32). Treat it as immutable
    (it is hashed); a plain slotted class because one is built per traced value."""
    __slots__ = ("shape", "dtype", "weak")

    def __init__(self, shape, dtype, weak: bool = False):
        self.shape = tuple(map(int, shape))
        self.dtype = dtype if isinstance(dtype, np.dtype) else np.dtype(dtype)
        self.weak = weak

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def strong(self) -> "ArrayType":
        return ArrayType(self.shape, self.dtype) if self.weak else self

    def __eq__(self, other):
        return (isinstance(other, ArrayType) and self.shape == other.shape
                and self.dtype == other.dtype and self.weak == other.weak)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak))

    def __str__(self) -> str:
        return f"{short_dtype(self.dtype)}[{','.join(map(str, self.shape))}]"

    __repr__ = __str__


_SCALAR_TYPES = {t: np.result_type(t(0)) for t in (bool, int, float, complex)}


def type_of(x) -> ArrayType:
    """The ArrayType of a concrete value (Python scalars are weak)."""
    cls = type(x)
    if cls is np.ndarray:
        return ArrayType(x.shape, x.dtype)
    if cls in _SCALAR_TYPES:
        return ArrayType((), _SCALAR_TYPES[cls], weak=True)
    aval = getattr(x, "aval", None)
    if isinstance(aval, ArrayType):
        return aval
    if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
        return ArrayType((), np.result_type(x), weak=True)
    x = np.asarray(x)
    return ArrayType(x.shape, x.dtype)


def result_dtype(*types: ArrayType) -> np.dtype:
    """NumPy 2 promotion of the given types, Python scalars weak."""
    args = [_WEAK_STANDIN[t.dtype.kind] if t.weak else t.dtype for t in types]
    return np.result_type(*args)
