import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers.pooling.global_max_pooling2d import GlobalMaxPool2D, GlobalMaxPooling2D


def test_contract():
    run_layer_contract(
        GlobalMaxPooling2D,
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
    ours = GlobalMaxPooling2D(**kwargs)
    got = compare_layer(ours, keras.layers.GlobalMaxPooling2D(**kwargs), x)
    assert got.shape == ours.compute_output_shape(x.shape)
    unknown = (None,) * 3 + (3,)
    assert ours.compute_output_shape(unknown) == tuple(
        keras.layers.GlobalMaxPooling2D(**kwargs).compute_output_shape(unknown)
    )


def test_config_and_errors():
    assert GlobalMaxPool2D is GlobalMaxPooling2D
    config = GlobalMaxPooling2D(keepdims=True).get_config()
    assert not set(keras.layers.GlobalMaxPooling2D().get_config()) - set(config)
    assert GlobalMaxPooling2D.from_config(config).get_config() == config
    assert not GlobalMaxPooling2D().supports_masking
    with pytest.raises(ValueError, match="Received: data_format='nchw'"):
        GlobalMaxPooling2D(data_format="nchw")
    with pytest.raises(ValueError, match="gp.*expected ndim=4"):
        GlobalMaxPooling2D(name="gp")(torch.ones(2, 4, 3))
