"""jit: trace a function once per input signature (abstractly: shapes and dtypes only),
simplify its graph, compile it with a backend, and run the compiled program on every later
call with the same signature.

    step = jit(step)                      # or @jit, or jit(static_argnums=...)(step)
    step(params, x, y)                    # first call: trace + compile; later: one program call
    step.lower(params, x, y).graph        # the optimized graph; .source: the generated code
    step.cache_info()                     # hits, misses, compilations, why the last miss

Called with Tracers among its arguments (inside grad, vmap, make_graph or another jit),
a jitted function inlines its graph into the outer trace, so outer transforms see through it.
"""
from __future__ import annotations

import functools
import importlib
import inspect
from collections import OrderedDict
from typing import Any, Callable, NamedTuple

import numpy as np

from tracer import Const, Graph, Tracer, TransformError, eval_graph
from tracer.builder import leaf_type, trace_flat
from tracer.errors import format_location, user_location
from tracer.pytree import tree_flatten, tree_unflatten

from .jit_keys import SCALARS, add_tokens, array_key, explain_miss

__all__ = ["jit", "Jitted", "Lowered", "CacheInfo"]

_ndarray = np.ndarray


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    compilations: int
    size: int
    maxsize: int
    last_miss: str | None   # why the last miss happened, compared with the call before it


class _Entry:
    """One signature: its optimized graph, output structure and (once compiled) program.
    `desc` names each argument with its tree structure and leaf types, or its static value."""
    __slots__ = ("graph", "out_tree", "desc", "program", "call", "checks", "inline", "single",
                 "finish", "in_dtypes")

    def __init__(self, graph: Graph, out_tree, desc: tuple, inline: bool):
        self.graph, self.out_tree, self.desc, self.program = graph, out_tree, desc, None
        # once compiled: the program's unchecked call, for ndarrays of the key's shapes and
        # dtypes, returning what the user gets
        self.call = None
        self.checks = True      # `call` is the program's own, which takes any leaves
        self.inline = inline    # called with Tracers (the key says so): evaluate, never compile
        self.in_dtypes = [v.aval.dtype for v in graph.inputs]
        dtypes = [v.aval.dtype for v in graph.outputs]
        # constants are returned as fresh arrays, so callers may write to what they get
        copies = [i for i, v in enumerate(graph.outputs) if isinstance(v, Const)]
        leaf = out_tree.children is None
        self.single = leaf and not copies

        def finish(outs):
            # device arrays (backend "cuda") stay on the device, as fresh buffers
            arrays = [o if type(o) is _ndarray or hasattr(o, "copy_to_host")
                      else np.asarray(o, dt) for o, dt in zip(outs, dtypes)]
            for i in copies:
                if type(arrays[i]) is _ndarray:
                    arrays[i] = arrays[i].copy()
            return arrays[0] if leaf else tree_unflatten(out_tree, arrays)
        self.finish = finish

    def arrays(self, leaves: list) -> list | None:
        """The leaves as `call` takes them: for an unchecked call, ndarrays as they are and
        Python and NumPy scalars as 0-d arrays of their input's dtype (the key fixed it), or
        None if another leaf is among them."""
        if self.checks or all([type(x) is _ndarray for x in leaves]):
            return leaves
        if not all([type(x) is _ndarray or type(x) in SCALARS or isinstance(x, np.generic)
                    for x in leaves]):
            return None
        return [x if type(x) is _ndarray else np.asarray(x, dt)
                for x, dt in zip(leaves, self.in_dtypes)]


class Lowered:
    """What jit makes of one signature: `.graph` (optimized) and `.source` (the backend's
    generated code; the reference backend interprets the graph, so its source is the
    graph's text)."""

    def __init__(self, jitted: "Jitted", entry: _Entry):
        self._jitted, self._entry = jitted, entry

    @property
    def graph(self) -> Graph:
        return self._entry.graph

    @property
    def program(self) -> Callable:
        if self._entry.program is None:
            self._jitted._compile(self._entry)
        return self._entry.program

    @property
    def source(self) -> str:
        source = getattr(self.program, "source", None)
        return source if source is not None else repr(self.graph)


def _positional_names(fun) -> list:
    try:
        params = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return []
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in params if p.kind in positional]


def _resolve_backend(spec):
    from kernels.backend import BACKENDS, default_backend, get_backend
    if spec is None:
        return default_backend()
    if not isinstance(spec, str):
        return spec                         # a backend object
    if spec not in BACKENDS and spec.isidentifier():
        try:
            importlib.import_module(f"kernels.{spec}")    # registers it (e.g. "cpu")
        except ModuleNotFoundError as e:
            if e.name != f"kernels.{spec}":
                raise
    return get_backend(spec)


