import numpy as np
import pytest

import nn
from nn.training import compiled_step
from tracer import random, tree_leaves

from .helpers import BACKEND, digits_split

(X_TRAIN, Y_TRAIN), (X_TEST, Y_TEST) = digits_split()
X_SMALL, Y_SMALL = X_TRAIN[:256], Y_TRAIN[:256]


def mlp(**kwargs):
    return nn.Sequential([nn.Flatten(), nn.Dense(32, activation="relu"), nn.Dense(10)], **kwargs)


def compiled(model, lr=3e-3, **kwargs):
    model.compile(nn.optimizers.Adam(lr), nn.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], backend=BACKEND, **kwargs)
    return model


def test_functional_core_init_apply_and_names():
    model = nn.Sequential([nn.Dense(4, activation="relu"), nn.Dropout(0.5), nn.Dense(4),
                           nn.BatchNormalization(), nn.Dense(2, name="head")])
    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    variables = model.init(random.key(0), x[:1])
    assert model.layer_names() == ["dense", "dropout", "dense_1", "batch_normalization", "head"]
    assert sorted(variables["params"]) == ["batch_normalization", "dense", "dense_1", "head"]
    assert sorted(variables["state"]) == ["batch_normalization"]
    p = variables["params"]
    h = np.maximum(x @ p["dense"]["kernel"] + p["dense"]["bias"], 0) @ p["dense_1"]["kernel"] + p["dense_1"]["bias"]
    h = h / np.sqrt(1 + 1e-3) * p["batch_normalization"]["gamma"] + p["batch_normalization"]["beta"]
    np.testing.assert_allclose(model.apply(variables, x), h @ p["head"]["kernel"] + p["head"]["bias"],
                               rtol=1e-5, atol=1e-6)
    # training mode: dropout needs and uses the key; BatchNormalization returns new state
    y1, state = model.apply(variables, x, training=True, rng=random.key(1), return_state=True)
    y2 = model.apply(variables, x, training=True, rng=random.key(1))
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(state["batch_normalization"]["moving_mean"],
                           variables["state"]["batch_normalization"]["moving_mean"])
    with pytest.raises(ValueError, match="used twice"):
        nn.Sequential([nn.Dense(2, name="a"), nn.Dense(2, name="a")])


def test_functional_core_composes_with_grad_and_vmap():
    from transforms import grad, vmap
    model = mlp()
    variables = model.init(random.key(0), X_SMALL[:1])

    def loss(params, x, y):
        return nn.losses.SparseCategoricalCrossentropy(from_logits=True)(y, model.apply({"params": params}, x))
    g = grad(loss)(variables["params"], X_SMALL[:8], Y_SMALL[:8])
    assert [a.shape for a in tree_leaves(g)] == [a.shape for a in tree_leaves(variables["params"])]
    per_example = vmap(lambda x: model.apply(variables, x[None])[0])(X_SMALL[:5])
    np.testing.assert_allclose(per_example, model.apply(variables, X_SMALL[:5]), rtol=1e-5, atol=1e-6)


def test_summary_table(capsys):
    model = nn.Sequential([nn.Reshape((8, 8, 1)), nn.Conv2D(4, 3, padding="same"), nn.MaxPool2D(2),
                           nn.Flatten(), nn.BatchNormalization(), nn.Dense(10)], input_shape=(8, 8))
    model.summary()
    out = capsys.readouterr().out
    for text in ["conv2d (Conv2D)", "(None, 8, 8, 4)", "(None, 4, 4, 4)", "(None, 64)", "40",
                 "Total params: 946", "Trainable params: 818", "Non-trainable params: 128"]:
        assert text in out, text
    lines = []
    model.summary(print_fn=lines.append)
    assert "max_pool2d (MaxPool2D)" in lines[0]
    with pytest.raises(ValueError, match="not built"):
        mlp().summary()


def test_fit_with_arrays_uses_one_jitted_step():
    from transforms.jit import Jitted
    model = compiled(mlp())
    history = model.fit(X_SMALL, Y_SMALL, epochs=3, batch_size=64, verbose=0)
    step = compiled_step(model, "train")
    assert isinstance(step, Jitted)
    info = step.cache_info()
    assert info.misses == 1 and info.hits == 3 * 4 - 1       # 256 / 64: one signature
    assert history.epoch == [0, 1, 2] and len(history.epoch_times) == 3
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert set(history.history) == {"loss", "accuracy", "learning_rate"}
    assert history.history["learning_rate"] == pytest.approx([3e-3] * 3)
    assert int(model.optimizer_state["step"]) == 12


def test_jit_and_eager_training_agree():
    a = compiled(mlp())
    b = compiled(mlp(), jit_compile=False)
    ha = a.fit(X_SMALL, Y_SMALL, epochs=2, batch_size=100, verbose=0)   # 100, 100, 56: two shapes
    hb = b.fit(X_SMALL, Y_SMALL, epochs=2, batch_size=100, verbose=0)
    assert ha.history["loss"] == pytest.approx(hb.history["loss"], rel=1e-4)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-4, atol=1e-6)
    assert not isinstance(compiled_step(b, "train"), type(compiled_step(a, "train")))


