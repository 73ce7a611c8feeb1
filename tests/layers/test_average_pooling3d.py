import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras, to_numpy
from pooling_reference import pool_reference

from ketorch.layers.pooling.average_pooling3d import AveragePooling3D, AvgPool3D


def test_contract():
    run_layer_contract(
        AveragePooling3D,
        {"pool_size": 2, "padding": "same"},
        (2, 3, 4, 5, 2),
        expected_output_shape=(2, 2, 2, 3, 2),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pool_size": 2},
        {"pool_size": (2, 1, 3), "strides": (1, 2, 1)},
        {"pool_size": 2, "padding": "same"},
        {"pool_size": 3, "strides": 2, "padding": "same"},
        {"pool_size": (2, 3, 2), "strides": 1, "padding": "same"},
    ],
)
def test_matches_tensorflow_semantics(kwargs, rng):
    x = rng.standard_normal((2, 5, 6, 4, 3)).astype("float32")
    layer = AveragePooling3D(**kwargs)
    got = to_numpy(layer(torch.as_tensor(x)))
    ref = pool_reference(x, layer.pool_size, layer.strides, layer.padding, "average")
    np.testing.assert_allclose(got, ref, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(
    "kwargs", [{"pool_size": 2}, {"pool_size": 3, "strides": 2, "padding": "same"}]
)
def test_keras_parity(kwargs, data_format, rng):
    kwargs = {**kwargs, "data_format": data_format}
    x = rng.standard_normal((2, 5, 7, 5, 5)).astype("float32")  # symmetric "same" padding
    compare_layer(AveragePooling3D(**kwargs), keras.layers.AveragePooling3D(**kwargs), x)


def test_config_and_errors():
    assert AvgPool3D is AveragePooling3D
    config = AveragePooling3D(2).get_config()
    assert not set(keras.layers.AveragePooling3D(2).get_config()) - set(config)
    assert AveragePooling3D.from_config(config).get_config() == config
    with pytest.raises(TypeError):
        AveragePooling3D()  # pool_size is required, as in Keras
    with pytest.raises(ValueError, match="expected ndim=5"):
        AveragePooling3D(2)(torch.ones(1, 4, 4, 1))
