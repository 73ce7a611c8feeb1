import pytest
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers.activations import LeakyReLU


def test_contract():
    run_layer_contract(LeakyReLU, {}, (2, 3), expected_output_shape=(2, 3), supports_masking=True)


@pytest.mark.parametrize("kwargs", [{}, {"negative_slope": 0.01}, {"negative_slope": 0.0}])
def test_parity(kwargs, rng):
    x = rng.standard_normal((3, 7)).astype("float32")
    compare_layer(LeakyReLU(**kwargs), keras.layers.LeakyReLU(**kwargs), x)


def test_default_and_keras2_alpha():
    assert LeakyReLU().negative_slope == 0.3
    with pytest.warns(UserWarning, match="alpha"):
        layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    assert layer.get_config()["negative_slope"] == 0.1
    assert "alpha" not in layer.get_config()


def test_config_matches_keras():
    assert set(keras.layers.LeakyReLU().get_config()) <= set(LeakyReLU().get_config())


@pytest.mark.parametrize("bad", [-0.1, None])
def test_bad_slope(bad):
    with pytest.raises(ValueError, match=f"Received: negative_slope={bad!r}"):
        LeakyReLU(negative_slope=bad)
