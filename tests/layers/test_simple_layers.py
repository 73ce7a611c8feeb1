import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers import Activation, Dropout, Flatten

ACTIVATIONS = [
    "relu", "sigmoid", "softmax", "tanh", "hard_sigmoid", "linear", "elu", "selu", "softplus",
    "softsign", "swish", "silu", "gelu", "exponential", "leaky_relu", None,
]  # fmt: skip


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_parity(name, rng):
    x = rng.standard_normal((3, 5)).astype("float32") * 3
    compare_layer(Activation(name), keras.layers.Activation(name), x, atol=1e-5)


def test_activation_contract():
    run_layer_contract(Activation, {"activation": "relu"}, (2, 3), expected_output_shape=(2, 3))


def test_unknown_activation_lists_names():
    with pytest.raises(ValueError, match="Unknown activation function 'rleu'.*relu.*Received"):
        Activation("rleu")


def test_dropout_contract_and_inference_identity():
    run_layer_contract(Dropout, {"rate": 0.5}, (2, 3), expected_output_shape=(2, 3))
    x = torch.ones(100, 10)
    assert torch.equal(Dropout(0.5)(x), x)
    y = Dropout(0.5)(x, training=True)
    assert set(torch.unique(y).tolist()) <= {0.0, 2.0}
    assert 0.3 < (y == 0).float().mean() < 0.7


def test_dropout_noise_shape():
    y = Dropout(0.5, noise_shape=(None, 1, 4))(torch.ones(3, 5, 4), training=True)
    assert torch.equal(y[:, 0, :], y[:, 3, :])


def test_dropout_bad_rate():
    with pytest.raises(ValueError, match="Received: rate=1.5"):
        Dropout(1.5)


def test_flatten(rng):
    run_layer_contract(Flatten, {}, (2, 3, 4), expected_output_shape=(2, 12))
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    compare_layer(Flatten(), keras.layers.Flatten(), x)
