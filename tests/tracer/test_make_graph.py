import numpy as np

from tracer import make_graph, eval_graph


def test_issue_example_prints_one_op_a_line_with_types():
    def f(x, w):
        return np.sum(np.tanh(x @ w) ** 2, axis=1)

    graph = make_graph(f)(np.ones((4, 3), np.float32), np.ones((3, 2), np.float32))
    text = repr(graph)
    assert "f32[4,2] = dot_general" in text
    assert "f32[4,2] = tanh" in text
    assert "f32[4] = reduce_sum" in text
    assert "\x1b[" not in text          # plain when not a terminal
    x, w = np.random.rand(4, 3).astype(np.float32), np.random.rand(3, 2).astype(np.float32)
    (out,) = eval_graph(graph, [x, w])
    np.testing.assert_allclose(out, f(x, w), rtol=1e-6)
    assert out.dtype == np.float32
