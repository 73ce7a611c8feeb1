import numpy as np
import pytest
import torch
from parity import keras

import ketorch
from ketorch.layers import Dense


def test_input_returns_symbolic_tensor():
    x = ketorch.Input(shape=(3,), name="features", dtype="float32")
    assert x.shape == (None, 3) and x.dtype == "float32" and x.name == "features"
    x = ketorch.Input(shape=(None, 5), batch_size=8)
    assert x.shape == (8, None, 5)


def test_multi_input_multi_output_lists_and_dicts(rng):
    a = ketorch.Input((3,), name="a")
    b = ketorch.Input((2,), name="b")
    h = ketorch.layers.Dense(4, name="h1")(a)
    g = ketorch.layers.Dense(4, name="h2")(b)
    s = h + g
    out1 = ketorch.layers.Dense(1, name="score")(s)
    out2 = ketorch.layers.Dense(3, activation="softmax", name="klass")(s)
    model = ketorch.Model(inputs=[a, b], outputs={"score": out1, "klass": out2})
    xa, xb = rng.random((20, 3)), rng.random((20, 2))
    pred = model.predict({"a": xa, "b": xb}, verbose=0)
    assert set(pred) == {"score", "klass"} and pred["klass"].shape == (20, 3)
    pred2 = model.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(pred["score"], pred2["score"], rtol=1e-6)
    model.compile(
        "adam", {"score": "mse", "klass": "categorical_crossentropy"}, metrics={"klass": "accuracy"}
    )
    y = {
        "score": rng.random((20, 1)),
        "klass": keras.utils.to_categorical(rng.integers(0, 3, 20), 3),
    }
    h = model.fit({"a": xa, "b": xb}, y, epochs=2, verbose=0)
    assert set(h.history) == {"loss", "score_loss", "klass_loss", "klass_accuracy"}


def test_shape_error_at_graph_building_names_layer():
    x = ketorch.Input((4,))
    d = Dense(3, name="first")
    d(x)
    with pytest.raises(ValueError, match=r"layer 'first'.*expected axis -1.*value 4.*\(None, 6\)"):
        d(ketorch.Input((6,)))


def test_graph_disconnected():
    a, b = ketorch.Input((2,)), ketorch.Input((2,))
    out = Dense(1)(a + b)
    with pytest.raises(ValueError, match="Graph disconnected"):
        ketorch.Model(inputs=a, outputs=out)


def test_outputs_must_be_symbolic():
    with pytest.raises(TypeError, match="symbolic tensors"):
        ketorch.Model(inputs=ketorch.Input((2,)), outputs=torch.ones(2))


def test_nested_models_and_shared_layers(rng):
    inner_in = ketorch.Input((4,))
    inner = ketorch.Model(inner_in, Dense(2)(inner_in), name="inner")
    x = ketorch.Input((4,))
    shared = Dense(4, name="shared")
    y = inner(shared(shared(x)))
    model = ketorch.Model(x, y)
    assert model.output_shape == (None, 2)
    assert len(model.weights) == 4
    out = model.predict(rng.random((5, 4)), verbose=0)
    assert out.shape == (5, 2)


def test_functional_config_round_trip(rng):
    x = ketorch.Input((4,), name="in")
    y = Dense(3, activation="relu", name="d1")(x)
    z = Dense(1, name="d2")(y)
    model = ketorch.Model(x, z, name="net")
    config = model.get_config()
    assert config["input_layers"] == ["in", 0, 0]
    assert config["layers"][1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] == [
        "in",
        0,
        0,
    ]
    clone = ketorch.Model.from_config(config)
    clone.set_weights(model.get_weights())
    xs = rng.random((3, 4)).astype("float32")
    np.testing.assert_allclose(clone.predict(xs, verbose=0), model.predict(xs, verbose=0))
    # Keras reads our config.
    theirs = keras.Model.from_config(config)
    theirs.set_weights(model.get_weights())
    np.testing.assert_allclose(
        theirs.predict(xs, verbose=0), model.predict(xs, verbose=0), atol=1e-6
    )


def test_summary_matches_keras_rows(capsys):
    x = ketorch.Input((784,))
    h = Dense(64, activation="relu")(x)
    out = Dense(10, activation="softmax")(h)
    ketorch.Model(x, out).summary()
    text = capsys.readouterr().out
    assert 'Model: "functional"' in text
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    assert "dense (Dense)" in text and "(None, 64)" in text and "50,240" in text
    assert " Total params: 50,890 (198.79 KB)" in text
    assert " Trainable params: 50,890 (198.79 KB)" in text
    assert " Non-trainable params: 0 (0.00 B)" in text


def test_functional_frees_intermediate_values_after_their_last_use(rng):
    import weakref

    refs, alive = [], []

    class Keep(ketorch.layers.Layer):
        def call(self, x):
            refs.append(weakref.ref(x))
            return x * 2

    class Check(ketorch.layers.Layer):
        def call(self, x):
            alive.append(refs[-1]() is not None)
            return x + 1

    inputs = ketorch.Input((4,))
    h = ketorch.layers.Dense(3, name="d1")(inputs)
    h = Keep()(h)
    h = ketorch.layers.Dense(3, name="d2")(h)
    skip = ketorch.layers.Dense(3, name="d3")(inputs)
    out = ketorch.layers.Add()([Check()(h), skip])
    model = ketorch.Model(inputs, out)
    x = rng.normal(size=(5, 4)).astype("float32")
    pred = model.predict(x, verbose=0)
    assert alive and not any(alive)  # the first Dense's output was dropped before Check ran
    w = {n: model.get_layer(n).get_weights() for n in ("d1", "d2", "d3")}
    expected = (x @ w["d1"][0] + w["d1"][1]) * 2
    expected = expected @ w["d2"][0] + w["d2"][1] + 1
    expected += x @ w["d3"][0] + w["d3"][1]
    np.testing.assert_allclose(pred, expected, rtol=1e-5, atol=1e-5)
