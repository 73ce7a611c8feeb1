"""Keras ``PyDataset``/``Sequence`` objects: ``len(data)`` batches, batch ``i`` is ``data[i]``.

Batches load in a thread pool (``workers``, ``max_queue_size`` taken from the
dataset when it sets them) and arrive in index order; ``on_epoch_end`` runs after
every epoch.
"""

from __future__ import annotations

import numpy as np
import torch

from ._convert import _is_pandas
from .generator_data_adapter import GeneratorDataAdapter
from .prefetch import OrderedPrefetcher


def is_py_dataset(data):
    """A ``PyDataset``/``Sequence``-like object: ``__len__`` batches and ``__getitem__``."""
    if isinstance(data, (list, tuple, dict, str, np.ndarray, torch.Tensor)) or _is_pandas(data):
        return False
    if isinstance(data, torch.utils.data.Dataset) and not hasattr(data, "on_epoch_end"):
        return False  # a torch Dataset of samples, batched by a DataLoader
    return hasattr(data, "__getitem__") and hasattr(data, "__len__")


class PyDatasetAdapter(GeneratorDataAdapter):
    indexable = True

    def _start(self):
        workers = getattr(self.data, "workers", None) or self.workers
        qsize = getattr(self.data, "max_queue_size", None) or self.max_queue_size
        order = list(range(len(self.data)))
        if self.shuffle:
            order = torch.randperm(len(order)).tolist()
        return OrderedPrefetcher(self.data, order, self._convert, qsize, workers)

    def on_epoch_end(self):
        if hasattr(self.data, "on_epoch_end"):
            self.data.on_epoch_end()
