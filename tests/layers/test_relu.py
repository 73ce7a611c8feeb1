import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers.activations import ReLU


def test_contract():
    run_layer_contract(
        ReLU,
        {"max_value": 6.0},
        (2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        supports_masking=True,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"max_value": 6.0},
        {"max_value": 1.0},
        {"negative_slope": 0.2},
        {"negative_slope": 0.2, "max_value": 1.5},
        {"threshold": 0.5},
        {"threshold": 0.5, "negative_slope": 0.1},
        {"threshold": 0.5, "negative_slope": 0.1, "max_value": 2.0},
        {"threshold": 1.0, "max_value": 2.0},
    ],
)
def test_parity(kwargs, rng):
    x = (rng.standard_normal((4, 50)) * 3).astype("float32")
    x[0, :4] = [0.0, 0.5, 1.0, 2.0]  # values on the threshold and the cap
    compare_layer(ReLU(**kwargs), keras.layers.ReLU(**kwargs), x)


def test_config_matches_keras():
    ours = ReLU(max_value=2.0, threshold=0.1).get_config()
    theirs = keras.layers.ReLU(max_value=2.0, threshold=0.1).get_config()
    assert set(theirs) <= set(ours)
    for k in ("max_value", "negative_slope", "threshold"):
        assert ours[k] == theirs[k]


def test_int_input_gives_float():
    assert ReLU()(torch.tensor([-1, 2])).dtype == torch.float32
    np.testing.assert_array_equal(ReLU()(torch.tensor([-1, 2])).numpy(), [0.0, 2.0])


@pytest.mark.parametrize("arg", ["max_value", "negative_slope", "threshold"])
def test_negative_arguments(arg):
    with pytest.raises(ValueError, match=f"Received: {arg}=-1"):
        ReLU(**{arg: -1})
