import math

import pytest
import torch
from layer_contract import run_layer_contract
from parity import keras

from ketorch.layers.regularization import GaussianDropout


def test_contract():
    run_layer_contract(
        GaussianDropout,
        {"rate": 0.3},
        (2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        supports_masking=True,
    )


def test_statistics_in_training_and_identity_in_inference():
    layer = GaussianDropout(0.2)
    x = torch.full((200, 500), 2.0)
    factor = layer(x, training=True) / x
    assert abs(factor.mean().item() - 1.0) < 0.01
    assert abs(factor.std().item() - math.sqrt(0.2 / 0.8)) < 0.01
    assert torch.equal(layer(x), x)


def test_rate_zero_is_identity_in_training():
    x = torch.randn(3, 3)
    assert torch.equal(GaussianDropout(0.0)(x, training=True), x)


def test_config_matches_keras():
    ours = GaussianDropout(0.1, seed=2).get_config()
    theirs = keras.layers.GaussianDropout(0.1, seed=2).get_config()
    assert set(theirs) <= set(ours)


@pytest.mark.parametrize("bad", [-0.1, 1.5, None])
def test_bad_rate(bad):
    with pytest.raises(ValueError, match=f"Received: rate={bad!r}"):
        GaussianDropout(bad)
