import pytest
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.reshaping import ZeroPadding2D


def test_contract():
    run_layer_contract(
        ZeroPadding2D,
        {"padding": ((1, 0), (2, 2))},
        (2, 3, 3, 2),
        expected_output_shape=(2, 4, 7, 2),
    )


@pytest.mark.parametrize("padding", [1, (1, 2), ((1, 0), (2, 3)), ((0, 0), (0, 1))])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_parity(padding, data_format, rng):
    x = rng.standard_normal((2, 4, 5, 3)).astype("float32")
    compare_layer(
        ZeroPadding2D(padding, data_format), keras.layers.ZeroPadding2D(padding, data_format), x
    )


def test_symbolic_shape_and_config():
    layer = ZeroPadding2D(((1, 0), (2, 3)))
    assert layer(ketorch.Input((None, 5, 3))).shape == (None, None, 10, 3)
    cfg = layer.get_config()
    assert cfg["padding"] == ((1, 0), (2, 3)) and cfg["data_format"] == "channels_last"
    assert keras.layers.ZeroPadding2D(((1, 0), (2, 3))).get_config()["padding"] == cfg["padding"]


@pytest.mark.parametrize("bad", [-1, (1, 2, 3), ((1, 2), (3,)), ((1, -1), (0, 0))])
def test_bad_padding(bad):
    with pytest.raises(ValueError, match=r"Received: padding="):
        ZeroPadding2D(bad)


def test_wrong_rank():
    with pytest.raises(ValueError, match=r"layer 'zp'.*expected ndim=4"):
        ZeroPadding2D(name="zp")(ketorch.Input((3, 4)))
