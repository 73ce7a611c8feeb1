"""timeseries_dataset_from_array: Keras's windows, targets, batching and shuffled order.

Keras builds the dataset with tf.data (or grain), neither installed here, so the
expected windows are written out from Keras's documented rule and its own tests.
"""

import numpy as np
import pytest

import ketorch
from ketorch.utils import timeseries_dataset_from_array


def _batches(ds):
    return [ds[i] for i in range(len(ds))]


def test_basics_as_keras_tests():
    data = np.arange(100)
    ds = timeseries_dataset_from_array(data, data * 2, sequence_length=9, batch_size=5)
    batches = _batches(ds)
    assert len(batches) == 19 and batches[-1][0].shape == (2, 9)
    for i, (inputs, targets) in enumerate(batches):
        np.testing.assert_array_equal(inputs[:, 0] * 2, targets)
        for j in range(len(inputs)):
            np.testing.assert_array_equal(inputs[j], np.arange(i * 5 + j, i * 5 + j + 9))


def test_regression_targets_offset():
    data = np.arange(10)
    ds = timeseries_dataset_from_array(data, data[3:], sequence_length=3, batch_size=1)
    assert len(ds) == 7
    for i, (inputs, targets) in enumerate(_batches(ds)):
        np.testing.assert_array_equal(inputs[0], data[i : i + 3])
        assert targets[0] == data[3 + i]


def test_no_targets_and_unbatched():
    ds = timeseries_dataset_from_array(np.arange(50), None, sequence_length=10, batch_size=5)
    batches = _batches(ds)
    assert len(batches) == 9 and batches[-1].shape == (1, 10)
    single = timeseries_dataset_from_array(np.arange(20), None, 4, batch_size=None)
    assert len(single) == 17 and single[3].tolist() == [3, 4, 5, 6]


def test_stride_rate_and_index_window():
    data = np.arange(200).reshape(100, 2)
    ds = timeseries_dataset_from_array(
        data,
        np.arange(100),
        sequence_length=5,
        sequence_stride=3,
        sampling_rate=2,
        batch_size=4,
        start_index=10,
        end_index=60,
    )
    windows = np.concatenate([x for x, _ in _batches(ds)])
    targets = np.concatenate([y for _, y in _batches(ds)])
    # Starts 10, 13, ... while a 5-step window sampled every 2 steps fits before 60.
    starts = np.arange(10, 60 - 8, 3)
    np.testing.assert_array_equal(targets, starts)
    expected = np.stack([data[s : s + 10 : 2] for s in starts])
    np.testing.assert_array_equal(windows, expected)


def test_shuffle_order_is_keras_permutation():
    data = np.arange(40)
    ds = timeseries_dataset_from_array(data, data, 6, batch_size=8, shuffle=True, seed=7)
    targets = np.concatenate([y for _, y in _batches(ds)])
    order = np.arange(35)
    np.random.RandomState(7).shuffle(order)  # the start positions Keras draws
    np.testing.assert_array_equal(targets, order)
    for x, y in _batches(ds):
        np.testing.assert_array_equal(x[:, 0], y)


def test_torch_tensor_and_dataframe_inputs():
    import torch

    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": np.arange(12.0), "b": np.arange(12.0) * 10})
    from_frame = timeseries_dataset_from_array(frame, None, 3, batch_size=4)
    from_tensor = timeseries_dataset_from_array(
        torch.as_tensor(frame.values), None, 3, batch_size=4
    )
    np.testing.assert_array_equal(from_frame[0], from_tensor[0])
    assert from_frame[0].shape == (4, 3, 2)


def test_trains_a_model():
    rng = np.random.default_rng(0)
    series = rng.normal(size=(120, 3)).astype("float32")
    ds = timeseries_dataset_from_array(series[:-4], series[4:, 0], 4, batch_size=16)
    model = ketorch.Sequential(
        [ketorch.Input((4, 3)), ketorch.layers.LSTM(4), ketorch.layers.Dense(1)]
    )
    model.compile("adam", "mse")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(ds, verbose=0).shape == (113, 1)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(sampling_rate=0), "`sampling_rate` must be higher than 0"),
        (dict(sampling_rate=50), "`sampling_rate` must be lower than the length"),
        (dict(sequence_stride=0), "`sequence_stride` must be higher than 0"),
        (dict(start_index=-1), "`start_index` must be 0 or greater"),
        (dict(start_index=60), "`start_index` must be lower than the length"),
        (dict(start_index=5, end_index=3), "`end_index` must be higher than `start_index`"),
        (dict(end_index=50), "`end_index` must be lower than the length"),
        (dict(format="numpy"), '`format` should be either "tf" or "grain"'),
    ],
)
def test_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        timeseries_dataset_from_array(np.arange(50), None, 3, **kwargs)
