import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.reshaping import Permute


def test_contract():
    run_layer_contract(Permute, {"dims": (2, 1)}, (2, 3, 4), expected_output_shape=(2, 4, 3))


@pytest.mark.parametrize(
    "dims,shape", [((2, 1), (2, 3, 4)), ((3, 1, 2), (2, 3, 4, 5)), ((1,), (2, 3))]
)
def test_parity(dims, shape, rng):
    x = rng.standard_normal(shape).astype("float32")
    compare_layer(Permute(dims), keras.layers.Permute(dims), x)


def test_symbolic_shape():
    assert Permute((2, 1))(ketorch.Input((None, 64))).shape == (None, 64, None)


@pytest.mark.parametrize("bad", [(0, 1), (1, 3), (1, 1), ("a",), 3])
def test_bad_dims(bad):
    with pytest.raises(ValueError, match=r"Received: dims="):
        Permute(bad)


def test_wrong_rank_names_layer():
    with pytest.raises(ValueError, match=r"layer 'perm'.*expected ndim=3"):
        Permute((2, 1), name="perm")(ketorch.Input((3,)))
    layer = Permute((2, 1), name="perm2")
    with pytest.raises(ValueError, match=r"layer 'perm2'.*expected ndim=3"):
        layer(torch.ones(2, 3))
