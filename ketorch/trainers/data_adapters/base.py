"""The interface every input kind implements (one adapter per kind)."""

from __future__ import annotations


class DataAdapter:
    """Batches ``(x_list, y_list_or_None, sample_weight_or_None)`` of device tensors.

    Attributes:
        num_batches: Batches in one epoch, ``None`` while unknown.
        reiterable: Whether :meth:`epoch` can be called again for another pass.
    """

    num_batches = None
    reiterable = True

    def epoch(self):
        """An iterator over one pass of the data (the epoch iterator decides how much to take)."""
        raise NotImplementedError

    def get_epoch_iterator(self):
        return self.epoch()

    def __len__(self):
        return self.num_batches

    def on_epoch_end(self):
        """Called after each epoch (PyDatasets reshuffle here)."""

    def close(self):
        """Stop background loading; the adapter may be iterated again afterwards."""

    def seed(self, seed):
        """Draw this adapter's shuffling order from ``seed`` (the same on every process)."""

    def shard(self, rank, world, training, seed=0):
        """Keep this process's share of every global batch (data parallel)."""
        raise NotImplementedError

    def split_validation(self, fraction, batch_size):
        """Hold out the last ``fraction`` of the data; return it as a new adapter."""
        raise ValueError(
            "`validation_split` is only supported for tensors or NumPy arrays; with a "
            "generator or dataset pass `validation_data` instead."
        )
