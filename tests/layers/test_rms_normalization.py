import pytest
import torch
from layer_contract import run_layer_contract
from model_parity import fit_parity
from parity import compare_layer, keras

import ketorch
from ketorch.layers import RMSNormalization


@pytest.mark.parametrize(
    "kwargs,shape",
    [
        ({}, (2, 3, 5)),
        ({"axis": [-2, -1]}, (2, 3, 5)),
        ({"epsilon": 0.5}, (4, 6)),
    ],
)
def test_parity(kwargs, shape, rng):
    x = rng.standard_normal(shape).astype("float32")
    layer = RMSNormalization(**kwargs)
    layer.build(shape)
    with torch.no_grad():
        layer.scale.add_(torch.randn(layer.scale.shape))
    compare_layer(layer, keras.layers.RMSNormalization(**kwargs), x)


@pytest.mark.parametrize("axis,shape", [(1, (2, 3, 5)), ([1, 2], (2, 3, 4, 5))])
def test_non_trailing_axes_are_normalized_correctly(axis, shape):
    # (Keras's torch backend fails on these: its fused kernel only covers trailing axes.)
    x = torch.randn(shape)
    y = RMSNormalization(axis=axis, epsilon=0.0)(x)
    dims = [axis] if isinstance(axis, int) else axis
    torch.testing.assert_close(y, x / x.square().mean(dim=dims, keepdim=True).sqrt())


def test_contract():
    run_layer_contract(RMSNormalization, {"axis": -1}, (2, 5, 3), expected_num_trainable_weights=1)


def test_half_precision_input_is_cast_up_as_keras():
    x = torch.randn(2, 8) * 300
    y = RMSNormalization()(x.to(torch.bfloat16))
    expected = keras.layers.RMSNormalization()(x.to(torch.bfloat16))
    assert y.dtype == torch.float32 and str(expected.dtype) == "torch.float32"
    torch.testing.assert_close(y, expected.detach().cpu())


def test_config_matches_keras():
    ours, theirs = RMSNormalization().get_config(), keras.layers.RMSNormalization().get_config()
    assert ours == {**theirs, "name": ours["name"]}


def test_errors():
    with pytest.raises(ValueError, match="out of bounds"):
        RMSNormalization(axis=3)(torch.ones(2, 3))
    with pytest.raises(TypeError, match="axis"):
        RMSNormalization(axis="x")


def test_training_matches_keras(rng):
    def build(lib):
        inputs = lib.Input((4, 6))
        h = lib.layers.RMSNormalization()(lib.layers.Dense(6)(inputs))
        return lib.Model(inputs, lib.layers.Dense(1)(h))

    x = rng.standard_normal((16, 4, 6)).astype("float32")
    y = rng.standard_normal((16, 4, 1)).astype("float32")
    fit_parity(build, x, y, epochs=2)
    assert ketorch.layers.RMSNormalization
