import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers.pooling.global_max_pooling1d import GlobalMaxPool1D, GlobalMaxPooling1D


def test_contract():
    run_layer_contract(
        GlobalMaxPooling1D,
        {},
        (2, 7, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_parity(data_format, keepdims, rng):
    kwargs = {"data_format": data_format, "keepdims": keepdims}
    x = rng.standard_normal((2, 7, 3)).astype("float32")
    ours = GlobalMaxPooling1D(**kwargs)
    got = compare_layer(ours, keras.layers.GlobalMaxPooling1D(**kwargs), x)
    assert got.shape == ours.compute_output_shape(x.shape)
    unknown = (None,) * 2 + (3,)
    assert ours.compute_output_shape(unknown) == tuple(
        keras.layers.GlobalMaxPooling1D(**kwargs).compute_output_shape(unknown)
    )


def test_config_and_errors():
    assert GlobalMaxPool1D is GlobalMaxPooling1D
    config = GlobalMaxPooling1D(keepdims=True).get_config()
    assert not set(keras.layers.GlobalMaxPooling1D().get_config()) - set(config)
    assert GlobalMaxPooling1D.from_config(config).get_config() == config
    assert not GlobalMaxPooling1D().supports_masking
    with pytest.raises(ValueError, match="Received: data_format='nchw'"):
        GlobalMaxPooling1D(data_format="nchw")
    with pytest.raises(ValueError, match="gp.*expected ndim=3"):
        GlobalMaxPooling1D(name="gp")(torch.ones(2, 3))
