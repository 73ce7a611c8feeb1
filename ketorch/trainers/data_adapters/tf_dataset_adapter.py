"""``tf.data.Dataset``-like inputs (TensorFlow's, or ketorch's lazy `Dataset`).

Recognised by their interface, ``as_numpy_iterator()`` and ``cardinality()``, so
TensorFlow is never imported. Each epoch is a fresh pass over the dataset, read
through ``as_numpy_iterator`` (TensorFlow tensors arrive as NumPy arrays); the
number of batches is the cardinality when it is known. As in Keras, ``fit``'s
``shuffle`` does not apply: the dataset orders (and reshuffles) itself.
"""

from __future__ import annotations

from .generator_data_adapter import GeneratorDataAdapter
from .prefetch import Prefetcher


def is_tf_dataset(data) -> bool:
    """Whether ``data`` has the ``tf.data.Dataset`` interface the adapter reads."""
    return (
        not isinstance(data, type)
        and callable(getattr(data, "as_numpy_iterator", None))
        and callable(getattr(data, "cardinality", None))
    )


class TFDatasetAdapter(GeneratorDataAdapter):
    def __init__(self, data, model, device, shuffle=False, **kwargs):
        super().__init__(data, model, device, shuffle=False, **kwargs)
        self.reiterable = True

    def _length(self):
        if callable(getattr(self.data, "cardinality", None)):
            n = int(self.data.cardinality())
            return n if n >= 0 else None  # -1 infinite, -2 unknown
        return super()._length()  # sharded: a wrapper of the dataset

    def _start(self):
        if callable(getattr(self.data, "as_numpy_iterator", None)):
            source = self.data.as_numpy_iterator()
        else:
            source = iter(self.data)
        return Prefetcher(source, self._convert, self.max_queue_size, self.workers)
