"""vmap of cond, while_loop, fori_loop and scan: a per-example predicate or trip count
batches into one primitive (or a select), and the results equal the loop over examples."""
import numpy as np
import pytest

from tracer import make_graph, tree_map
from tracer.control_flow import cond, fori_loop, scan, while_loop
from transforms import vmap

RNG = np.random.default_rng(3)
XS = RNG.normal(size=(5, 3))


def _loop(f, args, in_axes):
    size = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = [f(*[a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)])
            for i in range(size)]
    return tree_map(lambda *leaves: np.stack(leaves), *outs)


def _check(f, *args, in_axes=0):
    in_axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    batched = vmap(f, in_axes=in_axes)
    got, want = batched(*args), _loop(f, args, in_axes)
    tree_map(lambda g, w: np.testing.assert_allclose(g, w, rtol=1e-12), got, want)
    tree_map(lambda g, w: np.testing.assert_equal(np.asarray(g).dtype, np.asarray(w).dtype),
             got, want)
    return [op.prim.name for op in make_graph(batched)(*args).ops]


def test_cond_with_a_shared_predicate_stays_one_cond():
    def f(x, p):
        return cond(p > 0, lambda v: v * 2, lambda v: np.sin(v), x)
    for p in (1.0, -1.0):
        assert _check(f, XS, p, in_axes=(0, None)).count("cond") == 1


def test_cond_with_a_per_example_predicate_selects():
    names = _check(lambda x: cond(np.sum(x) > 0, lambda v: v * 2, lambda v: -v, x), XS)
    assert "select" in names and "cond" not in names


def test_cond_branches_closing_over_batched_values():
    ys = RNG.normal(size=5)
    _check(lambda x, y: cond(y > 0, lambda: (x * y, y), lambda: (x + 1.0, -y)), XS, ys)


def test_while_loop_with_per_example_trip_counts():
    def f(n):
        return while_loop(lambda s: s[0] < n, lambda s: (s[0] + 1, s[1] * 2.0), (0, 1.0))
    counts = np.array([1, 3, 0, 5])
    assert _check(f, counts).count("while_loop") == 1
    np.testing.assert_array_equal(vmap(f)(counts)[1], 2.0 ** counts)


def test_fori_loop_static_and_traced_bounds():
    _check(lambda x: fori_loop(0, 4, lambda i, v: v * 0.5 + np.sin(v) * i, x), XS)
    _check(lambda x, n: fori_loop(0, n, lambda i, v: v * 0.5 + i, x), XS[:4], np.arange(4))


@pytest.mark.parametrize("x_axis, init", [(0, np.ones(5)), (1, 0.5), (-1, np.ones(5))])
def test_scan_over_batched_sequences(x_axis, init):
    def f(x, c0):
        return scan(lambda c, v: (c + v, np.stack([c, v * c])), c0, x)
    xs = XS if x_axis == 0 else XS.T.copy()     # 5 sequences of length 3
    names = _check(f, xs, init, in_axes=(x_axis, None if np.ndim(init) == 0 else 0))
    assert names.count("scan") == 1


def test_vmap_inside_scan_and_scan_inside_vmap():
    def inner(x):
        return vmap(lambda y: cond(y > 0, lambda: y, lambda: -y))(x)
    _check(inner, XS)
    _check(lambda x: scan(lambda c, v: (c + inner(v), c), np.zeros(3), x)[0], XS[None], in_axes=0)
