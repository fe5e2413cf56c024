"""How each reduction accumulates inside a fused loop nest: its accumulator dtype, identity,
pairwise combine and the block combiner of kernels/cpu/runtime.py.

Float sums and products accumulate in float64 whatever the input (a float32 accumulator
over 10M elements loses ~4e-5 relative; NumPy's pairwise sum ~1e-7), integer ones in the
result dtype (which wraps like NumPy's), max/min in the input dtype, propagating NaN."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..scalars import literal

__all__ = ["Reducer", "REDUCERS", "accumulator_dtype", "TAKES_SCRATCH"]

# block combiners whose last argument is a float64 scratch of BLOCK // 2 (runtime.sum_block)
TAKES_SCRATCH = frozenset({"sum_block"})


@dataclass(frozen=True)
class Reducer:
    identity: Callable[[np.dtype], object]   # accumulator dtype -> identity value
    combine: str                              # format with a, b
    block: Callable[[np.dtype], str]          # accumulator dtype -> runtime block combiner
    accumulate_wide: bool                     # float64 accumulator for floats

    def identity_literal(self, acc_dtype) -> str:
        return literal(self.identity(np.dtype(acc_dtype)), acc_dtype)


def _lowest(dt):
    return -np.inf if dt.kind == "f" else (False if dt.kind == "b" else np.iinfo(dt).min)


def _highest(dt):
    return np.inf if dt.kind == "f" else (True if dt.kind == "b" else np.iinfo(dt).max)


REDUCERS = {
    "reduce_sum": Reducer(lambda dt: 0, "{a} + {b}",
                          lambda dt: "sum_block" if dt.kind == "f" else "int_sum_block", True),
    "reduce_prod": Reducer(lambda dt: 1, "{a} * {b}", lambda dt: "prod_block", True),
    "reduce_max": Reducer(_lowest, "nf_max({a}, {b})", lambda dt: "max_block", False),
    "reduce_min": Reducer(_highest, "nf_min({a}, {b})", lambda dt: "min_block", False),
    "reduce_any": Reducer(lambda dt: False, "({a} or {b})", lambda dt: "any_block", False),
    "reduce_all": Reducer(lambda dt: True, "({a} and {b})", lambda dt: "all_block", False),
}


def accumulator_dtype(name: str, in_dtype, out_dtype) -> np.dtype:
    out_dtype = np.dtype(out_dtype)
    if name in ("reduce_any", "reduce_all"):
        return np.dtype(bool)
    if REDUCERS[name].accumulate_wide and out_dtype.kind == "f":
        return np.dtype(np.float64)
    return out_dtype
