import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras, to_numpy

import ketorch
from ketorch.layers.core import Masking


def _padded(rng, value=0.0):
    x = rng.standard_normal((3, 6, 4)).astype("float32")
    x[:, 2, :] = value
    x[1, 4:, :] = value
    x[2, 0, 1] = value  # one entry equal to the value does not mask the step
    return x


def test_contract():
    run_layer_contract(
        Masking,
        {"mask_value": -1.0},
        (2, 5, 3),
        expected_output_shape=(2, 5, 3),
        supports_masking=True,
    )


@pytest.mark.parametrize("mask_value", [0.0, -1.0, 7])
def test_parity_values_and_mask(mask_value, rng):
    x = _padded(rng, mask_value)
    got = compare_layer(Masking(mask_value), keras.layers.Masking(mask_value), x)
    ours = Masking(mask_value)(torch.as_tensor(x))
    theirs = keras.layers.Masking(mask_value)(x)
    np.testing.assert_array_equal(to_numpy(ours._keras_mask), to_numpy(theirs._keras_mask))
    assert ours._keras_mask.shape == (3, 6)
    assert not got[1, 4:].any()  # masked steps are zeroed


def test_mask_consumed_by_lstm_matches_keras(rng):
    x = _padded(rng)
    ours = ketorch.Sequential([ketorch.Input((6, 4)), Masking(), ketorch.layers.recurrent.LSTM(5)])
    theirs = keras.Sequential([keras.Input((6, 4)), keras.layers.Masking(), keras.layers.LSTM(5)])
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(to_numpy(ours(torch.as_tensor(x))), to_numpy(theirs(x)), atol=1e-5)
    # The masked steps are skipped: trailing padding leaves the last output unchanged.
    trimmed = ours(torch.as_tensor(x[1:2, :4]))
    np.testing.assert_allclose(
        to_numpy(ours(torch.as_tensor(x[1:2]))), to_numpy(trimmed), atol=1e-6
    )


def test_bad_mask_value():
    with pytest.raises(ValueError, match=r"Received: mask_value='0'"):
        Masking("0")


def test_numpy_scalar_mask_value_config_is_json_safe():
    cfg = Masking(np.float32(2.5)).get_config()
    assert cfg["mask_value"] == 2.5 and type(cfg["mask_value"]) is float
