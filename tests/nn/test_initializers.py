import numpy as np
import pytest

from nn import initializers as I
from tracer import random

KEY = random.key(0)


def test_fans():
    assert I.fans((5, 7)) == (5, 7)
    assert I.fans((3, 3, 4, 8)) == (36, 72)
    assert I.fans((6,)) == (6, 6)


@pytest.mark.parametrize("name, variance", [
    ("glorot_uniform", 2 / (300 + 200)), ("glorot_normal", 2 / (300 + 200)),
    ("he_uniform", 2 / 300), ("he_normal", 2 / 300), ("lecun_uniform", 1 / 300),
    ("lecun_normal", 1 / 300)])
def test_variance_scaling_initializers_have_the_target_variance(name, variance):
    w = I.get(name)(KEY, (300, 200))
    assert w.shape == (300, 200) and w.dtype == np.float32
    assert abs(w.mean()) < 0.01 * np.sqrt(variance) * 10
    assert w.var() == pytest.approx(variance, rel=0.05)
    if name.endswith("uniform"):
        assert np.abs(w).max() <= np.sqrt(3 * variance)
    else:    # truncated at two standard deviations of the underlying normal
        assert np.abs(w).max() <= 2 * np.sqrt(variance) / 0.87962566103423978 + 1e-6


def test_initializers_are_pure_functions_of_the_key():
    a, b = I.he_normal(KEY, (4, 4)), I.he_normal(KEY, (4, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, I.he_normal(random.key(1), (4, 4)))
    assert I.glorot_uniform(KEY, (2, 3), np.float64).dtype == np.float64


def test_orthogonal_constant_zeros_ones():
    for shape in [(6, 4), (4, 6), (3, 3, 2, 5)]:
        w = I.orthogonal(KEY, shape).reshape(-1, shape[-1]).astype(np.float64)
        small = min(w.shape)
        gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
        np.testing.assert_allclose(gram, np.eye(small), atol=1e-5)
    np.testing.assert_array_equal(I.zeros(KEY, (2,)), [0, 0])
    np.testing.assert_array_equal(I.ones(KEY, (2,)), [1, 1])
    np.testing.assert_array_equal(I.constant(3.5)(KEY, (2,)), [3.5, 3.5])
    with pytest.raises(ValueError, match="unknown initializer"):
        I.get("nope")
