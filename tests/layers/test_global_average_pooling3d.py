import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers.pooling.global_average_pooling3d import GlobalAveragePooling3D, GlobalAvgPool3D


def test_contract():
    run_layer_contract(
        GlobalAveragePooling3D,
        {},
        (2, 3, 4, 5, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_parity(data_format, keepdims, rng):
    kwargs = {"data_format": data_format, "keepdims": keepdims}
    x = rng.standard_normal((2, 3, 4, 5, 3)).astype("float32")
    ours = GlobalAveragePooling3D(**kwargs)
    got = compare_layer(ours, keras.layers.GlobalAveragePooling3D(**kwargs), x)
    assert got.shape == ours.compute_output_shape(x.shape)
    unknown = (None,) * 4 + (3,)
    assert ours.compute_output_shape(unknown) == tuple(
        keras.layers.GlobalAveragePooling3D(**kwargs).compute_output_shape(unknown)
    )


def test_config_and_errors():
    assert GlobalAvgPool3D is GlobalAveragePooling3D
    config = GlobalAveragePooling3D(keepdims=True).get_config()
    assert not set(keras.layers.GlobalAveragePooling3D().get_config()) - set(config)
    assert GlobalAveragePooling3D.from_config(config).get_config() == config
    assert not GlobalAveragePooling3D().supports_masking
    with pytest.raises(ValueError, match="Received: data_format='nchw'"):
        GlobalAveragePooling3D(data_format="nchw")
    with pytest.raises(ValueError, match="gp.*expected ndim=5"):
        GlobalAveragePooling3D(name="gp")(torch.ones(2, 4, 4, 3))
