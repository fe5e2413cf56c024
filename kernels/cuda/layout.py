"""Where a value lives on the device: a `Loc` is a slot of the program's buffer list (each
slot one flat 1-D device array) plus an element offset and strides, so reshapes,
transposes, slices and broadcasts are index arithmetic, decided when the graph is
compiled. Also the axis merging that keeps a kernel's index arithmetic short."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kernels.shapes import c_strides, prod

__all__ = ["Loc", "c_strides", "broadcast_strides", "merge_axes", "prod"]


@dataclass(frozen=True)
class Loc:
    """Element (i0, i1, ...) of the value is bufs[slot][offset + i0*strides[0] + ...]."""
    slot: int
    shape: tuple
    dtype: np.dtype
    offset: int = 0
    strides: tuple | None = None     # None: C-contiguous

    @property
    def size(self) -> int:
        return prod(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def stride_values(self) -> tuple:
        return c_strides(self.shape) if self.strides is None else self.strides

    @property
    def contiguous(self) -> bool:
        """C-contiguous (strides of size-1 axes do not matter)."""
        if self.strides is None:
            return True
        return all(n == 1 or s == c for n, s, c in
                   zip(self.shape, self.strides, c_strides(self.shape)))

    def with_layout(self, shape, offset, strides, dtype=None) -> "Loc":
        return Loc(self.slot, tuple(shape), self.dtype if dtype is None else dtype,
                   int(offset), None if strides is None else tuple(int(s) for s in strides))

    def reshaped(self, shape) -> "Loc":
        assert self.contiguous, "reshape of a strided view: copy it first"
        return Loc(self.slot, tuple(shape), self.dtype, self.offset, None)

    def transposed(self, perm) -> "Loc":
        s = self.stride_values()
        return self.with_layout([self.shape[p] for p in perm], self.offset, [s[p] for p in perm])

    def sliced(self, spec) -> "Loc":
        """spec: (start, count, step) per axis, normalised (steps may be negative)."""
        s = self.stride_values()
        offset = self.offset + sum(start * st for (start, _, _), st in zip(spec, s))
        return self.with_layout([c for _, c, _ in spec], offset,
                                [st * step for (_, _, step), st in zip(spec, s)])


def broadcast_strides(loc: Loc, domain) -> tuple:
    """loc's strides when read over `domain` with NumPy broadcasting (0: broadcast axis)."""
    lead = len(domain) - loc.ndim
    s = loc.stride_values()
    return tuple(0 if d < lead or loc.shape[d - lead] == 1 and domain[d] != 1 else s[d - lead]
                 for d in range(len(domain)))


def merge_axes(domain, stride_lists, reduced=()) -> tuple[list, list, list]:
    """Drop the domain's size-1 axes and merge adjacent axes that every access walks as one
    (stride[d] == stride[d+1] * size[d+1], broadcast ones included) and that are both
    reduced or both kept. Returns (sizes, reduced flags, merged strides per access)."""
    sizes, flags, merged = [], [], [[] for _ in stride_lists]
    for d, n in enumerate(domain):
        if n == 1:
            continue
        red = d in reduced
        if sizes and flags[-1] == red and all(
                m[-1] == s[d] * n for m, s in zip(merged, stride_lists)):
            sizes[-1] *= n
            for m, s in zip(merged, stride_lists):
                m[-1] = s[d]
            continue
        sizes.append(n)
        flags.append(red)
        for m, s in zip(merged, stride_lists):
            m.append(s[d])
    return sizes, flags, merged
