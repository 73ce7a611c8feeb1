import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.reshaping import Reshape


def test_contract():
    run_layer_contract(Reshape, {"target_shape": (3, 4)}, (2, 12), expected_output_shape=(2, 3, 4))
    run_layer_contract(
        Reshape, {"target_shape": (-1, 2)}, (2, 3, 4), expected_output_shape=(2, 6, 2)
    )


@pytest.mark.parametrize(
    "target,shape",
    [
        ((3, 4), (2, 12)),
        ((-1, 2), (2, 12)),
        ((2, -1, 3), (2, 4, 3)),
        ((12,), (2, 3, 4)),
        ((-1,), (2, 3, 4)),
    ],
)
def test_parity(target, shape, rng):
    x = rng.standard_normal(shape).astype("float32")
    compare_layer(Reshape(target), keras.layers.Reshape(target), x)


def test_symbolic_shapes_match_keras():
    for target, sample in [((-1, 2), (12,)), ((3, 4), (12,)), ((-1, 2), (None,))]:
        ours = Reshape(target)(ketorch.Input(sample)).shape
        theirs = keras.layers.Reshape(target)(keras.Input(sample)).shape
        assert ours == tuple(theirs)


def test_config_round_trip_from_json_lists():
    layer = Reshape.from_config({"name": "r", "target_shape": [-1, 2]})
    assert layer.target_shape == (-1, 2)
    assert layer(torch.ones(3, 8)).shape == (3, 4, 2)


@pytest.mark.parametrize("bad", [(-1, -1), (-2, 3), ("a", 2), 5])
def test_bad_target_shape(bad):
    with pytest.raises(ValueError, match=r"Received: target_shape="):
        Reshape(bad)


def test_size_mismatch_names_layer():
    with pytest.raises(ValueError, match=r"layer 'r'|Layer 'r'.*target_shape=\(5, 2\)"):
        Reshape((5, 2), name="r")(ketorch.Input((12,)))
    with pytest.raises(ValueError, match=r"Layer 'r2' \(Reshape\).*\(5, 2\)"):
        Reshape((5, 2), name="r2")(torch.ones(2, 12))
    with pytest.raises(ValueError, match=r"Layer 'r3'"):
        Reshape((-1, 5), name="r3")(torch.ones(2, 12))
