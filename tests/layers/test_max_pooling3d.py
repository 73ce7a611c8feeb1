import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras
from pooling_reference import pool_reference

from ketorch.layers.pooling.max_pooling3d import MaxPool3D, MaxPooling3D


def test_contract():
    run_layer_contract(
        MaxPooling3D,
        {"pool_size": 2, "padding": "same"},
        (2, 3, 4, 5, 2),
        expected_output_shape=(2, 2, 2, 3, 2),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"pool_size": (2, 1, 3), "strides": (1, 2, 1)},
        {"pool_size": 2, "padding": "same"},
        {"pool_size": 3, "strides": 2, "padding": "same"},
        {"pool_size": (2, 3, 2), "strides": 1, "padding": "same"},
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_parity(kwargs, data_format, rng):
    kwargs = {**kwargs, "data_format": data_format}
    x = (rng.standard_normal((2, 5, 6, 4, 3)) - 5).astype("float32")
    ours = MaxPooling3D(**kwargs)
    got = compare_layer(ours, keras.layers.MaxPooling3D(**kwargs), x, atol=0)
    if data_format == "channels_last":
        ref = pool_reference(x, ours.pool_size, ours.strides, ours.padding, "max")
        np.testing.assert_array_equal(got, ref)


def test_defaults_config_and_errors():
    layer = MaxPooling3D()
    assert layer.pool_size == (2, 2, 2) and layer.strides == (2, 2, 2)
    assert MaxPool3D is MaxPooling3D
    config = layer.get_config()
    assert not set(keras.layers.MaxPooling3D().get_config()) - set(config)
    assert MaxPooling3D.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="Received: pool_size=\\(2, 2\\)"):
        MaxPooling3D((2, 2))
    with pytest.raises(ValueError, match="expected ndim=5"):
        MaxPooling3D()(torch.ones(1, 4, 4, 1))
    with pytest.raises(ValueError, match="output would be empty"):
        MaxPooling3D(3).compute_output_shape((None, 2, 4, 4, 1))
