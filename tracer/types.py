"""Abstract values: the shape and dtype every rule works on."""
from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class ArrayType:
    """Shape and dtype of an array. `weak` marks Python scalars, which NumPy 2 lets the
    other operand's dtype win over (np.float32(1) * 2.0 is float32)."""
    shape: tuple
    dtype: np.dtype
    weak: bool = False

    def __post_init__(self):
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))
        object.__setattr__(self, "dtype", np.dtype(self.dtype))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def strong(self) -> "ArrayType":
        return ArrayType(self.shape, self.dtype) if self.weak else self

    def __str__(self) -> str:
        return f"{short_dtype(self.dtype)}[{','.join(map(str, self.shape))}]"

    __repr__ = __str__


def type_of(x) -> ArrayType:
    """The ArrayType of a concrete value (Python scalars are weak)."""
    if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
        return ArrayType((), np.result_type(x), weak=True)
    aval = getattr(x, "aval", None)
    if isinstance(aval, ArrayType):
        return aval
    x = np.asarray(x)
    return ArrayType(x.shape, x.dtype)


def result_dtype(*types: ArrayType) -> np.dtype:
    """NumPy 2 promotion of the given types, Python scalars weak."""
    args = [_WEAK_STANDIN[t.dtype.kind] if t.weak else t.dtype for t in types]
    return np.result_type(*args)
