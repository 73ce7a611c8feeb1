import pytest
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers.activations import ELU


def test_contract():
    run_layer_contract(
        ELU, {"alpha": 0.5}, (2, 3), expected_output_shape=(2, 3), supports_masking=True
    )


@pytest.mark.parametrize("alpha", [1.0, 0.3, 2.0])
def test_parity(alpha, rng):
    x = (rng.standard_normal((3, 9)) * 2).astype("float32")
    compare_layer(ELU(alpha=alpha), keras.layers.ELU(alpha=alpha), x)


def test_config_round_trip():
    config = ELU(alpha=0.7).get_config()
    assert config["alpha"] == 0.7
    assert ELU.from_config(config).alpha == 0.7


def test_bad_alpha():
    with pytest.raises(ValueError, match="Received: alpha='x'"):
        ELU(alpha="x")
