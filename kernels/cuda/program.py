"""The callable a compiled graph becomes, and the device buffers it works on.

    program(*inputs) -> list of device arrays (numba DeviceNDArray, shaped like NumPy's)

Inputs may be NumPy arrays or scalars (copied to the device) or device arrays: anything
with `__cuda_array_interface__` (numba device arrays, CuPy arrays, PyTorch CUDA tensors)
is used in place, zero-copy, when C-contiguous (a strided one is copied). Outputs stay on
the device; `np.asarray(out)` or `out.copy_to_host()` brings one to the host, and a
Program made with `to_host=True` returns NumPy arrays. Array constants and the workspace
are allocated on the first call and kept; outputs are fresh buffers on every call.
Launches go to the default stream, so calls run in order; a Program is not thread-safe."""
from __future__ import annotations

import numpy as np

from tracer import Graph, ShapeError

from .device import cuda_module, is_simulator, require_cuda
from .layout import c_strides
from .planner import Planner

__all__ = ["Program", "to_device", "from_user", "shaped", "is_device_array"]


def is_device_array(x) -> bool:
    """Anything exposing __cuda_array_interface__, or a simulator device array."""
    if isinstance(x, np.ndarray):
        return False
    return hasattr(x, "__cuda_array_interface__") or \
        type(x).__name__ == "FakeCUDAArray"


def to_device(value: np.ndarray):
    return cuda_module().to_device(np.ascontiguousarray(value).reshape(-1))


def _alloc(size: int, dtype):
    return cuda_module().device_array(int(size), dtype=dtype)


def from_user(x, aval, k: int):
    """Input k as a flat C-contiguous device buffer of the program's dtype."""
    if is_device_array(x):
        cuda = cuda_module()
        if is_simulator():
            host = x.copy_to_host()
            _check(host.shape, host.dtype, aval, k)
            return cuda.to_device(np.ascontiguousarray(host).reshape(-1))
        d = cuda.as_cuda_array(x)
        _check(d.shape, d.dtype, aval, k)
        if not d.is_c_contiguous():
            return to_device(d.copy_to_host())
        from numba.cuda.cudadrv.devicearray import DeviceNDArray
        return DeviceNDArray((d.size,), (d.dtype.itemsize,), d.dtype, gpu_data=d.gpu_data)
    arr = np.asarray(x)
    if arr.shape != aval.shape:
        raise ShapeError("cuda program input", f"input {k} has shape {arr.shape}, the program "
                         f"was compiled for {aval.shape}")
    if arr.dtype != aval.dtype:
        arr = arr.astype(aval.dtype)
    return to_device(arr)


def _check(shape, dtype, aval, k):
    if tuple(shape) != aval.shape or np.dtype(dtype) != aval.dtype:
        raise ShapeError("cuda program input", f"device input {k} is {np.dtype(dtype)}"
                         f"{list(shape)}, the program was compiled for {aval}")


def shaped(buf, shape):
    """The flat device buffer `buf` as a device array of `shape` (a view, no copy)."""
    if is_simulator():
        return buf.reshape(shape)
    from numba.cuda.cudadrv.devicearray import DeviceNDArray
    item = buf.dtype.itemsize
    return DeviceNDArray(tuple(shape), tuple(s * item for s in c_strides(shape)), buf.dtype,
                         gpu_data=buf.gpu_data)


class Program:
    """`program(*inputs) -> list`; `.source`: every kernel's code, group by group;
    `.steps`: the launches and host steps in order; `run(in_bufs, out_bufs)`: the same on
    flat device buffers (control flow calls its bodies so)."""

    def __init__(self, graph: Graph, plan: Planner, to_host: bool = False):
        self.graph, self.plan, self.to_host = graph, plan, to_host
        self.steps = plan.steps
        self.source = "\n".join(plan.sources)
        self._slots = plan.slots
        self._in_types = [v.aval for v in graph.inputs]
        self._out_shapes = [v.aval.shape for v in graph.outputs]
        self._static = None

    @classmethod
    def from_graph(cls, graph: Graph, to_host: bool = False) -> "Program":
        return cls(graph, Planner(graph).build(), to_host)

    def kernel_steps(self) -> list:
        """Every kernel launch, those of control-flow bodies included."""
        out = []
        for step in self.steps:
            out += [step] if hasattr(step, "kernel") else \
                [s for p in step.programs for s in p.kernel_steps()]
        return out

    def _static_buffers(self) -> list:
        bufs = [None] * len(self._slots)
        for i, s in enumerate(self._slots):
            if s.kind == "const":
                bufs[i] = to_device(s.value)
            elif s.kind == "ws":
                bufs[i] = _alloc(s.size, s.dtype)
        return bufs

    def run(self, in_bufs: list, out_bufs: list | None = None) -> list:
        if self._static is None:
            self._static = self._static_buffers()
        bufs = self._static[:]
        for slot, b in zip(self.plan.in_slots, in_bufs):
            bufs[slot] = b
        if out_bufs is None:
            out_bufs = [_alloc(self._slots[s].size, self._slots[s].dtype)
                        for s in self.plan.out_slots]
        for slot, b in zip(self.plan.out_slots, out_bufs):
            bufs[slot] = b
        for step in self.steps:
            step.run(bufs)
        return out_bufs

    def __call__(self, *args) -> list:
        require_cuda()
        if len(args) != len(self._in_types):
            raise TypeError(f"the compiled program takes {len(self._in_types)} inputs, "
                            f"got {len(args)}")
        ins = [from_user(a, t, k) for k, (a, t) in enumerate(zip(args, self._in_types))]
        outs = self.run(ins)
        if self.to_host:
            return [b.copy_to_host().reshape(s) for b, s in zip(outs, self._out_shapes)]
        return [shaped(b, s) for b, s in zip(outs, self._out_shapes)]
