"""clone_model, model.to_json and model_from_json, checked against Keras."""

import json

import numpy as np
import pytest
from parity import keras

import ketorch


def _functional(lib):
    inputs = lib.Input((6,), name="x")
    hidden = lib.layers.Dense(8, activation="relu", name="hidden")(inputs)
    branch = lib.layers.Dense(8, activation="tanh", name="branch")(inputs)
    merged = lib.layers.concatenate([hidden, branch], name="merge")
    outputs = lib.layers.Dense(3, activation="softmax", name="out")(merged)
    return lib.Model(inputs, outputs, name="net")


def _sequential(lib):
    return lib.Sequential(
        [lib.Input((6,), name="x"), lib.layers.Dense(5, activation="relu"), lib.layers.Dense(2)],
        name="seq",
    )


@pytest.mark.parametrize("build", [_functional, _sequential])
def test_clone_has_new_weights_and_same_function(build, rng):
    model = build(ketorch)
    clone = ketorch.models.clone_model(model)
    assert type(clone) is type(model) and clone.name == model.name
    assert [type(a) for a in clone.layers] == [type(b) for b in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert all(a.name == b.name for a, b in zip(clone.layers, model.layers))
    x = rng.normal(size=(4, 6)).astype("float32")
    assert not np.allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    # The same model in Keras, cloned by Keras, with the same weights.
    theirs = keras.models.clone_model(build(keras))
    theirs.set_weights(model.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(theirs.predict(x, verbose=0)),
        clone.predict(x, verbose=0),
        atol=1e-6,
    )


def test_clone_function_shares_and_replaces_layers():
    model = _functional(ketorch)
    shared = model.get_layer("branch")

    def clone_function(layer):
        if layer is shared:
            return layer  # shared with the original
        config = layer.get_config()
        if isinstance(layer, ketorch.layers.Dense) and config["name"] == "hidden":
            config["units"] = 4
        return layer.__class__.from_config(config)

    clone = ketorch.models.clone_model(model, clone_function=clone_function)
    assert clone.get_layer("branch") is shared
    assert clone.get_layer("hidden").units == 4
    assert clone.output_shape == (None, 3)


def test_call_function_inserts_layers():
    model = _functional(ketorch)

    def call_function(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        if isinstance(layer, ketorch.layers.Dense) and layer.name == "hidden":
            return ketorch.layers.Dropout(0.5, name="extra")(out)
        return None  # call as usual

    clone = ketorch.models.clone_model(model, call_function=call_function)
    assert "extra" in [layer.name for layer in clone.layers]
    with pytest.raises(
        ValueError, match="`call_function` argument is not supported with Sequential"
    ):
        ketorch.models.clone_model(_sequential(ketorch), call_function=call_function)


def test_input_tensors_and_compiled_clone():
    model = _sequential(ketorch)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    new_input = ketorch.Input((6,), name="fresh")
    clone = ketorch.models.clone_model(model, input_tensors=new_input)
    assert clone.inputs[0] is new_input and clone.compiled
    assert type(clone.optimizer).__name__ == "Adam"
    clone.fit(np.zeros((4, 6)), np.zeros((4, 2)), verbose=0)
    functional = _functional(ketorch)
    other = ketorch.Input((6,))
    clone = ketorch.models.clone_model(functional, input_tensors=[other])
    assert clone.inputs[0] is other
    with pytest.raises(ValueError, match="must be KerasTensors"):
        ketorch.models.clone_model(functional, input_tensors=[np.zeros((1, 6))])


def test_nested_models_recursive():
    inner = _sequential(ketorch)
    inputs = ketorch.Input((6,))
    outer = ketorch.Model(inputs, ketorch.layers.Dense(1)(inner(inputs)))
    flat = ketorch.models.clone_model(outer)
    assert flat.layers[1] is not inner
    seen = []
    ketorch.models.clone_model(
        outer,
        clone_function=lambda layer: (
            seen.append(layer.name) or layer.__class__.from_config(layer.get_config())
        ),
        recursive=True,
    )
    assert {layer.name for layer in inner.layers} <= set(seen)


def test_subclassed_model_clone():
    class Net(ketorch.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = ketorch.layers.Dense(units)

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    clone = ketorch.models.clone_model(Net(units=5))
    assert isinstance(clone, Net) and clone.units == 5
    with pytest.raises(ValueError, match="only supported for Sequential models or Functional"):
        ketorch.models.clone_model(Net(), clone_function=lambda layer: layer)


@pytest.mark.parametrize("build", [_functional, _sequential])
def test_to_json_round_trips_with_keras(build, rng):
    x = rng.normal(size=(3, 6)).astype("float32")
    ours = build(ketorch)
    text = ours.to_json()
    assert json.loads(text)["class_name"] in ("Functional", "Sequential")
    theirs = keras.models.model_from_json(text)
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(theirs.predict(x, verbose=0)),
        ours.predict(x, verbose=0),
        atol=1e-6,
    )
    back = ketorch.models.model_from_json(build(keras).to_json())
    back.set_weights(ours.get_weights())
    np.testing.assert_allclose(back.predict(x, verbose=0), ours.predict(x, verbose=0), atol=1e-6)
    assert json.loads(ours.to_json(indent=2)) == json.loads(text)


def test_model_from_json_custom_objects():
    @ketorch.saving.register_keras_serializable(package="JsonTest")
    class Scale(ketorch.layers.Layer):
        def call(self, x):
            return 3 * x

    inputs = ketorch.Input((2,))
    model = ketorch.Model(inputs, Scale()(inputs))
    rebuilt = ketorch.models.model_from_json(model.to_json())
    np.testing.assert_array_equal(rebuilt.predict(np.ones((1, 2)), verbose=0), [[3.0, 3.0]])


def test_model_from_intermediate_tensors():
    inputs = ketorch.Input((4,))
    features = ketorch.layers.Dense(3, name="features")(inputs)
    head = ketorch.layers.Dense(1, name="head")(features)
    top = ketorch.Model(inputs=features, outputs=head)
    assert [layer.name for layer in top.layers][-1] == "head"
    assert top.input_shape == (None, 3)
    x = np.ones((2, 3), "float32")
    expected = top.get_layer("head")(ketorch.ops.convert_to_tensor(x)).detach().numpy()
    np.testing.assert_allclose(top.predict(x, verbose=0), expected)
