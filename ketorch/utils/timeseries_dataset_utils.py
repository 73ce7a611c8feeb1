"""timeseries_dataset_from_array: batches of sliding windows over an array.

The windows, their order (also when shuffled with a ``seed``) and the targets are
Keras's; the batches come from a `PyDataset` seen through a lazy ``tf.data``-style
`Dataset` (``map``, ``batch``, ``take``, ...).
"""

from __future__ import annotations

import math

import numpy as np

from ._dataset_ops import from_batch_source
from .py_dataset import PyDataset


class TimeseriesDataset(PyDataset):
    """Windows ``data[p : p + sequence_length * sampling_rate : sampling_rate]`` by batch.

    Attributes:
        start_positions: The first index of every window (relative to ``start_index``),
            in the order the windows are served.
    """

    def __init__(self, data, targets, starts, sequence_length, sampling_rate, batch_size):
        super().__init__()
        self._data = data
        self._targets = targets
        self.start_positions = starts
        self._offsets = np.arange(sequence_length) * sampling_rate
        self._batch_size = batch_size

    def __len__(self):
        if self._batch_size is None:
            return len(self.start_positions)
        return math.ceil(len(self.start_positions) / self._batch_size)

    def __getitem__(self, index):
        if index < 0 or index >= len(self):
            raise IndexError(
                f"Batch index out of range. Received: index={index} for {len(self)} batches"
            )
        size = 1 if self._batch_size is None else self._batch_size
        starts = self.start_positions[index * size : (index + 1) * size]
        x = self._data[starts[:, None] + self._offsets]
        y = None if self._targets is None else self._targets[starts]
        if self._batch_size is None:
            x = x[0]
            y = None if y is None else y[0]
        return x if y is None else (x, y)


def _check_args(length, sequence_stride, sampling_rate, start_index, end_index):
    if start_index:
        if start_index < 0:
            raise ValueError(
                f"`start_index` must be 0 or greater. Received: start_index={start_index}"
            )
        if start_index >= length:
            raise ValueError(
                "`start_index` must be lower than the length of the data. Received: "
                f"start_index={start_index}, for data of length {length}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index}"
            )
        if end_index >= length:
            raise ValueError(
                "`end_index` must be lower than the length of the data. Received: "
                f"end_index={end_index}, for data of length {length}"
            )
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= length:
            raise ValueError(
                f"`{name}` must be lower than the length of the data. Received: "
                f"{name}={value}, for data of length {length}"
            )


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
    format: str = "tf",
):
    """Batches of sliding windows over a timeseries (axis 0 is time).

    Window ``i`` starts at ``start_index + p_i`` with ``p_i = i * sequence_stride`` and
    holds ``sequence_length`` steps taken every ``sampling_rate`` steps; its target is
    ``targets[start_index + p_i]``. Windows that would run past ``end_index`` (or past
    the end of ``targets``) are left out.

    Args:
        data: Array-like (NumPy array, torch tensor, DataFrame) of time steps.
        targets: Array-like of targets aligned with ``data``, or None for inputs only.
        sequence_length: Steps per window.
        sequence_stride: Steps between the starts of consecutive windows.
        sampling_rate: Steps between two samples within a window.
        batch_size: Windows per batch; None serves single windows.
        shuffle: Serve the windows in a random order (drawn once, with
            ``numpy.random.RandomState(seed)`` as Keras draws it).
        seed: The shuffle seed.
        start_index: First step of ``data`` to use.
        end_index: One past the last step of ``data`` to use.
        format: ``"tf"`` or ``"grain"`` (Keras's choice of pipeline); both give the same
            `Dataset` here.

    Returns:
        A lazy ``tf.data``-style `Dataset` (also indexable) of ``(windows,
        targets)`` batches (``windows`` alone without targets), NumPy arrays of shape ``(batch, sequence_length, ...)``.

    Example:
        >>> import numpy as np
        >>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(10), 3, batch_size=4)
        >>> x, y = ds[0]
        >>> x.tolist(), y.tolist()
        ([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]], [0, 1, 2, 3])
    """
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    array = data.detach().cpu().numpy() if hasattr(data, "detach") else np.asarray(data)
    _check_args(len(array), sequence_stride, sampling_rate, start_index, end_index)
    start = start_index or 0
    end = len(array) if end_index is None else end_index
    count = end - start - (sequence_length - 1) * sampling_rate
    target_array = None
    if targets is not None:
        target_array = (
            targets.detach().cpu().numpy() if hasattr(targets, "detach") else np.asarray(targets)
        )
        target_array = target_array[start:end]
        count = min(count, len(target_array))
    starts = np.arange(0, max(count, 0), sequence_stride, dtype="int64")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    return from_batch_source(
        TimeseriesDataset(
            array[start:end], target_array, starts, sequence_length, sampling_rate, batch_size
        )
    )
