"""Keras 3 examples whose custom layers are written with ``keras.ops``, run on ketorch.

- The Vision Transformer (image classification with ViT): a ``Patches`` layer built on
  ``ops.image.extract_patches`` and a ``PatchEncoder`` adding a learned position embedding of
  ``ops.arange`` positions.
- The text Transformer (text classification with a Transformer): ``TransformerBlock`` and
  ``TokenAndPositionEmbedding`` (``ops.shape``, ``ops.arange``).
- The VAE sampling layer is in test_subclassing_guide.py.

Each model is defined once, as a function of the keras module, and built in ketorch and in
real Keras (torch backend) with the same weights: predictions must agree, training must lower
the loss, and the ``.keras`` file must load in both. Data sets are random data of the
examples' shapes (CIFAR-100 images, IMDB token ids), scaled down to keep the test fast.
"""

import numpy as np
import pytest
import torch
from parity import keras

import ketorch


def vit_parts(K):
    ops, layers = K.ops, K.layers

    class Patches(layers.Layer):
        def __init__(self, patch_size, **kwargs):
            super().__init__(**kwargs)
            self.patch_size = patch_size

        def call(self, images):
            input_shape = ops.shape(images)
            batch_size = input_shape[0]
            channels = input_shape[-1]
            num_patches_h = input_shape[1] // self.patch_size
            num_patches_w = input_shape[2] // self.patch_size
            patches = ops.image.extract_patches(images, size=self.patch_size)
            return ops.reshape(
                patches,
                (batch_size, num_patches_h * num_patches_w,
                 self.patch_size * self.patch_size * channels),
            )  # fmt: skip

        def get_config(self):
            config = super().get_config()
            config.update({"patch_size": self.patch_size})
            return config

    class PatchEncoder(layers.Layer):
        def __init__(self, num_patches, projection_dim, **kwargs):
            super().__init__(**kwargs)
            self.num_patches = num_patches
            self.projection_dim = projection_dim
            self.projection = layers.Dense(units=projection_dim)
            self.position_embedding = layers.Embedding(
                input_dim=num_patches, output_dim=projection_dim
            )

        def call(self, patch):
            positions = ops.expand_dims(ops.arange(start=0, stop=self.num_patches, step=1), axis=0)
            projected_patches = self.projection(patch)
            return projected_patches + self.position_embedding(positions)

        def get_config(self):
            config = super().get_config()
            config.update({"num_patches": self.num_patches, "projection_dim": self.projection_dim})
            return config

    return Patches, PatchEncoder


def build_vit(K, image_size=16, patch_size=4, projection_dim=16, num_heads=2, layers_n=2,
              num_classes=10):  # fmt: skip
    layers = K.layers
    Patches, PatchEncoder = vit_parts(K)
    num_patches = (image_size // patch_size) ** 2
    inputs = K.Input(shape=(image_size, image_size, 3))
    patches = Patches(patch_size)(inputs)
    encoded = PatchEncoder(num_patches, projection_dim)(patches)
    for _ in range(layers_n):
        x1 = layers.LayerNormalization(epsilon=1e-6)(encoded)
        attention = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=projection_dim, dropout=0.1
        )(x1, x1)
        x2 = layers.Add()([attention, encoded])
        x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
        x3 = layers.Dense(projection_dim * 2, activation=K.activations.gelu)(x3)
        x3 = layers.Dropout(0.1)(x3)
        x3 = layers.Dense(projection_dim)(x3)
        encoded = layers.Add()([x3, x2])
    representation = layers.LayerNormalization(epsilon=1e-6)(encoded)
    representation = layers.Flatten()(representation)
    representation = layers.Dropout(0.5)(representation)
    features = layers.Dense(32, activation=K.activations.gelu)(representation)
    logits = layers.Dense(num_classes)(features)
    return K.Model(inputs=inputs, outputs=logits)


def transformer_parts(K):
    ops, layers = K.ops, K.layers

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
            super().__init__(**kwargs)
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = K.Sequential(
                [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)]
            )
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs, training=None):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output, training=training)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output, training=training)
            return self.layernorm2(out1 + ffn_output)

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            maxlen = ops.shape(x)[-1]
            positions = ops.arange(start=0, stop=maxlen, step=1)
            positions = self.pos_emb(positions)
            x = self.token_emb(x)
            return x + positions

    return TransformerBlock, TokenAndPositionEmbedding


