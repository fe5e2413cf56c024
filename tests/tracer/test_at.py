import numpy as np
import pytest

from tracer import at, eval_graph, make_graph


def _numpy_update(x, index, values, mode):
    out = x.copy()
    if mode == "set":
        out[index] = values
    else:
        {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}[mode].at(
            out, index, values)
    return out


INDEXES = [
    (1, ()),
    (slice(1, None, 2), (1, 4)),
    (slice(None, None, -2), (2, 1)),
    ((np.array([2, 0, 2]), slice(1, 3)), (3, 2)),
    ((Ellipsis, -1), (3,)),
    ((np.array([[0], [2]]), np.array([1, 3])), (2, 2)),
]


@pytest.mark.parametrize("mode", ["set", "add", "multiply", "min", "max"])
@pytest.mark.parametrize("index,vshape", INDEXES, ids=[str(i) for i, _ in INDEXES])
def test_at_matches_numpy_eagerly_and_traced(mode, index, vshape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    v = rng.normal(size=vshape).astype(np.float32)
    expected = _numpy_update(x, index, v, mode)
    eager = getattr(at(x)[index], mode)(v)
    graph = make_graph(lambda x, v: getattr(at(x)[index], mode)(v))(x, v)
    (traced,) = eval_graph(graph, [x, v])
    for got in (eager, traced):
        assert got.dtype == np.float32 and got.shape == x.shape
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert not np.shares_memory(eager, x)


def test_at_with_traced_indices_and_get():
    x = np.arange(10.0)
    idx = np.array([7, 1, 7])
    graph = make_graph(lambda x, i: (at(x)[i].add(1.0), at(x)[i].get()))(x, idx)
    added, got = eval_graph(graph, [x, idx])
    expected = x.copy()
    np.add.at(expected, idx, 1.0)
    np.testing.assert_array_equal(added, expected)
    np.testing.assert_array_equal(got, x[idx])


def test_at_rejects_values_that_do_not_broadcast():
    with pytest.raises(ValueError, match="cannot be broadcast"):
        at(np.zeros((3, 4)))[0].set(np.ones(3))
