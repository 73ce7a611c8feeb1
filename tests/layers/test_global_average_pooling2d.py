import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers.pooling.global_average_pooling2d import GlobalAveragePooling2D, GlobalAvgPool2D


def test_contract():
    run_layer_contract(
        GlobalAveragePooling2D,
        {},
        (2, 5, 6, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_parity(data_format, keepdims, rng):
    kwargs = {"data_format": data_format, "keepdims": keepdims}
    x = rng.standard_normal((2, 5, 6, 3)).astype("float32")
    ours = GlobalAveragePooling2D(**kwargs)
    got = compare_layer(ours, keras.layers.GlobalAveragePooling2D(**kwargs), x)
    assert got.shape == ours.compute_output_shape(x.shape)
    unknown = (None,) * 3 + (3,)
    assert ours.compute_output_shape(unknown) == tuple(
        keras.layers.GlobalAveragePooling2D(**kwargs).compute_output_shape(unknown)
    )


def test_config_and_errors():
    assert GlobalAvgPool2D is GlobalAveragePooling2D
    config = GlobalAveragePooling2D(keepdims=True).get_config()
    assert not set(keras.layers.GlobalAveragePooling2D().get_config()) - set(config)
    assert GlobalAveragePooling2D.from_config(config).get_config() == config
    assert not GlobalAveragePooling2D().supports_masking
    with pytest.raises(ValueError, match="Received: data_format='nchw'"):
        GlobalAveragePooling2D(data_format="nchw")
    with pytest.raises(ValueError, match="gp.*expected ndim=4"):
        GlobalAveragePooling2D(name="gp")(torch.ones(2, 4, 3))