def build_text_transformer(K, maxlen=20, vocab_size=200, embed_dim=16, num_heads=2, ff_dim=16):
    layers = K.layers
    TransformerBlock, TokenAndPositionEmbedding = transformer_parts(K)
    inputs = layers.Input(shape=(maxlen,))
    x = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)(inputs)
    x = TransformerBlock(embed_dim, num_heads, ff_dim)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return K.Model(inputs=inputs, outputs=outputs)


def _vit_data(n=64):
    rng = np.random.default_rng(0)
    return rng.random((n, 16, 16, 3)).astype("float32"), rng.integers(0, 10, (n, 1))


def _text_data(n=64):
    rng = np.random.default_rng(1)
    return rng.integers(0, 200, (n, 20)).astype("int32"), rng.integers(0, 2, n)


CASES = {
    "vit": (build_vit, _vit_data, "sparse_categorical_crossentropy", True),
    "transformer": (build_text_transformer, _text_data, "sparse_categorical_crossentropy", False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_predictions_match_keras_with_the_same_weights(name):
    build, data, _, _ = CASES[name]
    ours, theirs = build(ketorch), build(keras)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    theirs.set_weights(ours.get_weights())
    x, _ = data(8)
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_trains_and_the_file_loads_in_keras(name, tmp_path):
    build, data, loss, from_logits = CASES[name]
    ketorch.utils.set_random_seed(0)
    model = build(ketorch)
    loss_obj = ketorch.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    model.compile(optimizer=ketorch.optimizers.AdamW(learning_rate=3e-3), loss=loss_obj,
                  metrics=["accuracy"])  # fmt: skip
    x, y = data()
    history = model.fit(x, y, batch_size=16, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = tmp_path / f"{name}.keras"
    model.save(path)
    custom = {
        cls.__name__: cls for cls in (vit_parts if name == "vit" else transformer_parts)(ketorch)
    }
    reloaded = ketorch.models.load_model(path, custom_objects=custom)
    np.testing.assert_allclose(
        reloaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )
    keras_custom = {
        cls.__name__: cls for cls in (vit_parts if name == "vit" else transformer_parts)(keras)
    }
    in_keras = keras.models.load_model(path, custom_objects=keras_custom)
    np.testing.assert_allclose(np.asarray(in_keras.predict(x, verbose=0)), model.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)  # fmt: skip


def test_ops_functional_model_round_trips_with_keras(tmp_path):
    """ops called directly in a Functional definition save as Keras op nodes, both ways."""

    def build(K):
        inputs = K.Input(shape=(6,))
        x = K.ops.expand_dims(inputs, -1)
        x = K.ops.concatenate([x, x * 2.0], axis=-1)
        x = K.layers.Dense(3)(x)
        x = K.ops.mean(x, axis=1)
        x = x[:, :2] + K.ops.sqrt(K.ops.abs(x[:, 1:]))
        return K.Model(inputs, K.ops.softmax(x))

    ours, theirs = build(ketorch), build(keras)
    theirs.set_weights(ours.get_weights())
    data = np.random.default_rng(0).normal(size=(5, 6)).astype("float32")
    want = np.asarray(theirs.predict(data, verbose=0))
    np.testing.assert_allclose(ours.predict(data, verbose=0), want, rtol=1e-5, atol=1e-6)
    ours.save(tmp_path / "ours.keras")
    theirs.save(tmp_path / "theirs.keras")
    np.testing.assert_allclose(
        np.asarray(keras.models.load_model(tmp_path / "ours.keras").predict(data, verbose=0)),
        want,
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        ketorch.models.load_model(tmp_path / "theirs.keras").predict(data, verbose=0),
        want,
        rtol=1e-5,
        atol=1e-6,
    )
    assert [layer.__class__.__name__ for layer in ours.layers] == [
        layer.__class__.__name__ for layer in theirs.layers
    ]


def test_jit_compile_and_mixed_precision_with_ops_layers():
    torch.manual_seed(0)
    x, y = _text_data()
    model = build_text_transformer(ketorch)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=True)
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    ketorch.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        mixed = build_text_transformer(ketorch)
        mixed.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        h = mixed.fit(x, y, batch_size=16, epochs=2, verbose=0)
        assert np.isfinite(h.history["loss"]).all()
    finally:
        ketorch.mixed_precision.set_global_policy("float32")
