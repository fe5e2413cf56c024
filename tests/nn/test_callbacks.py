import numpy as np
import pytest

import nn
from nn.callbacks import Callback, EarlyStopping, LambdaCallback, LearningRateScheduler, ModelCheckpoint

from .helpers import BACKEND, digits_split

(X_TRAIN, Y_TRAIN), (X_TEST, Y_TEST) = digits_split()
X, Y = X_TRAIN[:256], Y_TRAIN[:256]


def compiled(lr=3e-3):
    model = nn.Sequential([nn.Flatten(), nn.Dense(16, activation="relu"), nn.Dense(10)])
    model.compile(nn.optimizers.SGD(lr), nn.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], backend=BACKEND)
    return model


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None): self.events.append("train_begin")
    def on_train_end(self, logs=None): self.events.append("train_end")
    def on_epoch_begin(self, epoch, logs=None): self.events.append(f"epoch_begin {epoch}")
    def on_epoch_end(self, epoch, logs=None): self.events.append(f"epoch_end {epoch} {sorted(logs)}")
    def on_train_batch_end(self, batch, logs=None): self.events.append(f"batch {batch}")


def test_callbacks_are_called_in_order_with_logs():
    rec = Recorder()
    model = compiled()
    model.fit(X, Y, epochs=2, batch_size=128, validation_data=(X_TEST[:64], Y_TEST[:64]),
              callbacks=[rec], verbose=0)
    keys = "['accuracy', 'learning_rate', 'loss', 'val_accuracy', 'val_loss']"
    assert rec.events == ["train_begin", "epoch_begin 0", "batch 0", "batch 1", f"epoch_end 0 {keys}",
                          "epoch_begin 1", "batch 0", "batch 1", f"epoch_end 1 {keys}", "train_end"]
    assert rec.model is model
    with pytest.raises(TypeError, match="Callback"):
        model.fit(X, Y, callbacks=[lambda: None], verbose=0)


def test_early_stopping_stops_and_restores_the_best_weights():
    model = compiled()
    losses = iter([1.0, 0.5, 0.6, 0.7, 0.4, 0.3])
    snapshots = []

    def fake_monitor(epoch, logs):       # runs before EarlyStopping: sets what it monitors
        logs["val_loss"] = next(losses)
        snapshots.append(model.get_weights())
    stop = EarlyStopping(patience=1, restore_best_weights=True)
    history = model.fit(X, Y, epochs=6, batch_size=128, verbose=0,
                        callbacks=[LambdaCallback(on_epoch_end=fake_monitor), stop])
    assert history.epoch == [0, 1, 2, 3] and stop.stopped_epoch == 3      # 0.6, 0.7: no better
    for restored, best in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(restored, best)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="sideways")


def test_early_stopping_on_accuracy_maximises():
    stop = EarlyStopping(monitor="val_accuracy", patience=0)
    stop.set_model(type("M", (), {"stop_training": False})())
    stop.on_train_begin()
    for epoch, acc in enumerate([0.5, 0.6, 0.55]):
        stop.on_epoch_end(epoch, {"val_accuracy": acc})
    assert stop.model.stop_training and stop.stopped_epoch == 2


def test_model_checkpoint_saves_every_epoch_or_only_the_best(tmp_path):
    model = compiled()
    every = ModelCheckpoint(tmp_path / "m-{epoch:02d}.nbf", save_weights_only=True)
    best = ModelCheckpoint(tmp_path / "best.nbf", monitor="loss", save_best_only=True)
    model.fit(X, Y, epochs=3, batch_size=64, verbose=0, callbacks=[every, best])
    assert [p.rsplit("/", 1)[-1] for p in every.saved] == ["m-01.nbf", "m-02.nbf", "m-03.nbf"]
    assert len(best.saved) == 3                          # SGD on this data: the loss keeps falling
    loaded = nn.load_model(tmp_path / "best.nbf", backend=BACKEND)
    np.testing.assert_array_equal(loaded.predict(X_TEST[:10]), model.predict(X_TEST[:10]))
    with pytest.warns(UserWarning, match="not in the logs"):
        model.fit(X, Y, epochs=1, verbose=0,
                  callbacks=[ModelCheckpoint(tmp_path / "x.nbf", monitor="nope", save_best_only=True)])


def test_learning_rate_scheduler_changes_the_rate_without_recompiling():
    from nn.training import compiled_step
    model = compiled(lr=0.1)
    seen = []
    history = model.fit(X, Y, epochs=3, batch_size=128, verbose=0,
                        callbacks=[LearningRateScheduler(lambda epoch, lr: lr * 0.5),
                                   LambdaCallback(on_epoch_end=lambda e, logs: seen.append(logs["learning_rate"]))])
    assert seen == pytest.approx([0.05, 0.025, 0.0125])
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])
    assert compiled_step(model, "train").cache_info().misses == 1
    # the rate really is used: with a zero rate nothing moves
    before = model.get_weights()
    model.fit(X, Y, epochs=1, batch_size=128, verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: 0.0)])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
