"""The transfer-learning guide's pattern on an application model: frozen base with a new
head, then fine-tuning with the base called in inference mode (``training=False``), so
its BatchNormalization statistics stay as they were while its weights train."""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402

import ketorch  # noqa: E402

SIZE = 32


def _data(n=32):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (n, SIZE, SIZE, 3)).astype("float32")
    y = (x[..., 0].mean(axis=(1, 2)) > x[..., 2].mean(axis=(1, 2))).astype("float32")[:, None]
    return x, y


def _pretend_pretrained(model, seed=0):
    """Non-trivial weights and BatchNormalization statistics, as loaded weights would be."""
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        if "moving_variance" in w.path:
            values.append(rng.uniform(0.5, 2.0, w.shape).astype("float32"))
        elif "moving_mean" in w.path:
            values.append(rng.normal(0, 0.5, w.shape).astype("float32"))
        else:
            values.append(np.asarray(w.numpy() if hasattr(w, "numpy") else w) * 1.0)
    model.set_weights(values)


def _bn_stats(base):
    return {
        w.path: np.array(w.numpy())
        for w in base.weights
        if "moving_mean" in w.path or "moving_variance" in w.path
    }


def _by_path(model):
    return {w.path: np.array(w.numpy()) for w in model.weights}


def _transfer_model(lib, base, dropout=0.2):
    inputs = lib.Input((SIZE, SIZE, 3))
    x = lib.layers.Rescaling(scale=1 / 127.5, offset=-1)(inputs)
    x = base(x, training=False)
    x = lib.layers.GlobalAveragePooling2D()(x)
    if dropout:
        x = lib.layers.Dropout(dropout)(x)
    outputs = lib.layers.Dense(1)(x)
    return lib.Model(inputs, outputs)


def test_guide_pattern_freeze_then_fine_tune():
    ketorch.clear_session()
    base = ketorch.applications.MobileNetV2(
        weights=None, input_shape=(SIZE, SIZE, 3), include_top=False, alpha=0.35
    )
    _pretend_pretrained(base)
    base.trainable = False
    model = _transfer_model(ketorch, base)
    assert len(model.trainable_weights) == 2  # only the new head
    model.compile(
        optimizer=ketorch.optimizers.Adam(1e-2),
        loss=ketorch.losses.BinaryCrossentropy(from_logits=True),
        metrics=[ketorch.metrics.BinaryAccuracy()],
    )
    x, y = _data()
    before = _by_path(base)
    history = model.fit(x, y, batch_size=8, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    for path, value in _by_path(base).items():  # nothing in the frozen base moved
        np.testing.assert_array_equal(value, before[path], err_msg=path)

    base.trainable = True
    assert len(model.trainable_weights) == 2 + len(base.trainable_weights)
    model.compile(
        optimizer=ketorch.optimizers.Adam(1e-3),
        loss=ketorch.losses.BinaryCrossentropy(from_logits=True),
        metrics=[ketorch.metrics.BinaryAccuracy()],
    )
    stats = _bn_stats(base)
    assert stats
    trained = _by_path(base)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    for path, value in _bn_stats(base).items():  # inference-mode BatchNormalization
        np.testing.assert_array_equal(value, stats[path], err_msg=path)
    after = _by_path(base)
    for path in ("Conv_1/kernel", "Conv_1_bn/gamma", "block_16_project/kernel"):
        assert not np.allclose(after[path], trained[path]), path  # the base trains


def test_fine_tuning_trains_as_keras_does():
    """Same weights, SGD, no shuffling, the base's BatchNormalization layers frozen: the
    same losses and final weights as Keras, and unchanged moving statistics."""
    keras.utils.clear_session()
    ketorch.clear_session()
    kwargs = {"weights": None, "input_shape": (SIZE, SIZE, 3), "include_top": False}
    their_base = keras.applications.MobileNetV2(alpha=0.35, **kwargs)
    our_base = ketorch.applications.MobileNetV2(alpha=0.35, **kwargs)
    _pretend_pretrained(their_base)
    theirs = _transfer_model(keras, their_base, dropout=0)
    ours = _transfer_model(ketorch, our_base, dropout=0)
    ours.set_weights(theirs.get_weights())
    for base, bn_class in (
        (their_base, keras.layers.BatchNormalization),
        (our_base, ketorch.layers.BatchNormalization),
    ):
        for layer in base.layers:
            if isinstance(layer, bn_class):
                layer.trainable = False
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)
    x, y = _data(16)
    for model, lib in ((theirs, keras), (ours, ketorch)):
        model.compile(
            optimizer=lib.optimizers.SGD(0.05),
            loss=lib.losses.BinaryCrossentropy(from_logits=True),
        )
    stats = _bn_stats(our_base)
    want = theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    got = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for path, value in _bn_stats(our_base).items():
        np.testing.assert_array_equal(value, stats[path], err_msg=path)
