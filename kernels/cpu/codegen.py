"""Generate the Python source of ONE Numba function for a whole graph.

    def program(c0, ..., dims, ws_float32, ..., x0, x1, ...):
        d0 = dims[0]; ...              # every size, offset and stride is a runtime integer
        res_float32 = np.empty(d7, np.float32)   # one result array per dtype
        a0 = np.ascontiguousarray(x0).reshape(-1)   # inputs made C-contiguous and flat
        <one block per fusion group, in dependency order>
        return (res_float32[d8:d8 + d9].reshape((d2, d3)), ...)   # the outputs, shaped

Arguments: the array constants as flat 1-D arrays, the runtime integers, one reused
workspace per dtype that intermediates live in, then the inputs as the caller's arrays (any
layout). The fixed arguments come first so that the Python side binds them once
(`functools.partial`). Reshaping inputs and outputs inside the program (not in Python
around the call) keeps the call from Python to one Numba dispatch; a graph with one output
returns that array itself, not a 1-tuple.

The source depends on the graph's structure only (op kinds, ranks, dtypes, which axes have
size 1, scalar literals, and whether a group is big enough to run in parallel), never on
its sizes, so graphs that differ only in sizes share the source, its hash, the on-disk
cache entry and the compiled function."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

from tracer import Const, Graph, Var
from tracer.builder import dead_code_elimination

from ..fusion import Group, partition
from .emitter import ArrayRef, Emitter, result_name, workspace_name
from .lowering import LOWERINGS, family_of
from .lowering.fused import lower_fused
from .scalars import VECMATH, _vecmath, check_dtype, np_type

__all__ = ["Generated", "generate", "runtime_version"]

CODEGEN_VERSION = "1"


@dataclass
class Generated:
    source: str
    key: str                 # sha256 of the source: names the cache entry
    dims: np.ndarray         # int64 runtime sizes, the `dims` argument
    consts: list             # array constants, passed after the inputs
    workspace: dict          # dtype name -> elements of that workspace
    outputs: list            # per graph output: ("result", k): the k-th returned array, or
    #                          ("const", value)
    single: bool             # the graph's one output is returned bare, not in a tuple
    groups: list             # the fusion groups, in execution order
    parallel: bool


def runtime_version() -> str:
    """A hash of the code the generated programs call: Numba's cache does not notice when a
    called function changes, so the version goes into each source (and so its name)."""
    h = hashlib.sha256(CODEGEN_VERSION.encode())
    here = Path(__file__).parent
    files = [here / "runtime.py", here / "blas.py"]
    vm = _vecmath()
    if vm is not None and getattr(vm, "__file__", None):
        files.append(Path(vm.__file__))
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _describe(group: Group) -> str:
    """A comment line for a group: its structure, never its sizes."""
    names = " ".join(op.prim.name for op in group.ops)
    if group.kind != "fused":
        return f"# {group.kind}: {names}"
    return f"# fused rank {len(group.domain)}{group.flags()}: {names}"


def generate(graph: Graph, fastmath: bool = False, parallel: bool | None = None) -> Generated:
    graph = dead_code_elimination(graph)
    if parallel is None:
        parallel = numba.config.NUMBA_NUM_THREADS > 1
    em = Emitter(graph, parallel_ok=parallel)
    em.emit_graph = lambda g, refs: emit_graph(em, g, refs, top=False)
    for i, v in enumerate(graph.inputs):
        check_dtype(v.aval.dtype)
        em.bind(v, ArrayRef(f"a{i}", v.aval.strong(), zero_offset=True))
        # the caller passes arrays as they are: Numba types their layout, so a strided or
        # Fortran-order input gets its own compiled variant that copies it here, and a
        # C-contiguous one (the usual case) costs nothing and is never checked in Python
        flat = ".reshape(-1)" if v.aval.ndim != 1 else ""
        em.emit(f"a{i} = np.ascontiguousarray(x{i}){flat}")
    groups = emit_graph(em, graph, None, top=True)
    outputs, returned, seen = [], [], set()
    em.emit("# outputs")
    for v in graph.outputs:
        if isinstance(v, Const):
            outputs.append(("const", v.value))
            continue
        ref = em.refs[v]
        # only a result region may be handed out; inputs, views, workspace and repeats are
        # copied into one
        if not (ref.fresh and ref.contiguous and (ref.buf, ref.offset) not in seen):
            ref = em.copy(ref, em.alloc_buffer(ref.aval, fresh=True))
        seen.add((ref.buf, ref.offset))
        outputs.append(("result", len(returned)))
        returned.append(_shaped(em, ref))
    single = len(graph.outputs) == 1 and len(returned) == 1
    source = _assemble(em, graph, returned, single, fastmath)
    return Generated(source, hashlib.sha256(source.encode()).hexdigest(),
                     np.array(em.dims, np.int64), list(em.const_args), dict(em.workspace),
                     outputs, single, groups, em.parallel)


def emit_graph(em: Emitter, graph: Graph, input_refs, top: bool):
    """Emit the code of `graph`'s groups. A sub-graph (a control-flow body: `input_refs`
    are its inputs' arrays) keeps every value in the workspace; it returns its outputs'
    ArrayRefs. The top-level graph's outputs get fresh buffers; it returns its groups."""
    if input_refs is not None:
        for v, ref in zip(graph.inputs, input_refs):
            em.bind(v, ref)
    groups = partition(graph, family_of, em.parallel_ok)
    first = em.next_group
    em.next_group += len(groups)
    saved = em.users, em.outputs, em.fresh_outputs
    em.users, em.outputs = {}, {v for v in graph.outputs if isinstance(v, Var)}
    em.fresh_outputs = top
    for gi, g in enumerate(groups, first):
        for op in g.ops:
            for v in op.inputs:
                if isinstance(v, Var):
                    em.users.setdefault(v, set()).add(gi)
    for gi, g in enumerate(groups, first):
        em.emit(_describe(g))
        if g.kind == "fused":
            lower_fused(em, g, gi)
        else:
            LOWERINGS[g.ops[0].prim.name].rule(em, g.ops[0])
    em.users, em.outputs, em.fresh_outputs = saved
    return groups if top else [em.ref(v) for v in graph.outputs]


