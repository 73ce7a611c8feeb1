"""Whole-model parity with real Keras: same weights -> same predictions and same training."""

import numpy as np
import pytest
import torch
from parity import keras

import ketorch


def _mlp(lib):
    inputs = lib.Input(shape=(784,))
    x = lib.layers.Dense(64, activation="relu")(inputs)
    x = lib.layers.Dense(64, activation="relu")(x)
    outputs = lib.layers.Dense(10, activation="softmax")(x)
    return lib.Model(inputs=inputs, outputs=outputs)


def _data(rng, n=256):
    x = rng.random((n, 784)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 10, n), 10)
    return x, y


def test_mlp_predictions_equal(rng):
    ours, theirs = _mlp(ketorch), _mlp(keras)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    theirs.set_weights(ours.get_weights())
    x, _ = _data(rng, 100)
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5, rtol=1e-5
    )


@pytest.mark.parametrize(
    "optimizer,metrics",
    [
        ("sgd", ["accuracy"]),
        ("rmsprop", ["accuracy", "mse"]),
        ("adam", ["acc"]),
    ],
)
def test_mlp_one_epoch_same_loss_and_weights(rng, optimizer, metrics):
    ours, theirs = _mlp(ketorch), _mlp(keras)
    theirs.set_weights(ours.get_weights())
    x, y = _data(rng)
    for m in (ours, theirs):
        m.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=metrics)
    h_ours = ours.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-4, atol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=2e-5, rtol=1e-4)
    assert ours.evaluate(x, y, verbose=0) == pytest.approx(
        theirs.evaluate(x, y, verbose=0), rel=1e-4
    )


