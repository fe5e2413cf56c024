"""The IR printer: one op a line with types, constants named, sub-graph params indented,
ANSI colours only when asked for."""
import io
import re

import numpy as np
from rich.console import Console

from tracer import REGISTRY, Graph, Op, Var, make_graph
from tracer.printer import render

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _mlp(x, w):
    h = np.tanh(x @ w + np.arange(2.0, dtype=np.float32))
    return np.sum(h * 2.0, axis=1), h.T


def _graph():
    return make_graph(_mlp)(np.ones((4, 3), np.float32), np.ones((3, 2), np.float32))


def test_one_op_a_line_with_types():
    graph = _graph()
    lines = repr(graph).splitlines()
    assert lines[0] == "{ lambda a:f32[4,3] b:f32[3,2] ."
    assert lines[-1].strip().startswith("in (") and lines[-1].endswith("}")
    body = lines[1:-1]
    assert sum("= constant" in line for line in body) == len(graph.constants) == 1
    op_lines = [line for line in body if "= constant" not in line]
    assert len(op_lines) == len(graph.ops)
    for op, line in zip(graph.ops, op_lines):
        out_types = " ".join(f":{v.aval}" for v in op.outputs)
        assert re.match(rf"  [a-z]+{re.escape(out_types)} = {op.prim.name}\b", line), line
    assert "c0:f32[2] = constant" in repr(graph)
    assert "dot_general[contract=((1,), (0,)) batch=((), ())] a b" in repr(graph)
    assert re.search(r"= mul \w+ 2\.0$", repr(graph), re.M)      # scalar literals inline


def test_each_value_gets_one_name():
    def chain(x):
        for _ in range(30):
            x = x + 1
        return x
    text = repr(make_graph(chain)(np.float32(0)))
    names = re.findall(r"^\s+(\w+):", text, re.M)
    assert len(names) == len(set(names)) == 30
    assert "aa:f32[]" in text and "z:f32[]" in text    # after z comes aa


def test_sub_graph_params_are_indented_under_their_op():
    inner = make_graph(lambda y: np.exp(y) * 2)(np.ones(3))
    x, out = Var(inner.in_types[0]), Var(inner.out_types[0])
    outer = Graph((x,), (Op(REGISTRY["neg"], (x,), (out,), {"body": inner, "n": 1}),), (out,))
    lines = repr(outer).splitlines()
    start = next(k for k, line in enumerate(lines) if "= neg[body=" in line)
    assert lines[start].startswith("  ")
    sub = lines[start + 1:start + 1 + len(repr(inner).splitlines())]
    assert [line[4:] for line in sub][0].startswith("{ lambda")
    assert all(line.startswith("    ") for line in sub)
    assert re.fullmatch(r" {6}(\w+):f64\[3\] = exp \w+", sub[1])
    assert re.fullmatch(r" {6}\w+:f64\[3\] = mul \w+ 2", sub[2])
    assert "n=1" in lines[start + 1 + len(sub)]


def test_colour_only_when_asked():
    graph = _graph()
    coloured = render(graph, color=True)
    assert "\x1b[" in coloured
    assert ANSI.sub("", coloured) == repr(graph)
    assert "\x1b[" not in repr(graph)
    assert "\x1b[" not in render(graph, color=False)
    assert "\x1b[" not in str(graph)            # pytest's captured stdout is not a terminal


def test_rich_renders_the_graph():
    buf = io.StringIO()
    Console(file=buf, width=200, force_terminal=False).print(_graph())
    assert buf.getvalue().rstrip("\n") == repr(_graph())


def test_outputs_that_are_inputs_or_constants():
    text = repr(make_graph(lambda x: (x, 3, np.zeros(2)))(np.ones(2)))
    assert text.splitlines()[-1].strip() == "in (a, 3, c0,) }"