def _shaped(em: Emitter, ref: ArrayRef) -> str:
    """The expression returning result region `ref` as an array of its own shape (Numba
    reshapes the view, which is cheaper than reshaping in Python after the call)."""
    start = em.offset(ref) or "0"
    n = em.dim(ref.aval.size)
    flat = f"{ref.buf}[{start}:{start} + {n}]"
    shape = ref.aval.shape
    if len(shape) == 1:
        return flat
    return f"{flat}.reshape(({''.join(em.dim(d) + ', ' for d in shape).rstrip(' ')}))"


def _assemble(em: Emitter, graph: Graph, returned: list, single: bool, fastmath: bool) -> str:
    args = [f"c{i}" for i in range(len(em.const_args))] + ["dims"]
    args += [workspace_name(d) for d in sorted(em.workspace)]
    args += [f"x{i}" for i in range(len(graph.inputs))]
    vm = f"import {VECMATH} as vm\n" if _vecmath() is not None else ""
    head = (
        "# numbaflow cpu program, generated by kernels/cpu/codegen.py: do not edit.\n"
        f"# runtime {runtime_version()}\n"
        "import math\n\nimport numba\nimport numpy as np\nfrom numba import prange\n\n"
        f"from kernels.cpu.runtime import *  # noqa: F403\n"
        f"from kernels.cpu.blas import gemm_float32, gemm_float64\n{vm}\n\n"
        f"@numba.njit(cache=True, error_model='numpy', parallel={em.parallel}, "
        f"fastmath={bool(fastmath)})\n"
        f"def program({', '.join(args)}):\n")
    sizes = {d: em.dim(n, ("results", d)) for d, n in sorted(em.results.items())}
    prologue = [f"    d{k} = dims[{k}]" for k in range(len(em.dims))]
    prologue += [f"    {result_name(d)} = np.empty({n}, {np_type(d)})" for d, n in sizes.items()]
    ret = "    return (" + "".join(r + ", " for r in returned).rstrip(" ") + ")"
    if single:
        ret = f"    return {returned[0]}"
    elif not returned:
        ret = "    return ()"
    return head + "\n".join(prologue + em.lines + [ret]) + "\n"
