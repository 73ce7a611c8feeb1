"""PyDataset (and its older name Sequence): batches by index, loaded in background threads."""

from __future__ import annotations


class PyDataset:
    """Base class for datasets that return whole batches by index.

    Subclasses implement ``__len__`` (number of batches) and
    ``__getitem__(index)`` returning ``x``, ``(x, y)`` or ``(x, y, sample_weight)``,
    and may implement ``on_epoch_end``. ``fit`` loads batches ahead of training
    in ``workers`` background threads.

    Args:
        workers: Number of loader threads.
        use_multiprocessing: Accepted for Keras compatibility (threads are used).
        max_queue_size: Number of batches kept ready.

    Example:
        >>> import numpy as np
        >>> from ketorch.utils import PyDataset
        >>> class Batches(PyDataset):
        ...     def __len__(self):
        ...         return 3
        ...     def __getitem__(self, i):
        ...         return np.zeros((4, 2)), np.zeros((4, 1))
        >>> len(Batches())
        3
    """

    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_begin(self):
        """Called at the start of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch (e.g. to reshuffle)."""

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


Sequence = PyDataset
