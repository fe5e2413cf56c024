import numpy as np
import pytest

from tracer import ShapeError, eval_graph, make_graph
from tracer.control_flow import cond, fori_loop, scan, while_loop


def _both(f, *args):
    """f eagerly and through its traced graph."""
    eager = f(*args)
    traced = eval_graph(make_graph(f)(*args), list(args))
    return eager, traced


def test_cond_picks_the_branch_and_closes_over_values():
    w = np.float64(3.0)
    f = lambda x: cond(np.sum(x) > 0, lambda a: a * w, lambda a: a - w, x)  # noqa: E731
    for x in (np.ones(3), -np.ones(3)):
        eager, (traced,) = _both(f, x)
        expected = x * w if x.sum() > 0 else x - w
        np.testing.assert_array_equal(eager, expected)
        np.testing.assert_array_equal(traced, expected)


def test_cond_branch_mismatch_names_both_types():
    with pytest.raises(ShapeError, match=r"true_fun returns .*f64\[3\].* false_fun returns .*f64\[\]"):
        cond(True, lambda a: a, lambda a: a.sum(), np.ones(3))


def test_while_loop_and_fori_loop():
    eager, (traced,) = _both(lambda x: while_loop(lambda v: v < 100, lambda v: v * 3, x), 1.0)
    assert eager == 243.0 == traced
    f = lambda x: fori_loop(0, 4, lambda i, v: v * 2 + i, x)  # noqa: E731
    eager, (traced,) = _both(f, np.ones(2))
    expected = np.ones(2)
    for i in range(4):
        expected = expected * 2 + i
    np.testing.assert_array_equal(eager, expected)
    np.testing.assert_array_equal(traced, expected)


def test_scan_matches_the_python_loop_forward_and_reverse():
    xs = np.arange(1.0, 6.0)

    def loop(xs, reverse):
        c, ys = 0.5, []
        for x in (xs[::-1] if reverse else xs):
            c, y = c * x + 1, np.sin(c)
            ys.append(y)
        return c, np.array(ys[::-1] if reverse else ys)
    for reverse in (False, True):
        f = lambda xs: scan(lambda c, x: (c * x + 1, np.sin(c)), 0.5, xs, reverse=reverse)  # noqa
        (carry, ys), (tc, tys) = _both(f, xs)
        ec, eys = loop(xs, reverse)
        np.testing.assert_allclose([carry, tc], [ec, ec])
        np.testing.assert_allclose(ys, eys)
        np.testing.assert_allclose(tys, eys)


def test_scan_with_pytree_carry_and_length_only():
    carry, ys = scan(lambda c, _: ({"n": c["n"] + 1, "s": c["s"] * 2}, c["n"]),
                     {"n": 0, "s": 1.0}, None, length=3)
    assert carry["n"] == 3 and carry["s"] == 8.0
    np.testing.assert_array_equal(ys, [0, 1, 2])


def test_subgraphs_are_printed_indented_under_their_op():
    text = repr(make_graph(lambda x: scan(lambda c, x: (c + x, c), 0.0, x))(np.ones(3)))
    lines = text.splitlines()
    scan_line = next(i for i, line in enumerate(lines) if "= scan[" in line)
    assert lines[scan_line + 1].startswith("    { lambda")