def test_validation_split_and_history_keys_match_keras(rng):
    ours, theirs = _mlp(ketorch), _mlp(keras)
    theirs.set_weights(ours.get_weights())
    x, y = _data(rng, 200)
    for m in (ours, theirs):
        m.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    h1 = ours.fit(x, y, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
    h2 = theirs.fit(x, y, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
    assert list(h1.history) == list(h2.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for key in h2.history:
        np.testing.assert_allclose(h1.history[key], h2.history[key], rtol=1e-4, atol=1e-5)
    assert h1.epoch == [0, 1]
    assert h1.params == {"verbose": 0, "epochs": 2, "steps": 5}


def test_sparse_and_binary_accuracy_resolution(rng):
    for loss, y, units, act in [
        ("sparse_categorical_crossentropy", rng.integers(0, 3, 64), 3, "softmax"),
        ("binary_crossentropy", rng.integers(0, 2, (64, 1)), 1, "sigmoid"),
    ]:
        built = []
        for lib in (ketorch, keras):
            m = lib.Sequential([lib.Input((4,)), lib.layers.Dense(units, activation=act)])
            built.append(m)
        built[1].set_weights(built[0].get_weights())
        x = rng.random((64, 4)).astype("float32")
        results = []
        for m in built:
            m.compile("sgd", loss, metrics=["accuracy"])
            results.append(m.fit(x, y, epochs=1, shuffle=False, verbose=0).history)
        for key in results[1]:
            np.testing.assert_allclose(results[0][key], results[1][key], rtol=1e-4, atol=1e-6)


def test_evaluate_return_forms(rng):
    model = _mlp(ketorch)
    x, y = _data(rng, 64)
    model.compile("sgd", "categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy", "mae"])
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 3
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(as_dict) == ["accuracy", "loss", "mae"]
    assert as_dict["loss"] == pytest.approx(result[0])


def test_multi_output_keys_and_weights_match_keras(rng):
    def build(lib):
        i = lib.Input((4,), name="x")
        a = lib.layers.Dense(1, activation="sigmoid", name="out_a")(i)
        b = lib.layers.Dense(3, activation="softmax", name="out_b")(i)
        return lib.Model(i, [a, b])

    ours, theirs = build(ketorch), build(keras)
    theirs.set_weights(ours.get_weights())
    x = rng.random((64, 4)).astype("float32")
    ya = rng.integers(0, 2, (64, 1)).astype("float32")
    yb = keras.utils.to_categorical(rng.integers(0, 3, 64), 3)
    hs = []
    for m in (ours, theirs):
        m.compile(
            "sgd",
            ["binary_crossentropy", "categorical_crossentropy"],
            metrics=[["accuracy"], ["accuracy", "mse"]],
            loss_weights=[1.0, 0.5],
        )
        hs.append(
            m.fit(x, [ya, yb], epochs=1, shuffle=False, verbose=0, validation_split=0.25).history
        )
    assert list(hs[0]) == list(hs[1])
    for key in hs[1]:
        np.testing.assert_allclose(hs[0][key], hs[1][key], rtol=1e-4, atol=1e-6)
    e0 = ours.evaluate(x, [ya, yb], verbose=0)
    e1 = theirs.evaluate(x, [ya, yb], verbose=0)
    np.testing.assert_allclose(e0, e1, rtol=1e-4)


def _text_model(lib):
    return lib.Sequential(
        [
            lib.Input((20,), dtype="int32"),
            lib.layers.Embedding(200, 16),
            lib.layers.LSTM(12, return_sequences=True),
            lib.layers.LSTM(8),
            lib.layers.Dropout(0.5),
            lib.layers.Dense(1, activation="sigmoid"),
        ]
    )


def _cnn_model(lib):
    return lib.Sequential(
        [
            lib.Input((250, 250, 3)),
            lib.layers.Conv2D(32, 5, strides=2, activation="relu"),
            lib.layers.Conv2D(32, 3, activation="relu"),
            lib.layers.MaxPooling2D(3),
            lib.layers.Flatten(),
            lib.layers.Dense(10, activation="softmax"),
        ]
    )


def _share_dropout_masks(monkeypatch):
    """Make both libraries' unseeded dropout draw the same masks, in call order.

    Each library's dropout kernel is replaced by one that draws its keep-mask from its
    own generator seeded alike, then applies it as inverted dropout. Returns the two call
    counters (ours, Keras's). The mask draw itself is tested in tests/layers; this lets a
    model with active dropout be compared with Keras step by step.
    """
    import keras.src.backend as keras_backend

    calls = {"ours": 0, "keras": 0}

    def make(lib):
        gen = torch.Generator().manual_seed(1234)

        def dropout(x, rate, noise_shape=None, seed=None):
            assert noise_shape is None
            calls[lib] += 1
            keep = torch.rand(tuple(x.shape), generator=gen) >= rate
            return x * keep.to(device=x.device, dtype=x.dtype) / (1.0 - rate)

        return dropout

    monkeypatch.setattr(ketorch.backend, "fast_dropout", make("ours"))
    monkeypatch.setattr(keras_backend.random, "dropout", make("keras"))
    return calls


@pytest.mark.parametrize("kind", ["text", "cnn"])
def test_workflow_models_predict_and_train_like_keras(rng, kind, monkeypatch):
    if kind == "text":
        ours, theirs = _text_model(ketorch), _text_model(keras)
        x = rng.integers(0, 200, (48, 20)).astype("int32")
        y = rng.integers(0, 2, (48, 1)).astype("float32")
        loss, batch = "binary_crossentropy", 16
        # Dropout(0.5) is active in fit: both sides get the same masks.
        dropout_calls = _share_dropout_masks(monkeypatch)
    else:
        ours, theirs = _cnn_model(ketorch), _cnn_model(keras)
        x = rng.random((12, 250, 250, 3)).astype("float32")
        y = keras.utils.to_categorical(rng.integers(0, 10, 12), 10)
        loss, batch = "categorical_crossentropy", 4
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    theirs.set_weights(ours.get_weights())
    initial = ours.get_weights()
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5, rtol=1e-4
    )
    for m in (ours, theirs):
        m.compile(optimizer=ketorch.optimizers.SGD(0.05) if m is ours else keras.optimizers.SGD(0.05),
                  loss=loss, metrics=["accuracy"])  # fmt: skip
    h1 = ours.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0).history
    h2 = theirs.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0).history
    if kind == "text":
        # Dropout ran once per training batch on each side, and never in predict.
        assert dropout_calls == {"ours": 3, "keras": 3}
    assert sorted(h1) == sorted(h2) == ["accuracy", "loss"]
    for key in h2:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-4, atol=1e-5)
    for a, b, w0 in zip(ours.get_weights(), theirs.get_weights(), initial):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-4)
        assert not np.array_equal(a, w0), "a weight did not train"


def test_text_model_one_epoch_sgd_without_dropout_matches(rng):
    def build(lib):
        return lib.Sequential(
            [
                lib.Input((20,), dtype="int32"),
                lib.layers.Embedding(200, 16),
                lib.layers.LSTM(12, return_sequences=True),
                lib.layers.LSTM(8),
                lib.layers.Dropout(0.0),
                lib.layers.Dense(1, activation="sigmoid"),
            ]
        )

    ours, theirs = build(ketorch), build(keras)
    theirs.set_weights(ours.get_weights())
    x = rng.integers(0, 200, (48, 20)).astype("int32")
    y = rng.integers(0, 2, (48, 1)).astype("float32")
    ours.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    theirs.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    h1 = ours.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0).history
    h2 = theirs.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0).history
    for key in h2:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-4, atol=1e-6)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-4)
