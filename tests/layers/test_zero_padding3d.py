import pytest
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers import ZeroPadding3D


@pytest.mark.parametrize(
    "padding,data_format",
    [
        (((1, 0), (0, 2), (1, 1)), "channels_last"),
        (2, "channels_first"),
        ((0, 1, 2), "channels_last"),
    ],
)
def test_parity(padding, data_format, rng):
    x = rng.standard_normal((2, 3, 4, 2, 3)).astype("float32")
    kwargs = dict(padding=padding, data_format=data_format)
    out = compare_layer(ZeroPadding3D(**kwargs), keras.layers.ZeroPadding3D(**kwargs), x)
    assert ZeroPadding3D(**kwargs).compute_output_shape(x.shape) == out.shape


def test_contract():
    run_layer_contract(
        ZeroPadding3D,
        {"padding": ((1, 0), (0, 0), (2, 1))},
        (2, 2, 3, 2, 2),
        expected_output_shape=(2, 3, 3, 5, 2),
        expected_num_trainable_weights=0,
    )


def test_config_matches_keras():
    ours, theirs = ZeroPadding3D(1).get_config(), keras.layers.ZeroPadding3D(1).get_config()
    assert set(ours) == set(theirs)
    assert [tuple(p) for p in ours["padding"]] == [tuple(p) for p in theirs["padding"]]
    assert ZeroPadding3D.from_config(ours).padding == ((1, 1), (1, 1), (1, 1))


def test_errors():
    with pytest.raises(ValueError, match="tuple of 3"):
        ZeroPadding3D((1, 2))
    with pytest.raises(ValueError, match="non-negative"):
        ZeroPadding3D(((1, -1), 0, 0))
