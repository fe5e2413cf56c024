"""Layers: each describes a computation; `init(key, x)` makes its variables and
`apply(variables, x, training=, rng=)` runs it (see nn.layers.base)."""
from .base import LAYERS, Layer, layer_from_config, register_layer
from .conv import Conv1D, Conv2D
from .core import Activation, Dense, Dropout, Embedding, Flatten, Reshape
from .normalization import BatchNormalization, LayerNormalization
from .pooling import (AveragePool2D, AveragePooling2D, GlobalAveragePooling2D,
                      GlobalMaxPooling2D, MaxPool2D, MaxPooling2D)
from .recurrent import GRU, LSTM, SimpleRNN

__all__ = ["Layer", "LAYERS", "register_layer", "layer_from_config",
           "Dense", "Flatten", "Reshape", "Activation", "Dropout", "Embedding",
           "Conv1D", "Conv2D", "MaxPool2D", "AveragePool2D", "MaxPooling2D", "AveragePooling2D",
           "GlobalAveragePooling2D", "GlobalMaxPooling2D",
           "BatchNormalization", "LayerNormalization", "SimpleRNN", "LSTM", "GRU"]