def test_fit_with_a_dataset_and_validation_data():
    train = nn.data.Dataset.from_tensor_slices((X_SMALL, Y_SMALL)).shuffle(256, seed=0).batch(64)
    val = nn.data.Dataset.from_tensor_slices((X_TEST[:100], Y_TEST[:100])).batch(50)
    model = compiled(mlp())
    history = model.fit(train, epochs=2, validation_data=val, verbose=0)
    assert {"val_loss", "val_accuracy"} <= set(history.history)
    loss, acc = model.evaluate(X_TEST[:100], Y_TEST[:100], batch_size=50)
    assert history.history["val_loss"][-1] == pytest.approx(loss, rel=1e-5)
    assert history.history["val_accuracy"][-1] == pytest.approx(acc)
    with pytest.raises(ValueError, match="do not pass y"):
        model.fit(train, Y_SMALL, verbose=0)


def test_validation_split_holds_out_the_last_examples():
    model = compiled(mlp())
    history = model.fit(X_SMALL, Y_SMALL, epochs=1, batch_size=64, validation_split=0.25, verbose=0)
    loss, acc = model.evaluate(X_SMALL[192:], Y_SMALL[192:])
    assert history.history["val_loss"][0] == pytest.approx(loss, rel=1e-5)
    assert history.history["val_accuracy"][0] == pytest.approx(acc)
    assert compiled_step(model, "train").cache_info().hits + 1 == 3        # 192 / 64 batches
    d = model.evaluate(X_SMALL[192:], Y_SMALL[192:], return_dict=True)
    assert list(d) == ["loss", "accuracy"]
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(X_SMALL, Y_SMALL, validation_split=1.5, verbose=0)


def test_predict_matches_apply_and_batches():
    model = compiled(mlp())
    model.fit(X_SMALL, Y_SMALL, epochs=1, verbose=0)
    out = model.predict(X_TEST[:70], batch_size=32)
    np.testing.assert_allclose(out, model.apply(model.variables, X_TEST[:70]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model(X_TEST[:3]), out[:3], rtol=1e-5, atol=1e-6)


def test_predict_builds_an_uncompiled_model_and_errors_are_clear():
    model = mlp()
    model.backend = BACKEND             # the jit backend of its predict step (compile sets it too)
    assert model.predict(X_TEST[:4]).shape == (4, 10)
    with pytest.raises(ValueError, match="compile"):
        model.fit(X_SMALL, Y_SMALL, verbose=0)
    with pytest.raises(ValueError, match="examples"):
        compiled(mlp()).fit(X_SMALL, Y_SMALL[:10], verbose=0)


def test_batch_normalization_state_is_trained_but_not_differentiated():
    model = compiled(nn.Sequential([nn.Flatten(), nn.Dense(16), nn.BatchNormalization(),
                                    nn.Activation("relu"), nn.Dropout(0.1), nn.Dense(10)]))
    model.fit(X_SMALL, Y_SMALL, epochs=2, batch_size=64, verbose=0)
    state = model.variables["state"]["batch_normalization"]
    assert not np.allclose(state["moving_mean"], 0)          # moved towards the batch means
    # the optimizer never saw the state: its slots mirror the params only
    assert "batch_normalization" in model.optimizer_state["inner"][0]["m"]
    assert "moving_mean" not in model.optimizer_state["inner"][0]["m"]["batch_normalization"]


def test_progress_bar_and_one_line_per_epoch(capsys):
    model = compiled(mlp())
    model.fit(X_SMALL, Y_SMALL, epochs=1, batch_size=128, verbose=1, validation_split=0.25)
    out = capsys.readouterr().out
    assert "Epoch 1/1" in out and "samples/s" in out and "val_accuracy" in out and "2/2" in out
    model.fit(X_SMALL, Y_SMALL, epochs=2, batch_size=128, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out


def test_embedding_lstm_model_trains_under_jit():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 20, size=(64, 7))
    labels = (ids.sum(axis=1) > 66).astype(np.int64)
    model = compiled(nn.Sequential([nn.Embedding(20, 8), nn.LSTM(16), nn.Dense(2)]), lr=1e-2)
    history = model.fit(ids, labels, epochs=4, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.variables["params"]["lstm"]["kernel"].shape == (8, 64)


def test_nested_sequential_names_rng_and_config_round_trip():
    inner = nn.Sequential([nn.Dense(4, activation="relu"), nn.Dropout(0.5)])
    outer = nn.Sequential([inner, nn.Dense(2)], input_shape=(3,))
    assert sorted(outer.variables["params"]) == ["dense", "sequential"] and outer.uses_rng
    again = nn.Sequential.from_config(outer.get_config())
    assert again.get_config() == outer.get_config()
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    again.set_weights(outer.get_weights())
    np.testing.assert_array_equal(again.apply(again.variables, x), outer.apply(outer.variables, x))
    with pytest.raises(ValueError, match="expected shape"):
        again.set_weights([np.zeros(1)] * len(outer.get_weights()))


def test_fit_without_targets_says_so():
    with pytest.raises(ValueError, match="targets y are needed"):
        compiled(mlp()).fit(X_SMALL, verbose=0)
    with pytest.raises(ValueError, match="targets y are needed"):
        compiled(mlp()).fit(nn.data.Dataset.from_tensor_slices(X_SMALL).batch(32), verbose=0)
