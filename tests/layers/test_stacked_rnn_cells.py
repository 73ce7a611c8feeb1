import numpy as np
import pytest
import torch
from model_parity import DIRECTIONS, assert_close, file_round_trip, fit_parity
from parity import keras

import ketorch
from ketorch.layers import RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells


def _cells(lib):
    return [lib.layers.LSTMCell(4), lib.layers.GRUCell(3), lib.layers.SimpleRNNCell(2)]


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_rnn_with_stacked_cells_matches_keras(return_sequences, return_state, rng):
    kwargs = dict(return_sequences=return_sequences, return_state=return_state)
    ours = RNN(StackedRNNCells(_cells(ketorch)), **kwargs)
    theirs = keras.layers.RNN(keras.layers.StackedRNNCells(_cells(keras)), **kwargs)
    x = rng.standard_normal((2, 5, 6)).astype("float32")
    ours.build(x.shape)
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    got, expected = ours(torch.as_tensor(x)), theirs(x)
    if return_state:
        # Keras's nesting: the output, then one list of states per cell.
        assert [type(s).__name__ for s in got[1:]] == ["list"] * 3
        assert [len(s) for s in got[1:]] == [len(s) for s in expected[1:]] == [2, 1, 1]
        got = [got[0], *[t for s in got[1:] for t in s]]
        expected = [expected[0], *[t for s in expected[1:] for t in s]]
    assert_close(got, expected)


def test_weights_order_and_initial_state(rng):
    ours = RNN([LSTMCell(4), GRUCell(3)], return_state=True)  # a list stacks the cells
    theirs = keras.layers.RNN([keras.layers.LSTMCell(4), keras.layers.GRUCell(3)],
                              return_state=True)  # fmt: skip
    x = rng.standard_normal((2, 5, 6)).astype("float32")
    ours.build(x.shape)
    theirs.build(x.shape)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    theirs.set_weights(ours.get_weights())
    init = [[rng.standard_normal((2, 4)).astype("float32") for _ in range(2)],
            [rng.standard_normal((2, 3)).astype("float32")]]  # fmt: skip
    got = ours(torch.as_tensor(x), initial_state=[[torch.as_tensor(t) for t in s] for s in init])
    expected = theirs(x, initial_state=init)
    assert_close(got[0], expected[0])
    assert_close(got[1] + got[2], list(expected[1]) + list(expected[2]))


def test_mask_matches_keras(rng):
    ours = RNN(StackedRNNCells([SimpleRNNCell(3), LSTMCell(2)]), return_sequences=True)
    theirs = keras.layers.RNN(
        keras.layers.StackedRNNCells([keras.layers.SimpleRNNCell(3), keras.layers.LSTMCell(2)]),
        return_sequences=True,
    )
    x = rng.standard_normal((3, 4, 5)).astype("float32")
    mask = np.array([[1, 1, 0, 0], [0, 1, 1, 1], [0, 0, 0, 0]], bool)
    ours.build(x.shape)
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    assert_close(ours(torch.as_tensor(x), mask=torch.as_tensor(mask)), theirs(x, mask=mask))


def test_cell_call_takes_nested_or_flat_states():
    cells = StackedRNNCells([LSTMCell(3), GRUCell(2)])
    cells.build((None, 4))
    x = torch.randn(2, 4)
    nested = [[torch.zeros(2, 3), torch.zeros(2, 3)], [torch.zeros(2, 2)]]
    out_n, states_n = cells(x, nested)
    out_f, states_f = cells(x, [t for s in nested for t in s])
    torch.testing.assert_close(out_n, out_f)
    assert len(states_n) == 2 and len(states_f) == 3
    assert cells.state_size == [[3, 3], 2] and cells.output_size == 2


def test_config_round_trip_and_keras():
    cells = StackedRNNCells([LSTMCell(3), GRUCell(2)])
    config = cells.get_config()
    clone = StackedRNNCells.from_config(config)
    assert [type(c).__name__ for c in clone.cells] == ["LSTMCell", "GRUCell"]
    theirs = keras.layers.deserialize(ketorch.layers.serialize(RNN(cells)))
    assert type(theirs.cell).__name__ == "StackedRNNCells"
    assert set(config) == set(keras.layers.StackedRNNCells([keras.layers.LSTMCell(3)]).get_config())


def test_errors():
    with pytest.raises(ValueError, match="state_size"):
        StackedRNNCells([ketorch.layers.Dense(2)])


def _model(lib):
    inputs = lib.Input((5, 6))
    h = lib.layers.RNN([lib.layers.LSTMCell(4), lib.layers.GRUCell(3)])(inputs)
    return lib.Model(inputs, lib.layers.Dense(1)(h))


def test_training_matches_keras(rng):
    x = rng.standard_normal((16, 5, 6)).astype("float32")
    fit_parity(_model, x, rng.standard_normal((16, 1)).astype("float32"), epochs=2)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_keras_file_round_trip(direction, tmp_path, rng):
    x = rng.standard_normal((16, 5, 6)).astype("float32")
    file_round_trip(_model, x, rng.standard_normal((16, 1)).astype("float32"), tmp_path, direction)
