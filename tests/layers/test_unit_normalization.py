import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.normalization import UnitNormalization


def test_contract():
    run_layer_contract(
        UnitNormalization,
        {"axis": [1, 2]},
        (2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
    )


@pytest.mark.parametrize("axis,shape", [(-1, (3, 5)), (1, (2, 3, 4)), ([1, 2], (2, 3, 4))])
def test_parity(axis, shape, rng):
    x = rng.standard_normal(shape).astype("float32")
    compare_layer(UnitNormalization(axis=axis), keras.layers.UnitNormalization(axis=axis), x)


def test_unit_norm_and_zero_vector():
    y = UnitNormalization()(torch.tensor([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(y.numpy(), [[0.6, 0.8], [0.0, 0.0]], atol=1e-6)


def test_config_and_symbolic_shape():
    layer = UnitNormalization(axis=[1, 2])
    assert layer.get_config()["axis"] == [1, 2]
    assert UnitNormalization()(ketorch.Input(shape=(3,))).shape == (None, 3)


@pytest.mark.parametrize("bad", ["x", 1.0, []])
def test_bad_axis(bad):
    with pytest.raises(TypeError, match="Received: axis="):
        UnitNormalization(axis=bad)
