import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras, to_numpy
from pooling_reference import pool_reference

from ketorch.layers.pooling.average_pooling1d import AveragePooling1D, AvgPool1D


def test_contract():
    run_layer_contract(
        AveragePooling1D,
        {"pool_size": 3, "strides": 2, "padding": "same"},
        (2, 7, 3),
        expected_output_shape=(2, 4, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize("pool_size", [1, 2, 3, 4])
@pytest.mark.parametrize("strides", [None, 1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_matches_tensorflow_semantics(pool_size, strides, padding, rng):
    for steps in (6, 7):
        x = rng.standard_normal((2, steps, 3)).astype("float32")
        layer = AveragePooling1D(pool_size, strides, padding)
        got = to_numpy(layer(torch.as_tensor(x)))
        ref = pool_reference(x, layer.pool_size, layer.strides, padding, "average")
        np.testing.assert_allclose(got, ref, atol=1e-6, rtol=1e-5)
        assert got.shape[1] == layer.compute_output_shape((None, steps, 3))[1]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pool_size": 2},
        {"pool_size": 3, "strides": 1},
        {"pool_size": 3, "strides": 1, "padding": "same"},
        {"pool_size": 3, "strides": 2, "padding": "same"},  # 9 steps: symmetric padding
        {"pool_size": 2, "data_format": "channels_first"},
    ],
)
def test_keras_parity(kwargs, rng):
    x = rng.standard_normal((2, 9, 4)).astype("float32")
    compare_layer(AveragePooling1D(**kwargs), keras.layers.AveragePooling1D(**kwargs), x)


def test_known_values_and_config():
    x = torch.arange(8.0).reshape(1, 8, 1)
    # The last window holds steps 6 and 7 only; TensorFlow/Keras semantics average those two.
    y = AveragePooling1D(3, 2, "same")(x)
    assert y.flatten().tolist() == [1.0, 3.0, 5.0, 6.5]
    assert AvgPool1D is AveragePooling1D
    config = AveragePooling1D(3, padding="same").get_config()
    assert not set(keras.layers.AveragePooling1D(3).get_config()) - set(config)
    assert config["strides"] == (3,)
    assert AveragePooling1D.from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="Received: pool_size=\\(2, 2\\)"):
        AveragePooling1D((2, 2))
    with pytest.raises(ValueError, match="Received: padding='causal'"):
        AveragePooling1D(2, padding="causal")
    with pytest.raises(ValueError, match="expected ndim=3"):
        AveragePooling1D(2)(torch.ones(1, 4, 4, 1))
