import pytest
from parity import keras

import ketorch
from ketorch import layers


def test_serialize_round_trip_and_keras_format():
    layer = layers.Dense(3, activation="relu", name="head")
    config = layers.serialize(layer)
    assert config["module"] == "keras.layers" and config["class_name"] == "Dense"
    clone = layers.deserialize(config)
    assert isinstance(clone, layers.Dense) and clone.get_config() == layer.get_config()
    theirs = keras.layers.deserialize(config)
    assert theirs.units == 3 and theirs.name == "head"
    ours = layers.deserialize(keras.layers.serialize(keras.layers.EinsumDense("ab,bc->ac", 4)))
    assert isinstance(ours, layers.EinsumDense)


def test_deserialize_custom_objects():
    class Custom(ketorch.layers.Layer):
        def call(self, x):
            return x

    config = layers.serialize(Custom(name="c"))
    assert layers.deserialize(config, custom_objects={"Custom": Custom}).name == "c"


def test_deserialize_rejects_non_layers():
    with pytest.raises(ValueError, match="not a layer"):
        layers.deserialize(ketorch.optimizers.serialize(ketorch.optimizers.SGD()))
