import math

import pytest
import torch
from layer_contract import run_layer_contract
from parity import keras

from ketorch.layers import AlphaDropout

ALPHA_P = -1.6732632423543772 * 1.0507009873554805


def test_inference_is_identity():
    x = torch.randn(4, 5)
    assert torch.equal(AlphaDropout(0.4)(x), x)
    assert torch.equal(AlphaDropout(0.4)(x, training=False), x)


def test_training_follows_the_selu_affine_map():
    rate = 0.3
    x = torch.randn(200, 50)
    y = AlphaDropout(rate, seed=1)(x, training=True)
    a = ((1 - rate) * (1 + rate * ALPHA_P**2)) ** -0.5
    b = -a * ALPHA_P * rate
    dropped = torch.isclose(y, torch.full_like(y, a * ALPHA_P + b))
    torch.testing.assert_close(y[~dropped], a * x[~dropped] + b)
    assert abs(dropped.float().mean().item() - rate) < 0.02


def test_keeps_zero_mean_unit_variance():
    x = torch.randn(400, 500)
    # (A seed other than the global one: the same seed would correlate noise and inputs.)
    y = AlphaDropout(0.2, seed=5)(x, training=True)
    assert abs(y.mean().item()) < 0.02
    assert abs(y.var().item() - 1.0) < 0.03


def test_noise_shape_and_seed():
    x = torch.randn(3, 6, 4)
    y = AlphaDropout(0.5, noise_shape=(None, 1, 4), seed=3)(x, training=True)
    a = (0.5 * (1 + 0.5 * ALPHA_P**2)) ** -0.5
    dropped = torch.isclose(y, torch.full_like(y, a * ALPHA_P - a * ALPHA_P * 0.5))
    assert torch.equal(dropped, dropped[:, :1].expand_as(dropped))  # same along axis 1
    again = AlphaDropout(0.5, noise_shape=(None, 1, 4), seed=3)(x, training=True)
    assert torch.equal(y, again)


def test_contract():
    run_layer_contract(AlphaDropout, {"rate": 0.2, "noise_shape": (None, 1, 3)}, (2, 5, 3),
                       expected_num_trainable_weights=0, supports_masking=True)  # fmt: skip


def test_config_matches_keras():
    ours = AlphaDropout(0.2, seed=4).get_config()
    theirs = keras.layers.AlphaDropout(0.2, seed=4).get_config()
    assert ours == theirs


@pytest.mark.parametrize("rate", [-0.1, 1.5, "x"])
def test_bad_rate(rate):
    with pytest.raises(ValueError, match="rate"):
        AlphaDropout(rate)


def test_rate_zero_is_identity_in_training():
    x = torch.randn(2, 3)
    assert torch.equal(AlphaDropout(0.0)(x, training=True), x)
    assert math.isfinite(AlphaDropout(0.99)(x, training=True).sum().item())
