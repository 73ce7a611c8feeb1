import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras, to_numpy
from pooling_reference import pool_reference

from ketorch.layers.pooling.max_pooling1d import MaxPool1D, MaxPooling1D


def test_contract():
    run_layer_contract(
        MaxPooling1D,
        {"pool_size": 2, "padding": "same"},
        (2, 7, 3),
        expected_output_shape=(2, 4, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize("pool_size", [1, 2, 3, 4])
@pytest.mark.parametrize("strides", [None, 1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_parity(pool_size, strides, padding, rng):
    kwargs = {"pool_size": pool_size, "strides": strides, "padding": padding}
    # All-negative inputs: a zero-padded border would win the max.
    x = (rng.standard_normal((2, 7, 3)) - 5).astype("float32")
    ours = MaxPooling1D(**kwargs)
    got = compare_layer(ours, keras.layers.MaxPooling1D(**kwargs), x, atol=0)
    ref = pool_reference(x, ours.pool_size, ours.strides, padding, "max")
    np.testing.assert_array_equal(got, ref)


def test_channels_first(rng):
    kwargs = {"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"}
    x = (rng.standard_normal((2, 3, 8)) - 5).astype("float32")
    compare_layer(MaxPooling1D(**kwargs), keras.layers.MaxPooling1D(**kwargs), x, atol=0)


def test_defaults_config_and_errors():
    layer = MaxPooling1D()
    assert layer.pool_size == (2,) and layer.strides == (2,)
    assert MaxPool1D is MaxPooling1D
    config = MaxPooling1D(3, 1, "same").get_config()
    assert not set(keras.layers.MaxPooling1D().get_config()) - set(config)
    assert MaxPooling1D.from_config(config).get_config() == config
    assert to_numpy(layer(torch.tensor([[[1.0], [3.0], [2.0], [0.0]]]))).ravel().tolist() == [
        3.0,
        2.0,
    ]
    with pytest.raises(ValueError, match="Received: strides=0"):
        MaxPooling1D(2, 0)
    with pytest.raises(ValueError, match="expected ndim=3"):
        MaxPooling1D()(torch.ones(1, 4, 4, 1))
