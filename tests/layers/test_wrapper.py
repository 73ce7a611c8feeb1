import numpy as np
import pytest
import torch
from parity import keras

import ketorch
from ketorch.layers import Dense, TimeDistributed, Wrapper


@ketorch.saving.register_keras_serializable(package="WrapperTest")
class Doubled(Wrapper):
    def call(self, x):
        return 2 * self.layer(x)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)


def test_custom_wrapper_builds_serializes_and_saves(tmp_path):
    layer = Doubled(Dense(3))
    layer.build((None, 4))
    assert layer.layer.built and [w.shape for w in layer.get_weights()] == [(4, 3), (3,)]
    config = layer.get_config()
    assert config["layer"]["class_name"] == "Dense"
    clone = Doubled.from_config(config)
    assert isinstance(clone.layer, Dense) and clone.layer.units == 3
    inputs = ketorch.Input((4,))
    model = ketorch.Model(inputs, Doubled(Dense(3))(inputs))
    x = np.ones((2, 4), "float32")
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = ketorch.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    torch.testing.assert_close(
        torch.as_tensor(model.predict(x, verbose=0)),
        2 * model.layers[1].layer(torch.as_tensor(x)).detach(),
    )


def test_keras_wrappers_are_wrappers():
    assert isinstance(TimeDistributed(Dense(2)), Wrapper)
    assert issubclass(ketorch.layers.SpectralNormalization, Wrapper)
    assert {"layer", "name", "trainable", "dtype"} == set(Doubled(Dense(2)).get_config())
    assert set(keras.layers.TimeDistributed(keras.layers.Dense(2)).get_config()) == set(
        TimeDistributed(Dense(2)).get_config()
    )


def test_not_a_layer():
    with pytest.raises(ValueError, match="supplied to Wrapper isn.t a supported layer type"):
        Doubled(3)
