import numpy as np
import pytest

import nn
from tracer import random

from .helpers import as_float64, finite_difference_check, projection

KEY = random.key(0)


def test_batch_normalization_training_uses_batch_statistics_and_updates_moving_averages():
    layer = nn.BatchNormalization(momentum=0.9, epsilon=1e-3)
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(16, 4, 4, 3))
    v = as_float64(layer.init(KEY, x))
    v["params"]["gamma"] = np.array([1.0, 2.0, 0.5])
    v["params"]["beta"] = np.array([0.0, -1.0, 3.0])
    y, state = layer.apply(v, x, training=True, return_state=True)
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3) * v["params"]["gamma"] + v["params"]["beta"],
                               rtol=1e-10)
    np.testing.assert_allclose(state["moving_mean"], 0.1 * mean, rtol=1e-10)
    np.testing.assert_allclose(state["moving_variance"], 0.9 + 0.1 * var, rtol=1e-10)
    # inference uses the moving averages (here the initial ones: mean 0, variance 1)
    expected = x / np.sqrt(1 + 1e-3) * v["params"]["gamma"] + v["params"]["beta"]
    np.testing.assert_allclose(layer.apply(v, x), expected, rtol=1e-10)
    _, unchanged = layer.apply(v, x, training=False, return_state=True)
    assert unchanged is v["state"]


def test_batch_normalization_on_another_axis_and_without_scale_or_center():
    layer = nn.BatchNormalization(axis=1, center=False, scale=False)
    x = np.random.default_rng(1).normal(size=(8, 3, 5))
    v = layer.init(KEY, x)
    assert v["params"] == {} and v["state"]["moving_mean"].shape == (3,)
    y = layer.apply(v, x, training=True)
    mean, var = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-10)


def test_layer_normalization_matches_numpy():
    layer = nn.LayerNormalization(epsilon=1e-5)
    x = np.random.default_rng(2).normal(size=(4, 3, 6))
    v = as_float64(layer.init(KEY, x))
    v["params"]["gamma"] = np.linspace(0.5, 2, 6)
    v["params"]["beta"] = np.linspace(-1, 1, 6)
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * v["params"]["gamma"] + v["params"]["beta"]
    np.testing.assert_allclose(layer.apply(v, x), expected, rtol=1e-10)
    np.testing.assert_allclose(layer.apply(v, x, training=True), expected, rtol=1e-10)


@pytest.mark.parametrize("layer, training", [(nn.BatchNormalization(), True),
                                             (nn.BatchNormalization(), False),
                                             (nn.LayerNormalization(), False)])
def test_normalization_gradients_match_finite_differences(layer, training):
    x = np.random.default_rng(3).normal(size=(5, 2, 3))
    v = as_float64(layer.init(KEY, x))
    state = v["state"]
    r = projection(x.shape)

    def f(p, x):
        return np.sum(layer.apply({"params": p, "state": state}, x, training=training) * r)
    finite_difference_check(f, v["params"], x)
    finite_difference_check(lambda x, p: f(p, x), x, v["params"])
