import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.normalization import GroupNormalization


def test_contract():
    run_layer_contract(
        GroupNormalization,
        {"groups": 2},
        (3, 5, 4),
        expected_output_shape=(3, 5, 4),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
    )


@pytest.mark.parametrize(
    "kwargs,shape",
    [
        ({"groups": 2}, (3, 6)),
        ({"groups": 3}, (2, 4, 5, 6)),
        ({"groups": 1, "epsilon": 1e-5}, (2, 7, 4)),
        ({"groups": -1}, (2, 7, 4)),
        ({"groups": 2, "axis": 1}, (2, 4, 3, 5)),
        ({"groups": 2, "center": False, "scale": False}, (2, 5, 4)),
    ],
)
def test_parity(kwargs, shape, rng):
    ours = GroupNormalization(**kwargs)
    ours.build(shape)
    if ours.weights:
        ours.set_weights(
            [rng.standard_normal(w.shape).astype("float32") for w in ours.get_weights()]
        )
    x = (rng.standard_normal(shape) * 2 + 1).astype("float32")
    compare_layer(ours, keras.layers.GroupNormalization(**kwargs), x)


def test_instance_norm_groups_resolved_in_config():
    layer = GroupNormalization(groups=-1)
    assert layer.get_config()["groups"] == -1
    layer.build((None, 4, 6))
    assert layer.get_config()["groups"] == 6


def test_config_matches_keras_keys():
    ours = GroupNormalization().get_config()
    theirs = keras.layers.GroupNormalization().get_config()
    assert set(theirs) <= set(ours)
    assert ours["groups"] == 32


def test_symbolic_shape():
    assert GroupNormalization(groups=2)(ketorch.Input(shape=(5, 4))).shape == (None, 5, 4)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "4"])
def test_bad_groups(bad):
    with pytest.raises(ValueError, match=f"Received: groups={bad!r}"):
        GroupNormalization(groups=bad)


def test_groups_must_divide_channels():
    with pytest.raises(ValueError, match="multiple of the number of groups"):
        GroupNormalization(groups=4)(torch.ones(2, 6))
    with pytest.raises(ValueError, match="cannot be more than the number of channels"):
        GroupNormalization(groups=8)(torch.ones(2, 6))


def test_unknown_channels():
    with pytest.raises(ValueError, match="known size"):
        GroupNormalization(groups=2).build((None, None))


def test_matches_reference_formula(rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    y = GroupNormalization(groups=2, epsilon=1e-3)(torch.as_tensor(x)).detach().numpy()
    g = x.reshape(2, 3, 2, 2)
    ref = (g - g.mean(axis=(1, 3), keepdims=True)) / np.sqrt(
        g.var(axis=(1, 3), keepdims=True) + 1e-3
    )
    np.testing.assert_allclose(y, ref.reshape(x.shape), atol=1e-5)
