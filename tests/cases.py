"""Example inputs for every primitive in `tracer.REGISTRY`, shared by the registry-wide tests
of the tracer (infer vs NumPy), autodiff (JVP/VJP vs finite differences), vmap and jit.

    for case in all_cases(dtypes=(np.float64,)):
        out = REGISTRY[case.prim].bind(*case.args, **case.params)

Every value lies in its primitive's smooth domain (log of positives, arcsin inside (-1, 1),
max/min without ties, floor/mod away from their jumps, ...) so central finite differences
work for the arguments listed in `diff_args`. The data is in `tests/case_tables.py`, one
table per family of ops: per-operand samplers plus a list of layouts (operand specs and
params). A primitive in REGISTRY without a table entry makes `all_cases` raise, so a new
primitive fails every registry-wide test until it has cases there."""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from tests.case_tables import FAMILIES, A, N, Sub
from tracer import REGISTRY, Graph
from tracer.types import type_of

__all__ = ["Case", "cases_for", "all_cases", "DEFAULT_DTYPES"]

DEFAULT_DTYPES = (np.float32, np.float64, np.int64)


@dataclass(frozen=True)
class Case:
    prim: str            # primitive name
    args: tuple          # positional operands of prim.bind
    params: dict         # keyword params of prim.bind
    diff_args: tuple     # indices of float args with meaningful derivatives
    label: str           # short description for test ids

    def __repr__(self):
        return self.label


# --- building cases -----------------------------------------------------------------------
def _describe(x) -> str:
    if isinstance(x, (bool, int, float)):
        return f"py_{type(x).__name__}"
    return ("np_" if isinstance(x, np.generic) else "") + str(type_of(x))


def _label(name, args, params) -> str:
    text = f"{name} " + ",".join(_describe(a) for a in args)
    if params:
        text += " " + " ".join(f"{k}={_param_text(v)}" for k, v in params.items())
    return text


def _param_text(v) -> str:
    if isinstance(v, Graph):
        return f"graph({len(v.ops)}ops)"
    return (v.name if isinstance(v, np.dtype) else str(v)).replace(" ", "")


def _operand(spec, sampler, rng, dtype):
    """The value for one operand spec, or None where the sampler does not take the dtype."""
    if isinstance(spec, np.ndarray):
        return spec
    if isinstance(spec, A):
        return sampler(rng, spec.shape, spec.dtype or dtype)
    if isinstance(spec, N):
        x = sampler(rng, (), dtype)
        return None if x is None else x[()]
    kind = spec.kind or {"f": float, "i": int, "u": int, "b": bool}[np.dtype(dtype).kind]
    x = sampler(rng, (), {float: np.float64, int: np.int64, bool: np.bool_}[kind])
    return None if x is None else kind(x)


def _is_float(x) -> bool:
    return isinstance(x, float) or (not isinstance(x, (bool, int))
                                    and np.asarray(x).dtype.kind == "f")


def _make_case(name, specs, params, samplers, rng, dtype, allowed) -> Case | None:
    for s in specs:   # mixed-dtype layouts only where every dtype they name was asked for
        if isinstance(s, A) and s.dtype is not None and np.dtype(s.dtype) not in allowed:
            return None
    args = []
    for k, spec in enumerate(specs):
        x = _operand(spec, samplers[min(k, len(samplers) - 1)], rng, dtype)
        if x is None:
            return None
        args.append(x)
    params = {k: v.build(args) if isinstance(v, Sub) else v for k, v in params.items()}
    prim = REGISTRY[name]
    out = prim.numpy(*args, **params)   # the reference must accept the case
    outs = out if prim.multiple_results else [out]
    float_out = any(np.asarray(o).dtype.kind == "f" for o in outs)
    diff = tuple(k for k, (s, x) in enumerate(zip(specs, args))
                 if float_out and not isinstance(s, np.ndarray) and _is_float(x))
    return Case(name, tuple(args), params, diff, _label(name, args, params))


def _accepts(family, dtype, rng) -> bool:
    """Does the family's first dtype-following operand take `dtype`?"""
    specs = family.layouts[0][0]
    k = next((k for k, s in enumerate(specs) if not isinstance(s, (np.ndarray, A)) or
              isinstance(s, A) and s.dtype is None), None)
    if k is None:   # literal operands only: made once, for the first dtype
        return True
    return family.samplers[min(k, len(family.samplers) - 1)](rng, (), dtype) is not None


def cases_for(name: str, dtypes=DEFAULT_DTYPES, seed: int = 0) -> list[Case]:
    """Example cases of primitive `name` on the given dtypes (where it takes them)."""
    family = FAMILIES.get(name)
    if family is None:
        raise LookupError(f"primitive {name!r} has no example cases: add a table entry for it "
                          "in tests/case_tables.py")
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    allowed = {np.dtype(d) for d in dtypes} | {np.dtype(np.bool_)}
    cases, first = [], True
    for dtype in [np.dtype(d) for d in dtypes] + [np.dtype(d) for d in family.extra_dtypes]:
        if not _accepts(family, dtype, rng):
            continue
        layouts = family.layouts if first else family.layouts[:family.every]
        first = False
        for specs, params in layouts:
            case = _make_case(name, specs, params, family.samplers, rng, dtype, allowed)
            if case is not None:
                cases.append(case)
    if not cases:
        raise LookupError(f"primitive {name!r} has no example cases for dtypes {dtypes}")
    return cases


def all_cases(dtypes=DEFAULT_DTYPES, seed: int = 0) -> list[Case]:
    """Cases of every primitive in REGISTRY; raises if any primitive has none."""
    missing = sorted(set(REGISTRY) - set(FAMILIES))
    if missing:
        raise LookupError(f"primitives without example cases (add them to "
                          f"tests/case_tables.py): {missing}")
    return [c for name in sorted(REGISTRY) for c in cases_for(name, dtypes, seed)]


def graph_of_cases(cases) -> tuple[Graph, list]:
    """One graph computing every case, and its inputs (so a backend compiles once). Arrays
    are inputs; scalars are inputs in every other case (weak inputs) and captured
    literals in the others."""
    from tracer import make_graph
    inputs, slots = [], []
    for n, case in enumerate(cases):
        row = []
        for a in case.args:
            if isinstance(a, np.ndarray) or n % 2 == 0:
                row.append(len(inputs))
                inputs.append(a)
            else:
                row.append(("const", a))
        slots.append(row)

    def run(*xs):
        outs = []
        for case, row in zip(cases, slots):
            args = [a[1] if isinstance(a, tuple) else xs[a] for a in row]
            out = REGISTRY[case.prim].bind(*args, **case.params)
            outs.extend(out if REGISTRY[case.prim].multiple_results else [out])
        return outs
    return make_graph(run)(*inputs), inputs


def central_difference(f, x, h: float = 1e-6) -> np.ndarray:
    """The gradient of scalar `f` at `x` by central differences, one coordinate at a time."""
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g
