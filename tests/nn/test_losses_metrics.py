import numpy as np
import pytest
import scipy.special

import nn
from nn import losses as L
from nn import metrics as M

from .helpers import finite_difference_check

rng = np.random.default_rng(0)


def test_regression_losses_match_formulas():
    t, p = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(L.mean_squared_error(t, p), ((p - t) ** 2).mean(-1))
    np.testing.assert_allclose(L.mean_absolute_error(t, p), np.abs(p - t).mean(-1))
    e = np.abs(p - t)
    huber = np.where(e <= 0.5, 0.5 * e ** 2, 0.5 * (e - 0.25)).mean(-1)
    np.testing.assert_allclose(L.huber(t, p, delta=0.5), huber)
    assert float(L.MeanSquaredError()(t, p)) == pytest.approx(((p - t) ** 2).mean())
    w = np.array([1.0, 0.0, 2.0, 1.0])
    assert float(L.MeanAbsoluteError()(t, p, sample_weight=w)) == pytest.approx(
        (np.abs(p - t).mean(-1) * w).sum() / w.sum())


def test_cross_entropies_match_formulas_and_each_other():
    logits = rng.normal(size=(5, 4)) * 3
    labels = np.array([0, 3, 1, 1, 2])
    probs = scipy.special.softmax(logits, axis=-1)
    expected = -np.log(probs[np.arange(5), labels])
    one_hot = np.eye(4)[labels]
    np.testing.assert_allclose(L.sparse_categorical_crossentropy(labels, logits, from_logits=True), expected)
    np.testing.assert_allclose(L.sparse_categorical_crossentropy(labels, probs), expected, rtol=1e-6)
    np.testing.assert_allclose(L.sparse_categorical_crossentropy(labels[:, None], probs), expected, rtol=1e-6)
    np.testing.assert_allclose(L.categorical_crossentropy(one_hot, logits, from_logits=True), expected)
    np.testing.assert_allclose(L.categorical_crossentropy(one_hot, probs), expected, rtol=1e-6)
    smooth = one_hot * 0.9 + 0.1 / 4
    np.testing.assert_allclose(L.categorical_crossentropy(one_hot, logits, from_logits=True, label_smoothing=0.1),
                               -(smooth * np.log(probs)).sum(-1))
    z, y = rng.normal(size=(6, 2)) * 4, rng.integers(0, 2, size=(6, 2)).astype(float)
    s = scipy.special.expit(z)
    bce = -(y * np.log(s) + (1 - y) * np.log(1 - s)).mean(-1)
    np.testing.assert_allclose(L.binary_crossentropy(y, z, from_logits=True), bce, rtol=1e-10)
    np.testing.assert_allclose(L.binary_crossentropy(y, s), bce, rtol=1e-6)


def test_from_logits_is_stable_for_huge_logits():
    logits = np.array([[1000.0, -1000.0, 0.0]])
    loss = L.sparse_categorical_crossentropy(np.array([1]), logits, from_logits=True)
    assert float(loss[0]) == pytest.approx(2000.0)
    bce = L.binary_crossentropy(np.array([[0.0, 1.0]]), np.array([[800.0, -800.0]]), from_logits=True)
    assert float(bce[0]) == pytest.approx(800.0)
    # probabilities of exactly 0 or 1 are clipped, never log(0)
    assert np.isfinite(L.binary_crossentropy(np.array([[1.0]]), np.array([[0.0]])))
    assert np.isfinite(L.sparse_categorical_crossentropy(np.array([0]), np.array([[0.0, 1.0]]))).all()


def test_loss_keeps_float32_and_resolves_names():
    logits = rng.normal(size=(3, 4)).astype(np.float32)
    loss = L.get("sparse_categorical_crossentropy")(np.array([0, 1, 2], np.uint8), logits)
    assert loss.dtype == np.float32
    assert isinstance(L.get("mse"), L.MeanSquaredError)
    with pytest.raises(ValueError, match="unknown loss"):
        L.get("nope")


@pytest.mark.parametrize("loss", [L.MeanSquaredError(), L.Huber(0.7), L.BinaryCrossentropy(from_logits=True),
                                  L.CategoricalCrossentropy(from_logits=True),
                                  L.SparseCategoricalCrossentropy(from_logits=True),
                                  L.CategoricalCrossentropy()])
def test_loss_gradients_match_finite_differences(loss):
    pred = rng.uniform(0.1, 1, size=(4, 3))
    if isinstance(loss, L.SparseCategoricalCrossentropy):
        target = np.array([0, 2, 1, 1])
    elif isinstance(loss, L.BinaryCrossentropy):
        target = rng.integers(0, 2, size=(4, 3)).astype(float)
    else:
        target = np.eye(3)[[0, 2, 1, 1]]
    finite_difference_check(lambda p: loss(target, p), pred)


def test_accuracy_metrics_accumulate_over_batches():
    logits = rng.normal(size=(10, 5))
    labels = rng.integers(0, 5, size=10)
    acc = M.SparseCategoricalAccuracy()
    acc.update_state(labels[:6], logits[:6])
    acc.update_state(labels[6:], logits[6:])
    assert acc.result() == pytest.approx(np.mean(logits.argmax(-1) == labels))
    acc.reset_state()
    assert acc.result() == 0.0
    cat = M.CategoricalAccuracy()
    cat.update_state(np.eye(5)[labels], logits)
    assert cat.result() == pytest.approx(np.mean(logits.argmax(-1) == labels))
    b = M.BinaryAccuracy()
    b.update_state(np.array([1, 0, 1, 0]), np.array([0.9, 0.2, 0.3, 0.7]))
    assert b.result() == 0.5


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracy_matches_argsort(k):
    logits = rng.normal(size=(50, 6))
    labels = rng.integers(0, 6, size=50)
    top = np.argsort(-logits, axis=-1)[:, :k]
    expected = np.mean([labels[i] in top[i] for i in range(50)])
    m = M.SparseTopKCategoricalAccuracy(k=k)
    m.update_state(labels, logits)
    assert m.result() == pytest.approx(expected)
    m2 = M.TopKCategoricalAccuracy(k=k)
    m2.update_state(np.eye(6)[labels], logits)
    assert m2.result() == pytest.approx(expected)


def test_precision_recall_and_mean():
    y = np.array([1, 1, 0, 0, 1, 0])
    p = np.array([0.9, 0.4, 0.6, 0.1, 0.8, 0.3])
    precision, recall = M.Precision(), M.Recall()
    precision.update_state(y, p)
    recall.update_state(y, p)
    assert precision.result() == pytest.approx(2 / 3)   # predicted positive: 0, 2, 4; tp: 0, 4
    assert recall.result() == pytest.approx(2 / 3)      # actual positive: 0, 1, 4
    mean = M.Mean()
    mean.merge(mean.batch_totals(np.array([1.0, 2.0])))
    mean.merge(mean.batch_totals(np.array([6.0])))
    assert mean.result() == pytest.approx(3.0)


def test_accuracy_name_follows_the_loss():
    assert isinstance(M.get("accuracy", L.SparseCategoricalCrossentropy()), M.SparseCategoricalAccuracy)
    assert isinstance(M.get("accuracy", L.CategoricalCrossentropy()), M.CategoricalAccuracy)
    assert isinstance(M.get("acc", L.BinaryCrossentropy()), M.BinaryAccuracy)
    with pytest.raises(ValueError, match="unknown metric"):
        M.get("nope")
    assert nn.metrics.get("precision").name == "precision"