class Jitted:
    """A jitted function. Call it like the original; see `lower` and `cache_info`."""

    # What the fast path reads and writes lives in slots: `update_wrapper` fills the
    # instance's __dict__, after which attribute access through it is slower (~0.25 us of a
    # ~2 us call, measured in benchmarks/dispatch.py).
    __slots__ = ("_fast", "_hits", "_recent", "__dict__", "__weakref__")

    def __init__(self, fun: Callable, static_argnums=(), static_argnames=(), backend=None,
                 fastmath: bool = False, maxsize: int = 64):
        if not callable(fun):
            raise TransformError(f"jit: expected a function, got {type(fun).__name__}")
        functools.update_wrapper(self, fun)
        nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
        if not all(isinstance(i, int) for i in nums) or not all(isinstance(n, str) for n in names):
            raise TransformError(f"jit: static_argnums must be ints and static_argnames strings, "
                                 f"got {static_argnums!r} and {static_argnames!r}")
        self._fun, self._name = fun, getattr(fun, "__name__", repr(fun))
        self._params = _positional_names(fun)
        # an argument is static whether it is passed by position or by name
        params = self._params
        self._static_nums = frozenset(nums) | {params.index(n) for n in names if n in params}
        self._static_names = frozenset(names) | {params[i] for i in nums if 0 <= i < len(params)}
        self._plain = not self._static_nums and not self._static_names
        self._backend_spec, self._backend, self._fastmath = backend, None, bool(fastmath)
        self._maxsize = maxsize
        self._cache: OrderedDict = OrderedDict()
        # array key -> the compiled entry's `call`, for calls with positional ndarrays only
        self._fast: dict = {}
        self._recent = None     # the `call` (or entry) last in the LRU order
        self._hits = self._misses = self._compilations = 0
        self._last_miss: str | None = None

    def __get__(self, obj, objtype=None):
        """As a method, `self` is the first argument (mark it static: static_argnums=0)."""
        return self if obj is None else functools.partial(self, obj)

    def __repr__(self):
        return f"<jit {getattr(self._fun, '__qualname__', self._name)}>"

    # --- the call ------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        # Fast path: positional ndarrays only, keyed by (shape, dtype) per argument (see
        # `array_key`), straight to the compiled call. Any other call (a Tracer, a scalar, a
        # pytree, a keyword, a static argument, a miss) finds no fast entry.
        if not kwargs:
            if len(args) == 1:      # the common case, without building a list
                a = args[0]
                key = (a.shape, a.dtype) if type(a) is _ndarray else None
            else:                   # a key with None in it is never stored
                key = tuple([(a.shape, a.dtype) if type(a) is _ndarray else None for a in args])
            call = self._fast.get(key)
            if call is not None:
                self._hits += 1
                if call is not self._recent:        # LRU order, moved only when it changes
                    self._touch(key, call)
                return call(*args)
        return self._call(args, kwargs)

    def _touch(self, key, recent) -> None:
        self._cache.move_to_end(key)
        self._recent = recent

    def _call(self, args, kwargs):
        fast = self._plain and not kwargs and all([type(a) is _ndarray for a in args])
        fast_key = array_key(args) if fast else None
        entry, leaves, captured = self._lookup(args, kwargs, fast_key)
        if captured or entry.inline:
            # inside an outer trace: record the graph there, so outer transforms see it
            return tree_unflatten(entry.out_tree, eval_graph(entry.graph, leaves + captured))
        if entry.program is None:
            self._compile(entry)
        if fast_key is not None:
            self._fast[fast_key] = entry.call
            self._recent = entry.call
            return entry.call(*args)
        arrays = entry.arrays(leaves)
        if arrays is not None:
            return entry.call(*arrays)
        return entry.finish(entry.program(*leaves))

    def lower(self, *args, **kwargs) -> Lowered:
        """The optimized graph (`.graph`) and generated code (`.source`) for these arguments."""
        fast = self._plain and not kwargs and all(type(a) is _ndarray for a in args)
        entry, _, _ = self._lookup(args, kwargs, array_key(args) if fast else None)
        return Lowered(self, entry)

    def cache_info(self) -> CacheInfo:
        return CacheInfo(self._hits, self._misses, self._compilations, len(self._cache),
                         self._maxsize, self._last_miss)

    def cache_clear(self) -> None:
        self._cache.clear()
        self._fast.clear()
        self._recent = None
        self._hits = self._misses = self._compilations = 0
        self._last_miss = None

    # --- signature, cache, trace, compile --------------------------------------------------
    def _lookup(self, args, kwargs, fast_key) -> tuple[_Entry, list, list]:
        """The cache entry for this call (tracing on a miss), the flat leaves, and the outer
        Tracers the trace captured (then the entry is not cached: they die with their trace).
        `fast_key`: the call's `array_key`, or None when it has arguments other than ndarrays."""
        if fast_key is not None:
            key, leaves = fast_key, list(args)
        else:
            key, leaves = self._key(args, kwargs)
        entry = self._cache.get(key)
        if entry is not None:
            self._hits += 1
            if entry is not self._recent:
                self._touch(key, entry)
            return entry, leaves, []
        self._misses += 1
        desc, leaves = self._describe(args, kwargs)     # checks every leaf, names arguments
        last = next(reversed(self._cache.values()), None)
        self._last_miss = explain_miss(last.desc if last is not None else None, desc)
        entry, captured = self._trace(desc, leaves, len(args))
        if not captured:
            self._cache[key] = entry
            self._recent = entry
            if len(self._cache) > self._maxsize:
                old_key, _ = self._cache.popitem(last=False)
                self._fast.pop(old_key, None)
        return entry, leaves, captured

    def _is_static(self, i: int, n: int) -> bool:
        return i in self._static_nums or i - n in self._static_nums

    def _key(self, args, kwargs) -> tuple[tuple, list]:
        """The cache key of a call (the number of positional arguments, then per argument
        its tokens, static values and keyword names) and its flat leaves."""
        n = len(args)
        tokens, leaves = [n], []
        for i, a in enumerate(args):
            if type(a) is _ndarray and (self._plain or not self._is_static(i, n)):
                tokens.append((_ndarray, a.shape, a.dtype))     # = add_tokens(a, ...), sooner
                leaves.append(a)
            elif self._plain or not self._is_static(i, n):
                add_tokens(a, tokens, leaves)
            else:
                tokens.append(("static", type(a), self._hashable(self._arg_name(i), a)))
        for k, a in kwargs.items():
            tokens.append(k)
            if k in self._static_names:
                tokens.append(("static", type(a), self._hashable(k, a)))
            else:
                add_tokens(a, tokens, leaves)
        return tuple(tokens), leaves

    def _arg_name(self, i: int) -> str:
        return self._params[i] if i < len(self._params) else f"args[{i}]"

    def _describe(self, args, kwargs) -> tuple[tuple, list]:
        """Per argument (positional, then keyword in call order): (name, TreeDef, leaf
        types) for a traced one, (name, None, (type, value)) for a static one."""
        desc, leaves = [], []
        n = len(args)
        named = [(self._arg_name(i), a, self._is_static(i, n)) for i, a in enumerate(args)]
        named += [(k, a, k in self._static_names) for k, a in kwargs.items()]
        for name, value, static in named:
            if static:
                desc.append((name, None, (type(value), self._hashable(name, value))))
                continue
            arg_leaves, tree = tree_flatten(value)
            where = f"jit argument {name!r}"
            desc.append((name, tree, tuple(leaf_type(x, where) for x in arg_leaves)))
            leaves.extend(arg_leaves)
        return tuple(desc), leaves

    def _hashable(self, name, value):
        try:
            hash(value)
        except TypeError:
            raise TransformError(
                f"jit({self._name}): static argument {name!r} must be hashable (its value keys "
                f"the compilation cache), but got a {type(value).__name__} (at "
                f"{format_location(user_location())}). Pass a tuple instead of a list, or make "
                "it a traced argument.") from None
        return value

    def _trace(self, desc, leaves, n_positional) -> tuple[_Entry, list]:
        from kernels.passes import simplify
        out_trees = []

        def flat_fun(*tracers):
            it = iter(tracers)
            pos, kw = [], {}
            for j, (name, tree, info) in enumerate(desc):
                value = info[1] if tree is None else tree_unflatten(
                    tree, [next(it) for _ in range(tree.num_leaves)])
                if j < n_positional:
                    pos.append(value)
                else:
                    kw[name] = value
            out_leaves, out_tree = tree_flatten(self._fun(*pos, **kw))
            out_trees.append(out_tree)
            for o in out_leaves:
                leaf_type(o, f"output of jit({self._name})")
            return out_leaves

        avals = [t for _, tree, info in desc if tree is not None for t in info]
        graph, captured, _ = trace_flat(flat_fun, avals)
        inline = any(isinstance(x, Tracer) for x in leaves)
        return _Entry(simplify(graph), out_trees[0], desc, inline), captured

    def _compile(self, entry: _Entry) -> None:
        if self._backend is None:
            self._backend = _resolve_backend(self._backend_spec)
        options = {"fastmath": True} if self._fastmath else {}
        entry.program = self._backend.compile(entry.graph, **options)
        # a backend's program may offer a call without input checks (see kernels/backend.py)
        run = getattr(entry.program, "unchecked", entry.program)
        entry.checks = run is entry.program
        one = getattr(entry.program, "unchecked_one", None)
        finish = entry.finish
        entry.call = one if entry.single and one is not None else (
            lambda *arrays: finish(run(*arrays)))
        self._compilations += 1


def jit(fun: Callable | None = None, *, static_argnums=(), static_argnames=(), backend=None,
        fastmath: bool = False) -> Any:
    """Compile `fun`: trace it once per input signature (tree structure, shapes, dtypes,
    static values) and run one compiled program per call.

    static_argnums / static_argnames: arguments passed as Python values (hashable), not
    traced; each new value traces again. backend: a registered name ("cpu", "numpy") or
    None for `kernels.backend.default_backend()`. fastmath: allow the backend to reorder
    float arithmetic. Usable as `@jit` or `@jit(static_argnums=...)`."""
    if fun is None:
        return lambda f: Jitted(f, static_argnums, static_argnames, backend, fastmath)
    return Jitted(fun, static_argnums, static_argnames, backend, fastmath)
