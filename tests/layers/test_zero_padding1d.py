import pytest
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.reshaping import ZeroPadding1D


def test_contract():
    run_layer_contract(
        ZeroPadding1D, {"padding": (1, 2)}, (2, 3, 4), expected_output_shape=(2, 6, 4)
    )


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding": 3}, {"padding": (0, 2)}, {"padding": (1, 2), "data_format": "channels_first"}],
)
def test_parity(kwargs, rng):
    x = rng.standard_normal((2, 5, 4)).astype("float32")
    compare_layer(ZeroPadding1D(**kwargs), keras.layers.ZeroPadding1D(**kwargs), x)


def test_symbolic_shape_and_config_match_keras():
    ours = ZeroPadding1D((1, 2))
    assert ours(ketorch.Input((None, 4))).shape == (None, None, 4)
    assert ours(ketorch.Input((5, 4))).shape == (None, 8, 4)
    theirs = keras.layers.ZeroPadding1D((1, 2)).get_config()
    assert {k: ours.get_config()[k] for k in ("padding", "data_format")} == {
        k: theirs[k] for k in ("padding", "data_format")
    }


@pytest.mark.parametrize("bad", [-1, (1, -2), (1, 2, 3), "x"])
def test_bad_padding(bad):
    with pytest.raises(ValueError, match=r"Received: padding="):
        ZeroPadding1D(bad)


def test_bad_data_format():
    with pytest.raises(ValueError, match=r"Received: data_format='nhwc'"):
        ZeroPadding1D(data_format="nhwc")
