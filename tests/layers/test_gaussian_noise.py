import pytest
import torch
from layer_contract import run_layer_contract
from parity import keras

from ketorch.layers.regularization import GaussianNoise


def test_contract():
    run_layer_contract(
        GaussianNoise,
        {"stddev": 0.2, "seed": 1},
        (2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        supports_masking=True,
    )


def test_statistics_in_training_and_identity_in_inference():
    layer = GaussianNoise(0.5)
    x = torch.full((200, 500), 3.0)
    noise = layer(x, training=True) - x
    assert abs(noise.mean().item()) < 0.01
    assert abs(noise.std().item() - 0.5) < 0.01
    assert torch.equal(layer(x), x)
    assert torch.equal(layer(x, training=False), x)


def test_seed_repeatable():
    x = torch.zeros(4, 4)
    assert torch.equal(
        GaussianNoise(0.1, seed=7)(x, training=True), GaussianNoise(0.1, seed=7)(x, training=True)
    )


def test_config_matches_keras():
    ours = GaussianNoise(0.1, seed=2).get_config()
    theirs = keras.layers.GaussianNoise(0.1, seed=2).get_config()
    assert set(theirs) <= set(ours)
    assert ours["stddev"] == 0.1 and ours["seed"] == 2


@pytest.mark.parametrize("bad", [-0.1, 1.5, "a"])
def test_bad_stddev(bad):
    with pytest.raises(ValueError, match=f"Received: stddev={bad!r}"):
        GaussianNoise(bad)
