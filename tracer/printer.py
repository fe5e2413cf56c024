"""The IR printer: one op a line with its output types; sub-graphs indented under their
op. Rich styles in a terminal, plain text elsewhere."""
from __future__ import annotations

import io
import string
import sys

import numpy as np
from rich.console import Console
from rich.text import Text

from .ir import Const, Graph

__all__ = ["render", "rich_text"]

_STYLE = {"var": "bold", "type": "dim cyan", "prim": "bold magenta", "const": "green",
          "param": "yellow", "kw": "blue"}


class _Names:
    """Variables a, b, ..., z, aa, ab, ...; array constants c0, c1, ...; scalars inline."""

    def __init__(self):
        self.names: dict = {}
        self.consts: dict = {}

    def __call__(self, v) -> str:
        if isinstance(v, Const):
            if v.aval.ndim == 0:
                return repr(v.value.item() if isinstance(v.value, (np.generic, np.ndarray)) else v.value)
            return self.consts.setdefault(id(v.value), f"c{len(self.consts)}")
        if v not in self.names:
            k, name = len(self.names), ""
            while True:
                name = string.ascii_lowercase[k % 26] + name
                k = k // 26 - 1
                if k < 0:
                    break
            self.names[v] = name
        return self.names[v]


def _param(value, text: Text, names, indent):
    if isinstance(value, Graph):
        text.append("\n")
        _graph(value, text, names, indent + 4)
        text.append(" " * (indent + 2))
    elif isinstance(value, np.dtype):
        text.append(value.name, _STYLE["param"])
    else:
        text.append(repr(value), _STYLE["param"])


def _typed(v, text, names):
    text.append(names(v), _STYLE["var"])
    text.append(":" + str(v.aval), _STYLE["type"])


def _graph(graph: Graph, text: Text, names: _Names, indent: int):
    pad = " " * indent
    text.append(pad)
    text.append("{ lambda ", _STYLE["kw"])
    for i, v in enumerate(graph.inputs):
        text.append(" " if i else "")
        _typed(v, text, names)
    text.append(" .\n")
    for c in (c for c in graph.constants if c.aval.ndim):
        text.append(pad + "  ")
        _typed(c, text, names)
        text.append(" = ", _STYLE["kw"])
        text.append("constant\n", _STYLE["const"])
    for op in graph.ops:
        text.append(pad + "  ")
        for i, v in enumerate(op.outputs):
            text.append(" " if i else "")
            _typed(v, text, names)
        text.append(" = ")
        text.append(op.prim.name, _STYLE["prim"])
        if op.params:
            text.append("[")
            for i, (k, p) in enumerate(op.params.items()):
                text.append(("" if not i else " ") + k + "=")
                _param(p, text, names, indent)
            text.append("]")
        for v in op.inputs:
            text.append(" ")
            text.append(names(v), _STYLE["const"] if isinstance(v, Const) else None)
        text.append("\n")
    text.append(pad + "  ")
    text.append("in ", _STYLE["kw"])
    text.append("(" + ", ".join(names(v) for v in graph.outputs) + ",) }\n")


def rich_text(graph: Graph) -> Text:
    text = Text()
    _graph(graph, text, _Names(), 0)
    text.rstrip()
    return text


def render(graph: Graph, color: bool | None = None) -> str:
    """The graph as text, with ANSI colours when `color` (default: stdout is a terminal)."""
    text = rich_text(graph)
    if color is None:
        color = sys.stdout.isatty()
    if not color:
        return text.plain
    buf = io.StringIO()
    Console(file=buf, force_terminal=True, width=10_000, highlight=False).print(text, end="")
    return buf.getvalue()


