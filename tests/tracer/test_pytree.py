"""Pytrees: flatten/unflatten round trips, tree_map over several trees, and the errors of
mismatched structures."""
import dataclasses
from collections import namedtuple

import numpy as np
import pytest

from tracer import (make_graph, register_dataclass, register_pytree_node, tree_flatten,
                    tree_leaves, tree_map, tree_structure, tree_unflatten)
from tracer.builder import trace

Point = namedtuple("Point", ["x", "y"])


@register_dataclass
@dataclasses.dataclass
class Params:
    w: object
    b: object


class Box:
    """A custom class registered with its own flatten/unflatten and hashable aux data."""

    def __init__(self, items, name):
        self.items, self.name = items, name

    def __eq__(self, other):
        return isinstance(other, Box) and self.name == other.name and self.items == other.items


register_pytree_node(Box, lambda b: (list(b.items), b.name), lambda name, ch: Box(ch, name))

TREES = {
    "leaf": 1.5,
    "none": None,
    "empty_containers": ((), [], {}),
    "tuple_list": (1, [2, 3], (4,)),
    "dict_unsorted_keys": {"b": 1, "a": [2, {"z": 3, "y": None}]},
    "namedtuple": Point(1, Point(2, 3)),
    "dataclass": Params(w=[1, 2], b={"k": 3}),
    "custom": Box([1, (2, 3)], "box"),
    "nested_all": [Params(Point(1, None), (2,)), {"c": Box([3], "n"), "d": ()}],
}
LEAF_COUNTS = {"leaf": 1, "none": 0, "empty_containers": 0, "tuple_list": 4,
               "dict_unsorted_keys": 3, "namedtuple": 3, "dataclass": 3, "custom": 3,
               "nested_all": 3}


@pytest.mark.parametrize("name", list(TREES))
def test_flatten_unflatten_round_trip(name):
    tree = TREES[name]
    leaves, treedef = tree_flatten(tree)
    assert len(leaves) == LEAF_COUNTS[name] == treedef.num_leaves
    rebuilt = tree_unflatten(treedef, leaves)
    assert rebuilt == tree and type(rebuilt) is type(tree)
    assert tree_structure(rebuilt) == treedef
    assert tree_leaves(tree) == leaves


def test_leaf_order_is_deterministic():
    assert tree_leaves({"b": 1, "a": 2}) == [2, 1]          # dicts by sorted key
    assert tree_leaves(Point(y=1, x=2)) == [2, 1]           # fields in declaration order
    assert tree_leaves(Params(b=1, w=2)) == [2, 1]


def test_arrays_are_leaves():
    tree = {"w": np.ones(3), "s": np.float32(2)}
    leaves, treedef = tree_flatten(tree)
    assert len(leaves) == 2 and leaves[1] is tree["w"]
    assert tree_unflatten(treedef, [0, 1]) == {"s": 0, "w": 1}


def test_tree_map_over_several_trees():
    a = {"x": [1, 2], "p": Params(3, Point(4, 5))}
    b = {"x": [10, 20], "p": Params(30, Point(40, 50))}
    c = tree_map(lambda u, v, w: u + v * w, a, b, b)
    assert c == {"x": [101, 402], "p": Params(903, Point(1604, 2505))}
    assert tree_map(lambda u: u, None) is None


def test_tree_map_with_is_leaf():
    tree = {"a": (1, 2), "b": [3]}
    out = tree_map(lambda t: len(t), tree, is_leaf=lambda t: isinstance(t, (tuple, list)))
    assert out == {"a": 2, "b": 1}


@pytest.mark.parametrize("other", [
    {"x": [1], "p": 2},                     # list length
    {"x": (1, 2), "p": 2},                  # list vs tuple
    {"x": [1, 2], "q": 2},                  # dict keys
    {"x": [1, 2], "p": None},               # None is not a leaf
    {"x": [1, 2], "p": Point(1, 2)},        # leaf vs node
], ids=["length", "node_type", "keys", "none", "leaf_vs_node"])
def test_tree_map_structure_mismatch(other):
    with pytest.raises(ValueError, match="structures differ"):
        tree_map(lambda u, v: u, {"x": [1, 2], "p": 2}, other)


def test_namedtuple_types_are_kept_apart():
    Other = namedtuple("Other", ["x", "y"])
    assert tree_structure(Point(1, 2)) != tree_structure(Other(1, 2))
    assert tree_structure(Point(1, 2)) != tree_structure((1, 2))


def test_traced_functions_take_and_return_pytrees():
    params = Params(w=np.ones((3, 2), np.float32), b={"bias": np.zeros(2, np.float32)})
    x = np.ones((4, 3), np.float32)

    def f(p, inputs):
        y = inputs["x"] @ p.w + p.b["bias"]
        return {"y": y, "stats": Point(y.sum(), None), "list": [y.shape[0] * 1.0]}

    graph, _, out_tree, _ = trace(f, (params, {"x": x}))
    assert len(graph.inputs) == 3
    assert out_tree == tree_structure(f(params, {"x": x}))
    assert [t.shape for t in graph.out_types] == [(), (), (4, 2)]   # keys: list, stats, y
    assert str(make_graph(f)(params, {"x": x})) == str(graph)


def test_non_array_leaves_are_refused():
    with pytest.raises(TypeError, match="str is not an array"):
        make_graph(lambda s: s)("text")


def test_flatten_and_unflatten_keep_no_reference_to_the_leaves():
    """No reference cycle: a leaf dies with its last reference, not at the next garbage
    collection (jit's outputs go through tree_unflatten: big ones would pile up)."""
    import gc
    import weakref
    leaf = np.ones(3)
    alive = weakref.ref(leaf)
    gc.disable()
    try:
        leaves, tree = tree_flatten({"a": [leaf, (leaf,)], "b": Point(leaf, None)})
        rebuilt = tree_unflatten(tree, leaves)
        del leaf, leaves, rebuilt
        assert alive() is None
    finally:
        gc.enable()
