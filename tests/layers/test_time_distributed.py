import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import keras, to_numpy
from rnn_testing import assert_close, check_sgd_step

import ketorch
from ketorch.layers import Conv2D, Dense, Dropout, Embedding, Flatten, Layer
from ketorch.layers.recurrent.lstm import LSTM
from ketorch.layers.recurrent.time_distributed import TimeDistributed


def test_contract():
    run_layer_contract(
        TimeDistributed,
        {"layer": Dense(3)},
        (2, 5, 4),
        expected_output_shape=(2, 5, 3),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
    )


@pytest.mark.parametrize(
    "make,shape",
    [
        (lambda lib: lib.layers.Dense(3, activation="relu"), (4, 5, 6)),
        (lambda lib: lib.layers.Dense(3), (2, 5, 4, 6)),  # Dense on a 4-D input
        (lambda lib: lib.layers.Conv2D(2, 3, padding="same"), (2, 3, 6, 6, 2)),
        (lambda lib: lib.layers.Flatten(), (2, 3, 4, 5)),
    ],
)
def test_parity(make, shape, rng):
    x = rng.standard_normal(shape).astype("float32")
    ours, theirs = TimeDistributed(make(ketorch)), keras.layers.TimeDistributed(make(keras))
    got = ours(torch.as_tensor(x))
    theirs.build(x.shape)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    theirs.set_weights(ours.get_weights())
    assert_close(got, theirs(x))
    assert ours.compute_output_shape((None,) + shape[1:]) == theirs.compute_output_shape(
        (None,) + shape[1:]
    )


def test_weights_are_shared_across_steps(rng):
    x = torch.as_tensor(rng.standard_normal((2, 5, 4)).astype("float32"))
    layer = TimeDistributed(Dense(3))
    out = layer(x)
    for t in range(5):
        torch.testing.assert_close(out[:, t], layer.layer(x[:, t]))
    assert layer.weights[0] is layer.layer.kernel


def test_mask_passes_through_and_reaches_the_inner_layer():
    seen = {}

    class MaskedScale(Layer):
        def call(self, inputs, mask=None):
            seen["mask"] = mask
            return inputs * 2 if mask is None else inputs * mask.unsqueeze(-1)

    mask = torch.tensor([[1, 1, 0], [1, 0, 0]], dtype=torch.bool)
    x = torch.ones(2, 3, 4)
    layer = TimeDistributed(MaskedScale())
    out = layer(x, mask=mask)
    assert seen["mask"].shape == (6,)
    np.testing.assert_array_equal(to_numpy(out[..., 0]), mask.numpy().astype("float32"))
    assert out._keras_mask is mask
    assert layer.compute_mask(x, mask) is mask
    with pytest.raises(ValueError, match="Received: mask.shape=\\(2, 4\\)"):
        layer(x, mask=torch.ones(2, 4, dtype=torch.bool))


def test_mask_from_embedding_matches_keras(rng):
    def build(lib):
        return lib.Sequential(
            [
                lib.Input(shape=(6,), dtype="int32"),
                (Embedding if lib is ketorch else lib.layers.Embedding)(12, 4, mask_zero=True),
                (LSTM if lib is ketorch else lib.layers.LSTM)(5, return_sequences=True),
                (TimeDistributed if lib is ketorch else lib.layers.TimeDistributed)(
                    (Dense if lib is ketorch else lib.layers.Dense)(2)
                ),
            ]
        )

    ids = rng.integers(1, 12, (4, 6)).astype("int32")
    ids[:2, :2] = 0
    ids[2:, 4:] = 0
    ours, theirs = build(ketorch), build(keras)
    theirs.set_weights(ours.get_weights())
    assert_close(ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0))
    out = ours(torch.as_tensor(ids))
    np.testing.assert_array_equal(to_numpy(out._keras_mask), ids != 0)


def test_training_flag_reaches_the_inner_layer():
    layer = TimeDistributed(Dropout(0.5))
    x = torch.ones(4, 5, 6)
    torch.testing.assert_close(layer(x), x)
    assert (layer(x, training=True) == 0).any()


def test_symbolic_and_sequential():
    model = ketorch.Sequential(
        [
            ketorch.Input(shape=(3, 8, 8, 1)),
            TimeDistributed(Conv2D(2, 3)),
            TimeDistributed(Flatten()),
        ]
    )
    assert model.output_shape == (None, 3, 72)
    assert model(torch.ones(2, 3, 8, 8, 1)).shape == (2, 3, 72)


def test_config_round_trip():
    layer = TimeDistributed(Dense(3, activation="relu"), name="td")
    config = layer.get_config()
    theirs = keras.layers.TimeDistributed(keras.layers.Dense(3, activation="relu")).get_config()
    assert set(theirs) <= set(config)
    assert config["layer"]["class_name"] == "Dense"
    clone = TimeDistributed.from_config(config)
    assert isinstance(clone.layer, Dense) and clone.layer.units == 3 and clone.name == "td"
    wrapped_rnn = TimeDistributed.from_config(TimeDistributed(LSTM(2)).get_config())
    assert isinstance(wrapped_rnn.layer, LSTM)


def test_errors():
    with pytest.raises(ValueError, match="layer instance.*Received: layer='dense'"):
        TimeDistributed("dense")
    with pytest.raises(ValueError, match="'td2'.*at least 3 dimensions.*Received: input_shape"):
        TimeDistributed(Dense(2), name="td2")(torch.ones(2, 3))
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        TimeDistributed(Dense(2))(ketorch.Input(shape=(3,)))


def test_sgd_step_matches_keras(rng):
    def build(lib):
        return lib.Sequential(
            [
                lib.Input(shape=(4, 3)),
                (TimeDistributed if lib is ketorch else lib.layers.TimeDistributed)(
                    (Dense if lib is ketorch else lib.layers.Dense)(5, activation="tanh")
                ),
                (LSTM if lib is ketorch else lib.layers.LSTM)(3, return_sequences=True),
                (TimeDistributed if lib is ketorch else lib.layers.TimeDistributed)(
                    (Dense if lib is ketorch else lib.layers.Dense)(2)
                ),
            ]
        )

    x = rng.standard_normal((6, 4, 3)).astype("float32")
    check_sgd_step(build, x, rng.standard_normal((6, 4, 2)).astype("float32"))


def test_sgd_step_matches_keras_with_masked_sequence_outputs(rng):
    from ketorch.layers.recurrent.bidirectional import Bidirectional
    from ketorch.layers.recurrent.gru import GRU

    def build(lib):
        ours = lib is ketorch
        return lib.Sequential(
            [
                lib.Input(shape=(6,), dtype="int32"),
                (Embedding if ours else lib.layers.Embedding)(12, 4, mask_zero=True),
                (Bidirectional if ours else lib.layers.Bidirectional)(
                    (GRU if ours else lib.layers.GRU)(5, return_sequences=True)
                ),
                (TimeDistributed if ours else lib.layers.TimeDistributed)(
                    (Dense if ours else lib.layers.Dense)(2)
                ),
            ]
        )

    ids = rng.integers(1, 12, (8, 6)).astype("int32")
    ids[:4, :2] = 0
    ids[4:, 4:] = 0
    check_sgd_step(build, ids, rng.standard_normal((8, 6, 2)).astype("float32"))
