"""Keras's "Save, serialize, and export models" guide: registered custom functions and layers.

A custom activation registered with ``register_keras_serializable`` and a custom layer holding a
sublayer are saved in a ``.keras`` file; the file loads in ketorch and in real Keras (both ways)
without ``custom_objects``, and predictions agree.
"""

import numpy as np
import pytest
from parity import keras

import ketorch


def build(K):
    @K.saving.register_keras_serializable(package="my_package", name="custom_fn")
    def custom_fn(x):
        return x**2

    @K.saving.register_keras_serializable(package="my_package")
    class CustomLayer(K.layers.Layer):
        def __init__(self, sublayer, **kwargs):
            super().__init__(**kwargs)
            self.sublayer = sublayer

        def call(self, x):
            return self.sublayer(x)

        def get_config(self):
            base_config = super().get_config()
            config = {"sublayer": K.saving.serialize_keras_object(self.sublayer)}
            return {**base_config, **config}

        @classmethod
        def from_config(cls, config):
            sublayer_config = config.pop("sublayer")
            sublayer = K.saving.deserialize_keras_object(sublayer_config)
            return cls(sublayer, **config)

    inputs = K.Input((4,))
    x = K.layers.Dense(3, activation=custom_fn)(inputs)
    outputs = CustomLayer(K.layers.Dense(2, activation="tanh"))(x)
    return K.Model(inputs, outputs)


@pytest.mark.parametrize("writer", ["ketorch", "keras"])
def test_registered_function_and_layer_load_both_ways(writer, tmp_path):
    ours, theirs = build(ketorch), build(keras)
    theirs.set_weights(ours.get_weights())
    data = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    want = np.asarray(theirs.predict(data, verbose=0))
    np.testing.assert_allclose(ours.predict(data, verbose=0), want, rtol=1e-5, atol=1e-6)
    path = tmp_path / "model.keras"
    (ours if writer == "ketorch" else theirs).save(path)
    for K in (ketorch, keras):
        loaded = K.models.load_model(path)
        assert loaded.layers[1].activation.__name__ == "custom_fn"
        got = np.asarray(loaded.predict(data, verbose=0))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_unregistered_function_needs_custom_objects(tmp_path):
    def cube(x):
        return x**3

    inputs = ketorch.Input((2,))
    model = ketorch.Model(inputs, ketorch.layers.Dense(2, activation=cube)(inputs))
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="cube"):
        ketorch.models.load_model(tmp_path / "m.keras")
    loaded = ketorch.models.load_model(tmp_path / "m.keras", custom_objects={"cube": cube})
    assert loaded.layers[1].activation is cube
