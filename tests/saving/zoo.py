"""Models built with the same code in Keras and ketorch (``lib`` is either module)."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import ketorch  # noqa: E402
import ketorch.saving  # noqa: E402,F401


def _scale_layer(lib):
    class Scale(lib.layers.Layer):
        """Multiplies by a learned per-feature vector times ``factor``."""

        def __init__(self, factor=1.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.scale * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    return lib.saving.register_keras_serializable(package="SavingTest")(Scale)


SCALE = {"keras": _scale_layer(keras), "ketorch": _scale_layer(ketorch)}


def mlp(lib, rng):
    model = lib.Sequential(
        [
            lib.Input((4,)),
            lib.layers.Dense(8, activation="relu"),
            lib.layers.Dropout(0.0),
            lib.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(lib.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    x = rng.random((32, 4), dtype=np.float32)
    return model, x, (x.sum(1, keepdims=True) > 2).astype("float32")


def text_lstm(lib, rng):
    model = lib.Sequential(
        [
            lib.Input((6,), dtype="int32"),
            lib.layers.Embedding(30, 8),
            lib.layers.LSTM(5),
            lib.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(lib.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    x = rng.integers(0, 30, (32, 6)).astype("int32")
    return model, x, (x[:, 0] > 15).astype("float32")[:, None]


def cnn(lib, rng):
    model = lib.Sequential(
        [
            lib.Input((8, 8, 1)),
            lib.layers.Conv2D(4, 3, activation="relu"),
            lib.layers.MaxPooling2D(),
            lib.layers.Flatten(),
            lib.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(lib.optimizers.SGD(0.05, momentum=0.9), "sparse_categorical_crossentropy")
    x = rng.random((32, 8, 8, 1), dtype=np.float32)
    return model, x, rng.integers(0, 3, (32,)).astype("int32")


def multi_io(lib, rng):
    a = lib.Input((4,), name="a")
    b = lib.Input((3,), name="b")
    h = lib.layers.Dense(8, activation="relu")(lib.layers.Concatenate()([a, b]))
    out_a = lib.layers.Dense(1, name="reg")(h)
    out_b = lib.layers.Dense(2, activation="softmax", name="cls")(lib.layers.Dense(5)(b))
    model = lib.Model([a, b], [out_a, out_b])
    model.compile(
        lib.optimizers.RMSprop(0.01), ["mse", "categorical_crossentropy"], loss_weights=[1.0, 0.5]
    )
    xa = rng.random((32, 4), dtype=np.float32)
    xb = rng.random((32, 3), dtype=np.float32)
    y_b = np.eye(2, dtype="float32")[rng.integers(0, 2, 32)]
    return model, [xa, xb], [xa.sum(1, keepdims=True), y_b]


def custom(lib, rng):
    scale = SCALE[lib.__name__]
    inputs = lib.Input((4,))
    outputs = lib.layers.Dense(2)(scale(factor=0.5)(inputs))
    model = lib.Model(inputs, outputs)
    model.compile(lib.optimizers.Adam(0.01), "mse")
    x = rng.random((32, 4), dtype=np.float32)
    return model, x, np.stack([x.sum(1), x[:, 0]], 1)


BUILDERS = {"mlp": mlp, "text_lstm": text_lstm, "cnn": cnn, "multi_io": multi_io, "custom": custom}
