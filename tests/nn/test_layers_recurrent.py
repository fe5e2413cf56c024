"""Recurrent layers against NumPy loops written from the documented gate layouts."""
import numpy as np
import pytest
import scipy.special

import nn
from tracer import random

from .helpers import as_float64, finite_difference_check, projection

KEY = random.key(0)
sigmoid = scipy.special.expit


def simple_rnn_reference(x, p):
    h = np.zeros((x.shape[0], p["kernel"].shape[1]))
    hs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ p["kernel"] + h @ p["recurrent_kernel"] + p["bias"])
        hs.append(h)
    return np.stack(hs, axis=1)


def lstm_reference(x, p):
    """Gates in the order i, f, c, o along the last axis of kernel/recurrent_kernel/bias."""
    n = p["recurrent_kernel"].shape[0]
    h = c = np.zeros((x.shape[0], n))
    hs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ p["kernel"] + h @ p["recurrent_kernel"] + p["bias"]
        i, f, g, o = (z[:, k * n:(k + 1) * n] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        hs.append(h)
    return np.stack(hs, axis=1)


def gru_reference(x, p):
    """Gates z, r, h; the reset gate multiplies the recurrent product (reset_after)."""
    n = p["recurrent_kernel"].shape[0]
    h = np.zeros((x.shape[0], n))
    hs = []
    for t in range(x.shape[1]):
        xz, xr, xh = np.split(x[:, t] @ p["kernel"] + p["bias"], 3, axis=1)
        hz, hr, hh = np.split(h @ p["recurrent_kernel"] + p["recurrent_bias"], 3, axis=1)
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        h = z * h + (1 - z) * np.tanh(xh + r * hh)
        hs.append(h)
    return np.stack(hs, axis=1)


CASES = [(nn.SimpleRNN, simple_rnn_reference, 1), (nn.LSTM, lstm_reference, 4),
         (nn.GRU, gru_reference, 3)]


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("cls, reference, gates", CASES)
def test_recurrent_layers_match_references_and_shapes(cls, reference, gates, unroll):
    x = np.random.default_rng(0).normal(size=(3, 5, 4))
    seq = cls(6, return_sequences=True, unroll=unroll)
    v = as_float64(seq.init(KEY, x))
    p = v["params"]
    rng = np.random.default_rng(1)
    p = {k: a + 0.1 * rng.normal(size=a.shape) for k, a in p.items()}   # non-trivial biases
    v = {"params": p, "state": {}}
    assert p["kernel"].shape == (4, gates * 6) and p["recurrent_kernel"].shape == (6, gates * 6)
    assert p["bias"].shape == (gates * 6,)
    expected = reference(x, p)
    out = seq.apply(v, x)
    assert out.shape == (3, 5, 6)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    last = cls(6, unroll=unroll).apply(v, x)
    assert last.shape == (3, 6)
    np.testing.assert_allclose(last, expected[:, -1], rtol=1e-10, atol=1e-12)


def test_lstm_forget_bias_starts_at_one_and_gate_order():
    layer = nn.LSTM(2)
    x = np.zeros((1, 3, 1))
    p = layer.init(KEY, x)["params"]
    np.testing.assert_array_equal(p["bias"], [0, 0, 1, 1, 0, 0, 0, 0])   # i, f, c, o blocks
    # with only the cell-candidate block's bias set, c_t = sigmoid(0) * c + sigmoid(0) * tanh(b)
    # (an o gate of 0.5); putting the bias into the o block instead gives h = 0 (tanh(c) = 0)
    zero = {k: np.zeros_like(v) for k, v in p.items()}
    cand = dict(zero, bias=np.array([0, 0, 0, 0, 3.0, 3.0, 0, 0]))
    out = dict(zero, bias=np.array([0, 0, 0, 0, 0, 0, 3.0, 3.0]))
    x1 = np.zeros((1, 1, 1))
    np.testing.assert_allclose(layer.apply({"params": cand}, x1), 0.5 * np.tanh(0.5 * np.tanh(3.0)) * np.ones((1, 2)))
    np.testing.assert_allclose(layer.apply({"params": out}, x1), np.zeros((1, 2)))


def test_gru_update_gate_keeps_the_previous_state():
    # a large update-gate (z) bias keeps h at its initial zeros whatever the input
    layer = nn.GRU(2)
    x = np.random.default_rng(2).normal(size=(2, 4, 3))
    p = as_float64(layer.init(KEY, x))["params"]
    p["bias"] = np.concatenate([np.full(2, 50.0), np.zeros(4)])
    np.testing.assert_allclose(layer.apply({"params": p}, x), 0.0, atol=1e-12)


def test_recurrent_input_validation():
    with pytest.raises(ValueError, match="batch, time, features"):
        nn.LSTM(2).init(KEY, np.ones((2, 3)))


@pytest.mark.parametrize("cls", [nn.SimpleRNN, nn.LSTM, nn.GRU])
def test_recurrent_gradients_match_finite_differences(cls):
    layer = cls(3, return_sequences=True)
    x = np.random.default_rng(3).normal(size=(2, 4, 2))
    v = as_float64(layer.init(KEY, x))
    r = projection((2, 4, 3))
    finite_difference_check(lambda p, x: np.sum(layer.apply({"params": p}, x) * r), v["params"], x)
    finite_difference_check(lambda x, p: np.sum(layer.apply({"params": p}, x) * r), x, v["params"])
