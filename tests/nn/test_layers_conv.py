"""Convolutions and pooling against explicit-loop NumPy implementations."""
import itertools

import numpy as np
import pytest

import nn
from tracer import random

from .helpers import as_float64, finite_difference_check, projection

KEY = random.key(0)


def _pads(size, k, s, d, padding):
    """TensorFlow's padding: output ceil(size / s) for same; the odd pad goes after."""
    extent = (k - 1) * d + 1
    if padding == "valid":
        return 0, 0, (size - extent) // s + 1
    out = -(-size // s)
    total = max((out - 1) * s + extent - size, 0)
    if padding == "causal":
        return total, 0, out
    return total // 2, total - total // 2, out


def conv2d_loops(x, w, b, stride, dilation, padding):
    n, h, wd, c = x.shape
    kh, kw, _, f = w.shape
    top, bottom, oh = _pads(h, kh, stride[0], dilation[0], padding)
    left, right, ow = _pads(wd, kw, stride[1], dilation[1], padding)
    xp = np.zeros((n, h + top + bottom, wd + left + right, c))
    xp[:, top:top + h, left:left + wd] = x
    out = np.zeros((n, oh, ow, f))
    for i, j, di, dj in itertools.product(range(oh), range(ow), range(kh), range(kw)):
        patch = xp[:, i * stride[0] + di * dilation[0], j * stride[1] + dj * dilation[1], :]
        out[:, i, j, :] += patch @ w[di, dj]
    return out + b


def conv1d_loops(x, w, b, stride, dilation, padding):
    n, t, c = x.shape
    k, _, f = w.shape
    before, after, ot = _pads(t, k, stride, dilation, padding)
    xp = np.concatenate([np.zeros((n, before, c)), x, np.zeros((n, after, c))], axis=1)
    out = np.zeros((n, ot, f))
    for i in range(ot):
        for di in range(k):
            out[:, i] += xp[:, i * stride + di * dilation] @ w[di]
    return out + b


def pool2d_loops(x, pool, stride, padding, reduce):
    n, h, wd, c = x.shape
    top, _, oh = _pads(h, pool[0], stride[0], 1, padding)
    left, _, ow = _pads(wd, pool[1], stride[1], 1, padding)
    out = np.zeros((n, oh, ow, c))
    for i, j in itertools.product(range(oh), range(ow)):
        r0, c0 = i * stride[0] - top, j * stride[1] - left
        window = x[:, max(r0, 0):r0 + pool[0], max(c0, 0):c0 + pool[1], :]   # inside the input only
        out[:, i, j] = reduce(window, axis=(1, 2))
    return out


CONV2D_CASES = [   # kernel, strides, padding, dilation, input spatial shape
    ((3, 3), (1, 1), "valid", (1, 1), (7, 6)),
    ((3, 3), (1, 1), "same", (1, 1), (7, 6)),
    ((3, 2), (2, 3), "same", (1, 1), (8, 7)),
    ((2, 2), (2, 2), "valid", (1, 1), (7, 7)),
    ((3, 3), (1, 1), "same", (2, 2), (7, 6)),
    ((2, 3), (1, 1), "valid", (3, 2), (9, 8)),
]


@pytest.mark.parametrize("kernel, strides, padding, dilation, spatial", CONV2D_CASES)
def test_conv2d_matches_loops(kernel, strides, padding, dilation, spatial):
    layer = nn.Conv2D(4, kernel, strides=strides, padding=padding, dilation_rate=dilation)
    x = np.random.default_rng(0).normal(size=(2, *spatial, 3))
    v = as_float64(layer.init(KEY, x))
    w, b = v["params"]["kernel"], v["params"]["bias"]
    assert w.shape == kernel + (3, 4)
    np.testing.assert_allclose(layer.apply(v, x), conv2d_loops(x, w, b, strides, dilation, padding),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("k, stride, padding, dilation", [
    (3, 1, "valid", 1), (3, 2, "same", 1), (2, 1, "causal", 1), (3, 1, "causal", 2), (4, 3, "same", 1)])
def test_conv1d_matches_loops(k, stride, padding, dilation):
    layer = nn.Conv1D(5, k, strides=stride, padding=padding, dilation_rate=dilation, activation="relu")
    x = np.random.default_rng(1).normal(size=(3, 10, 2))
    v = as_float64(layer.init(KEY, x))
    w, b = v["params"]["kernel"], v["params"]["bias"]
    expected = np.maximum(conv1d_loops(x, w, b, stride, dilation, padding), 0)
    np.testing.assert_allclose(layer.apply(v, x), expected, rtol=1e-10, atol=1e-12)


def test_causal_conv1d_output_depends_only_on_the_past():
    layer = nn.Conv1D(1, 3, padding="causal")
    x = np.random.default_rng(2).normal(size=(1, 8, 1))
    v = layer.init(KEY, x)
    changed = x.copy()
    changed[0, 5:] += 1.0
    a, b = layer.apply(v, x), layer.apply(v, changed)
    np.testing.assert_array_equal(a[0, :5], b[0, :5])
    assert not np.allclose(a[0, 5:], b[0, 5:])


POOL_CASES = [((2, 2), None, "valid", (8, 6)), ((2, 2), None, "valid", (7, 5)),
              ((3, 3), (2, 2), "valid", (7, 8)), ((3, 3), (2, 2), "same", (7, 8)),
              ((2, 3), (1, 2), "same", (5, 6))]


@pytest.mark.parametrize("pool, strides, padding, spatial", POOL_CASES)
def test_max_and_average_pooling_match_loops(pool, strides, padding, spatial):
    x = np.random.default_rng(3).normal(size=(2, *spatial, 3))
    s = pool if strides is None else strides
    np.testing.assert_allclose(nn.MaxPool2D(pool, strides, padding).apply({"params": {}}, x),
                               pool2d_loops(x, pool, s, padding, np.max))
    # average: padding is not counted (the mean over the window's elements inside the input)
    np.testing.assert_allclose(nn.AveragePool2D(pool, strides, padding).apply({"params": {}}, x),
                               pool2d_loops(x, pool, s, padding, np.mean), rtol=1e-12)


def test_global_pooling():
    x = np.random.default_rng(4).normal(size=(2, 3, 4, 5))
    np.testing.assert_allclose(nn.GlobalAveragePooling2D().apply({"params": {}}, x), x.mean(axis=(1, 2)))
    np.testing.assert_allclose(nn.GlobalMaxPooling2D().apply({"params": {}}, x), x.max(axis=(1, 2)))


def test_conv_argument_errors():
    with pytest.raises(ValueError, match="padding"):
        nn.Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="kernel_size"):
        nn.Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="does not fit"):
        layer = nn.Conv2D(2, 5)
        x = np.ones((1, 3, 3, 1))
        layer.apply(layer.init(KEY, x), x)
    with pytest.raises(ValueError, match="expects inputs"):
        nn.Conv2D(2, 3).init(KEY, np.ones((3, 3, 1)))


