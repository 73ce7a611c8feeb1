"""Python generators and iterators yielding ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.

Batches are converted in background thread(s) that stay ``max_queue_size`` batches
ahead. This class is also the base of the other stream kinds (``PyDataset``,
DataLoader), which differ in how one epoch's items are produced.
"""

from __future__ import annotations

import collections.abc as abc

from ...distribution.sharding import shard_stream
from ._convert import (
    _to_tensor,
    class_weight_to_sample_weight,
    convert_x,
    convert_y,
    flatten_x,
    flatten_y,
    to_device,
    unpack_batch,
)
from .base import DataAdapter
from .prefetch import Prefetcher


class GeneratorDataAdapter(DataAdapter):
    """Batches from a one-pass iterator (re-iterable subclasses restart each epoch)."""

    indexable = False  # whether batch ``i`` is ``data[i]`` (PyDataset/Sequence)

    def __init__(
        self, data, model, device, max_queue_size=10, workers=1, shuffle=False,
        class_weight=None,
    ):  # fmt: skip
        self.data = data
        self.model = model
        self.device = device
        self.max_queue_size = max_queue_size
        self.workers = workers
        self.shuffle = shuffle
        self.class_weight = class_weight
        self.reiterable = self.indexable or not isinstance(data, abc.Iterator)
        self._prefetcher = None
        self.exhausted = False
        self.num_batches = self._length()

    def _length(self):
        if hasattr(self.data, "__len__") and not isinstance(self.data, (list, tuple)):
            try:
                return len(self.data)
            except TypeError:
                return None
        return None

    def shard(self, rank, world, training, seed=0):
        self.data, self.shuffle = shard_stream(
            self.data, rank, world, training, seed, self.shuffle, indexable=self.indexable
        )
        self.num_batches = self._length()
        return self

    def _convert(self, item):
        x, y, sw = unpack_batch(item)
        x_list = convert_x(self.model, flatten_x(x, self.model._data_input_names()))
        y_list = convert_y(flatten_y(y, self.model._data_output_names())) if y is not None else None
        if sw is not None:
            sw = _to_tensor(sw, "sample_weight").float()
        if self.class_weight is not None and y_list is not None and sw is None:
            sw = class_weight_to_sample_weight(y_list[0], self.class_weight)
        batch = (x_list, y_list, sw)
        if self.device.type != "cpu":
            batch = to_device(batch, self.device)
        return batch

    def _start(self):
        """A prefetcher over this epoch's items."""
        return Prefetcher(iter(self.data), self._convert, self.max_queue_size, self.workers)

    def epoch(self):
        """One pass: everything the input yields (a re-iterable input starts over)."""
        self.close()
        self._prefetcher = self._start()
        prefetcher = self._prefetcher
        try:
            while (batch := prefetcher.get()) is not None:
                yield batch
        finally:
            if self._prefetcher is prefetcher:
                self.close()

    def close(self):
        if self._prefetcher is not None:
            self._prefetcher.close()
            self._prefetcher = None


# The name the trainer and tests have used.
StreamBatches = GeneratorDataAdapter
