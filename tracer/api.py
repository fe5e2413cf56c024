"""make_graph: trace a Python function into its Graph."""
from __future__ import annotations

from typing import Callable

from .builder import trace
from .ir import Graph

__all__ = ["make_graph"]


def make_graph(fun: Callable, static_argnums=()) -> Callable[..., Graph]:
    """Return a function that traces `fun` on example arguments and returns its Graph.

    >>> import numpy as np
    >>> print(make_graph(lambda x: np.tanh(x) * 2)(np.ones(3, np.float32)))  # doctest: +SKIP
    { lambda a:f32[3] .
      b:f32[3] = tanh a
      c:f32[3] = mul b 2
      in (c,) }
    """
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    def graph_of(*args) -> Graph:
        dynamic = [a for i, a in enumerate(args) if i not in static]

        def call(*dyn):
            it = iter(dyn)
            return fun(*[a if i in static else next(it) for i, a in enumerate(args)])
        graph, _, _, _ = trace(call, tuple(dynamic))
        return graph
    return graph_of
