"""nn: Keras-shaped neural networks on a functional core.

    import nn
    model = nn.Sequential([nn.Conv2D(16, 3, activation="relu"), nn.MaxPool2D(2), nn.Flatten(),
                           nn.Dense(64, activation="relu"), nn.Dropout(0.2), nn.Dense(10)])
    model.compile(optimizer=nn.optimizers.Adam(1e-3),
                  loss=nn.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=10, batch_size=64, validation_split=0.1)

Layers' parameters are pytrees: `variables = model.init(key, x)` and
`model.apply(variables, x)` are pure, so they compose with grad, vmap and jit."""
from . import (activations, callbacks, data, datasets, initializers, layers, losses, metrics,
               optimizers, schedules)
from .layers import (GRU, LSTM, Activation, AveragePool2D, AveragePooling2D, BatchNormalization,
                     Conv1D, Conv2D, Dense, Dropout, Embedding, Flatten, GlobalAveragePooling2D,
                     GlobalMaxPooling2D, Layer, LayerNormalization, MaxPool2D, MaxPooling2D,
                     Reshape, SimpleRNN)
from .model import Model, Sequential
from .saving import SavedModelError, load_model

__all__ = [
    "activations", "callbacks", "data", "datasets", "initializers", "layers", "losses",
    "metrics", "optimizers", "schedules",
    "Layer", "Dense", "Flatten", "Reshape", "Activation", "Dropout", "Embedding",
    "Conv1D", "Conv2D", "MaxPool2D", "AveragePool2D", "MaxPooling2D", "AveragePooling2D",
    "GlobalAveragePooling2D", "GlobalMaxPooling2D", "BatchNormalization", "LayerNormalization",
    "SimpleRNN", "LSTM", "GRU", "Model", "Sequential", "load_model", "SavedModelError",
]
