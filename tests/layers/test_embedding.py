import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers import Embedding


def test_contract():
    run_layer_contract(
        Embedding,
        {"input_dim": 10, "output_dim": 3},
        (2, 5),
        input_dtype="int32",
        expected_output_shape=(2, 5, 3),
        expected_num_trainable_weights=1,
    )


def test_parity(rng):
    x = rng.integers(0, 20, (4, 7)).astype("int32")
    compare_layer(Embedding(20, 6), keras.layers.Embedding(20, 6), x)


def test_initializer_range():
    layer = Embedding(1000, 16)
    layer.build(None)
    (table,) = layer.get_weights()
    assert table.shape == (1000, 16)
    assert np.abs(table).max() <= 0.05


def test_mask_zero():
    layer = Embedding(10, 2, mask_zero=True)
    out = layer(torch.tensor([[0, 3, 4], [5, 0, 0]]))
    assert out._keras_mask.tolist() == [[False, True, True], [True, False, False]]


def test_input_length_defines_sequential_input():
    from ketorch.models import Sequential

    model = Sequential([Embedding(10, 2, input_length=5)])
    assert model.input_shape == (None, 5) and model.output_shape == (None, 5, 2)
    assert model.inputs[0].dtype == "int32"
    with pytest.raises(ValueError, match="Received: input_length=-1"):
        Embedding(10, 2, input_length=-1)


def test_out_of_range_ids_give_clear_error():
    layer = Embedding(5, 2, name="tokens_emb")
    with pytest.raises(ValueError, match=r"'tokens_emb'.*\[0, 5\).*\[1, 9\]"):
        layer(torch.tensor([[1, 9]]))
