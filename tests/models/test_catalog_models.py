"""Issue 3's showcase models built with the Functional API, checked against Keras."""

import numpy as np
from parity import keras

import ketorch


def _pool1d(lib):
    return lib.layers.GlobalAveragePooling1D()


def _transformer(lib, vocab=100, maxlen=12, dim=16):
    tokens = lib.Input((maxlen,), dtype="int32")
    x = lib.layers.Embedding(vocab, dim)(tokens)
    pos = lib.layers.Embedding(maxlen, dim, name="pos")
    # Positional embedding of 0..maxlen-1 broadcast over the batch.
    x = PositionAdd(pos, maxlen)(x) if lib is ketorch else KerasPositionAdd(pos, maxlen)(x)
    attn = lib.layers.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
    x = lib.layers.LayerNormalization(epsilon=1e-6)(lib.layers.Add()([x, attn]))
    ff = lib.layers.Dense(32, activation="relu")(x)
    ff = lib.layers.Dense(dim)(ff)
    x = lib.layers.LayerNormalization(epsilon=1e-6)(lib.layers.Add()([x, ff]))
    x = _pool1d(lib)(x)
    x = lib.layers.Dropout(0.0)(x)
    out = lib.layers.Dense(1, activation="sigmoid")(x)
    return lib.Model(tokens, out)


class PositionAdd(ketorch.layers.Layer):
    def __init__(self, emb, maxlen, **kwargs):
        super().__init__(**kwargs)
        self.emb, self.maxlen = emb, maxlen

    def call(self, x):
        import torch

        return x + self.emb(torch.arange(self.maxlen, device=x.device))

    def compute_output_shape(self, input_shape):
        return input_shape


class KerasPositionAdd(keras.layers.Layer):
    def __init__(self, emb, maxlen, **kwargs):
        super().__init__(**kwargs)
        self.emb, self.maxlen = emb, maxlen

    def call(self, x):
        return x + self.emb(keras.ops.arange(self.maxlen))

    def compute_output_shape(self, input_shape):
        return input_shape


def _resnet(lib):
    inputs = lib.Input((16, 16, 3))
    x = lib.layers.Conv2D(8, 3, padding="same")(inputs)
    x = lib.layers.BatchNormalization()(x)
    x = lib.layers.Activation("relu")(x)
    for _ in range(2):
        skip = x
        y = lib.layers.Conv2D(8, 3, padding="same")(x)
        y = lib.layers.BatchNormalization()(y)
        y = lib.layers.Activation("relu")(y)
        y = lib.layers.Conv2D(8, 3, padding="same")(y)
        y = lib.layers.BatchNormalization()(y)
        x = lib.layers.Activation("relu")(lib.layers.Add()([skip, y]))
    x = lib.layers.GlobalAveragePooling2D()(x)
    out = lib.layers.Dense(5, activation="softmax")(x)
    return lib.Model(inputs, out)


def _compare(ours, theirs, x, y, loss, epochs=2):
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5, rtol=1e-4
    )
    ours.compile("sgd", loss, metrics=["accuracy"])
    theirs.compile("sgd", loss, metrics=["accuracy"])
    h1 = ours.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0).history
    h2 = theirs.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0).history
    for key in h2:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-4, atol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-3)
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-4, rtol=1e-3
    )


def test_transformer_text_classifier_matches_keras(rng):
    ours, theirs = _transformer(ketorch), _transformer(keras)
    x = rng.integers(1, 100, (32, 12)).astype("int32")
    y = rng.integers(0, 2, (32, 1)).astype("float32")
    _compare(ours, theirs, x, y, "binary_crossentropy")


def test_resnet_cnn_matches_keras(rng):
    ours, theirs = _resnet(ketorch), _resnet(keras)
    x = rng.random((24, 16, 16, 3)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 5, 24), 5)
    _compare(ours, theirs, x, y, "categorical_crossentropy")
