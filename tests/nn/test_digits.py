"""End to end: classifiers on the shipped 8x8 digits, fixed 80/20 split and seeds."""
import numpy as np

import nn

from .helpers import BACKEND, digits_split

(X_TRAIN, Y_TRAIN), (X_TEST, Y_TEST) = digits_split(seed=0)


def train(model, epochs: int, batch_size: int = 32, lr: float = 1e-2):
    steps = epochs * -(-len(X_TRAIN) // batch_size)
    model.compile(optimizer=nn.optimizers.Adam(nn.schedules.CosineDecay(lr, steps)),
                  loss=nn.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], backend=BACKEND)
    history = model.fit(X_TRAIN, Y_TRAIN, epochs=epochs, batch_size=batch_size, verbose=0)
    loss, accuracy = model.evaluate(X_TEST, Y_TEST)
    return history, accuracy


def test_mlp_reaches_97_percent():
    model = nn.Sequential([nn.Flatten(), nn.Dense(64, activation="relu"), nn.Dense(10)], seed=0)
    history, accuracy = train(model, epochs=10)
    assert history.history["loss"][-1] < history.history["loss"][0] / 5
    assert accuracy >= 0.97, accuracy


def test_small_cnn_reaches_98_percent():
    model = nn.Sequential([nn.Reshape((8, 8, 1)), nn.Conv2D(16, 3, padding="same", activation="relu"),
                           nn.MaxPool2D(2), nn.Flatten(), nn.Dense(32, activation="relu"), nn.Dense(10)],
                          seed=0)
    history, accuracy = train(model, epochs=8)
    assert accuracy >= 0.98, accuracy
    # predictions agree with evaluate's accuracy
    predicted = model.predict(X_TEST).argmax(axis=-1)
    assert np.mean(predicted == Y_TEST) == accuracy
