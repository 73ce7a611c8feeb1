import json

import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.preprocessing import Rescaling


def test_contract():
    run_layer_contract(
        Rescaling,
        {"scale": 0.5, "offset": -1.0},
        (2, 3),
        expected_output_shape=(2, 3),
        supports_masking=True,
    )
    run_layer_contract(
        Rescaling, {"scale": np.array([1.0, 2.0, 3.0])}, (2, 4, 3), expected_output_shape=(2, 4, 3)
    )


@pytest.mark.parametrize(
    "scale,offset",
    [(1 / 255, 0.0), (1 / 127.5, -1), (np.array([0.5, 2.0, 3.0]), np.array([1.0, 0.0, -1.0]))],
)
def test_parity(scale, offset, rng):
    x = (rng.random((2, 4, 4, 3)) * 255).astype("float32")
    compare_layer(Rescaling(scale, offset), keras.layers.Rescaling(scale, offset), x)


def test_integer_input_becomes_float(rng):
    x = rng.integers(0, 256, (2, 5)).astype("int32")
    y = compare_layer(Rescaling(1 / 255), keras.layers.Rescaling(1 / 255), x)
    assert y.dtype == np.float32


def test_config_matches_keras_and_survives_json():
    scale = np.array([1.0, 2.0])
    ours, theirs = Rescaling(scale).get_config(), keras.layers.Rescaling(scale).get_config()
    assert ours["scale"] == theirs["scale"] and ours["offset"] == theirs["offset"]
    clone = Rescaling.from_config(json.loads(json.dumps(ours)))
    assert clone(torch.ones(1, 2)).tolist() == [[1.0, 2.0]]


def test_channels_first_per_channel_scale():
    ketorch.config.set_image_data_format("channels_first")
    try:
        y = Rescaling(np.array([1.0, 10.0]))(torch.ones(1, 2, 3, 3))
    finally:
        ketorch.config.set_image_data_format("channels_last")
    assert y[0, 1].eq(10.0).all() and y[0, 0].eq(1.0).all()


def test_bad_scale():
    with pytest.raises(ValueError, match=r"Received: scale='big'"):
        Rescaling("big")
    with pytest.raises(ValueError, match=r"Received: offset=\[1, 'a'\]"):
        Rescaling(1.0, offset=[1, "a"])
