import numpy as np
import pytest
import scipy.special

import nn
from tracer import random

from .helpers import as_float64, finite_difference_check, projection

KEY = random.key(0)


def _variables(layer, x):
    return as_float64(layer.init(KEY, x))


def test_dense_matches_numpy_on_2d_and_3d_inputs():
    layer = nn.Dense(5, activation="tanh")
    for shape in [(4, 3), (2, 4, 3)]:
        x = np.random.default_rng(0).normal(size=shape)
        v = _variables(layer, x)
        w, b = v["params"]["kernel"], v["params"]["bias"]
        assert w.shape == (3, 5) and b.shape == (5,)
        expected = np.tanh(np.einsum("...i,ij->...j", x, w) + b)
        np.testing.assert_allclose(layer.apply(v, x), expected, rtol=1e-12)


def test_dense_without_bias_and_dtype_follows_numpy():
    layer = nn.Dense(2, use_bias=False)
    x = np.ones((3, 4), np.float32)
    v = layer.init(KEY, x)
    assert set(v["params"]) == {"kernel"} and v["params"]["kernel"].dtype == np.float32
    y = layer.apply(v, x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, x @ v["params"]["kernel"], rtol=1e-6)


def test_flatten_reshape_activation():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert nn.Flatten().apply({"params": {}}, x).shape == (2, 12)
    np.testing.assert_array_equal(nn.Reshape((4, -1)).apply({"params": {}}, x), x.reshape(2, 4, 3))
    np.testing.assert_allclose(nn.Activation("softplus").apply({"params": {}}, x - 10),
                               np.logaddexp(0, x - 10))
    with pytest.raises(ValueError, match="unknown activation"):
        nn.Activation("nope")


def test_dropout_is_identity_in_inference_and_scales_kept_units_in_training():
    x = np.ones((200, 50))
    layer = nn.Dropout(0.3)
    np.testing.assert_array_equal(layer.apply({"params": {}}, x), x)
    y = layer.apply({"params": {}}, x, training=True, rng=random.key(3))
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.7)
    again = layer.apply({"params": {}}, x, training=True, rng=random.key(3))
    np.testing.assert_array_equal(y, again)                      # a pure function of the key
    other = layer.apply({"params": {}}, x, training=True, rng=random.key(4))
    assert not np.array_equal(y, other)
    with pytest.raises(ValueError, match="random key"):
        layer.apply({"params": {}}, x, training=True)
    with pytest.raises(ValueError):
        nn.Dropout(1.0)


def test_dropout_gradient_is_the_mask():
    from transforms import grad
    x = np.random.default_rng(0).normal(size=(4, 6))
    key = random.key(1)
    layer = nn.Dropout(0.5)
    g = grad(lambda x: np.sum(layer.apply({"params": {}}, x, training=True, rng=key)))(x)
    y = layer.apply({"params": {}}, x, training=True, rng=key)
    np.testing.assert_allclose(g, np.where(y != 0, 2.0, 0.0))


def test_embedding_looks_up_rows():
    layer = nn.Embedding(10, 4)
    ids = np.array([[1, 9, 0], [3, 3, 2]])
    v = layer.init(KEY, ids)
    table = v["params"]["embeddings"]
    assert table.shape == (10, 4) and np.abs(table).max() <= 0.05
    out = layer.apply(v, ids)
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, table[ids])
    np.testing.assert_array_equal(layer.apply(v, ids.astype(np.float32)), table[ids])


def test_embedding_gradient_accumulates_repeated_ids():
    from transforms import grad
    layer = nn.Embedding(5, 2)
    ids = np.array([1, 1, 4])
    v = _variables(layer, ids)
    g = grad(lambda p: np.sum(layer.apply({"params": p}, ids)))(v["params"])["embeddings"]
    np.testing.assert_allclose(g, [[0, 0], [2, 2], [0, 0], [0, 0], [1, 1]])


@pytest.mark.parametrize("layer, shape", [
    (nn.Dense(3, activation="gelu"), (2, 4)),
    (nn.Dense(2, activation="elu"), (2, 3, 4)),
    (nn.Embedding(6, 3), None),
    (nn.Flatten(), (2, 3, 2)),
    (nn.Reshape((3, 2)), (2, 6)),
    (nn.Activation("silu"), (3, 2)),
])
def test_core_layer_gradients_match_finite_differences(layer, shape):
    x = np.array([[0, 5], [2, 2]]) if shape is None else np.random.default_rng(0).normal(size=shape)
    v = _variables(layer, x)
    r = projection(layer.apply(v, x).shape)
    finite_difference_check(lambda p, x: np.sum(layer.apply({"params": p}, x) * r), v["params"], x)
    if shape is not None:     # and with respect to the input
        finite_difference_check(lambda x, p: np.sum(layer.apply({"params": p}, x) * r), x, v["params"])


def test_activations_match_references():
    from nn import activations as A
    x = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(A.relu(x), np.maximum(x, 0))
    np.testing.assert_allclose(A.sigmoid(x), scipy.special.expit(x))
    np.testing.assert_allclose(A.softplus(x), np.logaddexp(0, x), rtol=1e-12)
    np.testing.assert_allclose(A.silu(x), x * scipy.special.expit(x), rtol=1e-12)
    np.testing.assert_allclose(A.gelu(x), x * scipy.special.ndtr(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(A.gelu(x, approximate=True)[25:36], A.gelu(x)[25:36], atol=1e-3)
    np.testing.assert_allclose(A.leaky_relu(x), np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(A.elu(x), np.where(x > 0, x, np.expm1(x)))
    m = x[:60].reshape(3, 20)
    np.testing.assert_allclose(A.softmax(m), scipy.special.softmax(m, axis=-1))
    np.testing.assert_allclose(A.softmax(m, axis=0), scipy.special.softmax(m, axis=0))
    np.testing.assert_allclose(A.log_softmax(np.array([1000.0, 0.0])), [0.0, -1000.0])
    assert np.all(np.isfinite(A.softplus(np.array([1e4, -1e4]))))
    assert A.get(None) is A.linear and A.get(np.tanh) is np.tanh


def test_activation_gradients_match_finite_differences():
    from nn import activations as A
    x = np.random.default_rng(0).normal(size=7) * 3
    for name in ["relu", "gelu", "sigmoid", "tanh", "silu", "leaky_relu", "elu", "softplus",
                 "softmax", "log_softmax"]:
        fn = A.get(name)
        r = projection(x.shape)
        finite_difference_check(lambda x: np.sum(fn(x) * r), x)