@pytest.mark.parametrize("layer, shape", [
    (nn.Conv2D(2, 3, padding="same", activation="tanh"), (2, 5, 4, 2)),
    (nn.Conv2D(2, 2, strides=2), (1, 5, 5, 2)),
    (nn.Conv2D(1, 2, dilation_rate=2, padding="same"), (1, 5, 5, 2)),
    (nn.Conv1D(2, 3, padding="causal", dilation_rate=2), (2, 6, 2)),
])
def test_conv_gradients_match_finite_differences(layer, shape):
    x = np.random.default_rng(5).normal(size=shape)
    v = as_float64(layer.init(KEY, x))
    r = projection(layer.apply(v, x).shape)
    finite_difference_check(lambda p, x: np.sum(layer.apply({"params": p}, x) * r), v["params"], x)
    finite_difference_check(lambda x, p: np.sum(layer.apply({"params": p}, x) * r), x, v["params"])


@pytest.mark.parametrize("layer", [nn.MaxPool2D(2), nn.MaxPool2D(3, 2, "same"), nn.AveragePool2D(2),
                                   nn.AveragePool2D(3, 2, "same"), nn.GlobalAveragePooling2D(),
                                   nn.GlobalMaxPooling2D()])
def test_pooling_gradients_match_finite_differences(layer):
    x = np.random.default_rng(6).normal(size=(2, 5, 6, 2))
    r = projection(layer.apply({"params": {}}, x).shape)
    finite_difference_check(lambda x: np.sum(layer.apply({"params": {}}, x) * r), x, samples=12)
