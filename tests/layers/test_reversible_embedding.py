import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from model_parity import DIRECTIONS, assert_close, file_round_trip
from parity import keras

import ketorch
from ketorch.layers import ReversibleEmbedding


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"tie_weights": False}, {"logit_soft_cap": 2.0}, {"reverse_dtype": "float32"}],
)
def test_both_directions_match_keras(kwargs, rng):
    ours = ReversibleEmbedding(10, 4, **kwargs)
    theirs = keras.layers.ReversibleEmbedding(10, 4, **kwargs)
    ours.build((None, 3))
    theirs.build((None, 3))
    weights = [w + rng.standard_normal(w.shape).astype("float32") for w in ours.get_weights()]
    assert [w.shape for w in theirs.get_weights()] == [w.shape for w in weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    ids = rng.integers(0, 10, (2, 3))
    assert_close(ours(torch.as_tensor(ids)), theirs(ids))
    h = rng.standard_normal((2, 3, 4)).astype("float32")
    logits = ours(torch.as_tensor(h), reverse=True)
    assert_close(logits, theirs(h, reverse=True))
    assert tuple(logits.shape) == ours.compute_output_shape((2, 3, 4), reverse=True)


def test_mask_only_forward():
    layer = ReversibleEmbedding(10, 4, mask_zero=True)
    ids = torch.tensor([[1, 2, 0]])
    h = layer(ids)
    assert h._keras_mask.tolist() == [[True, True, False]]
    assert getattr(layer(h, reverse=True), "_keras_mask", None) is None


def test_tied_language_model_head_in_a_model(rng):
    def build(lib):
        emb = lib.layers.ReversibleEmbedding(12, 6)
        tokens = lib.Input((5,), dtype="int32")
        h = lib.layers.Dense(6, activation="tanh")(emb(tokens))
        return lib.Model(tokens, emb(h, reverse=True))

    ours, theirs = build(ketorch), build(keras)
    assert ours.output_shape == (None, 5, 12)
    assert len(ours.get_weights()) == 3  # one table, used twice
    theirs.set_weights(ours.get_weights())
    ids = rng.integers(0, 12, (3, 5)).astype("int32")
    assert_close(ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0))


def test_contract():
    run_layer_contract(ReversibleEmbedding, {"input_dim": 10, "output_dim": 3}, (2, 4),
                       input_dtype="int64", expected_num_trainable_weights=1)  # fmt: skip


def test_config_matches_keras():
    ours = ReversibleEmbedding(10, 4, tie_weights=False, logit_soft_cap=3.0).get_config()
    theirs = keras.layers.ReversibleEmbedding(10, 4, tie_weights=False, logit_soft_cap=3.0)
    theirs = theirs.get_config()
    assert set(ours) - {"lora_rank", "lora_alpha"} <= set(theirs)
    for key in ("tie_weights", "logit_soft_cap", "reverse_dtype", "input_dim", "output_dim"):
        assert ours[key] == theirs[key]


def _model(lib):
    tokens = lib.Input((5,), dtype="int32")
    emb = lib.layers.ReversibleEmbedding(12, 6, tie_weights=False)
    return lib.Model(tokens, emb(emb(tokens), reverse=True))


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_keras_file_round_trip(direction, tmp_path, rng):
    ids = rng.integers(0, 12, (16, 5)).astype("int32")
    y = rng.standard_normal((16, 5, 12)).astype("float32")
    file_round_trip(_model, ids, y, tmp_path, direction)
    assert np.isfinite(y).all()
