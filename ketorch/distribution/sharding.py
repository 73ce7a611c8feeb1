"""Give each process its share of a generator, ``PyDataset`` or ``DataLoader``.

Arrays are split inside each global batch by the array batcher (rank ``r``
takes the ``r``-th of ``N`` near-equal contiguous pieces). A stream yields
whole batches, so processes take turns: batch ``k*N + r`` goes to rank ``r``,
and one step of ``N`` processes consumes ``N`` consecutive batches. Every
process iterates its own copy of the stream (the same script runs
everywhere), so the stream must yield the same batches in every process.

For training, a final incomplete group of fewer than ``N`` batches is dropped
so that every process runs the same number of steps; evaluation and
prediction keep it. A ``DataLoader`` whose sampler is a
``DistributedSampler`` is already sharded and is left alone.
"""

from __future__ import annotations

import collections.abc as abc

import torch

__all__ = ["shard_stream"]


def _already_sharded(data) -> bool:
    from torch.utils.data.distributed import DistributedSampler  # loaded on first use

    sampler = getattr(data, "sampler", None)
    batch_sampler = getattr(data, "batch_sampler", None)
    return isinstance(sampler, DistributedSampler) or isinstance(
        getattr(batch_sampler, "sampler", None), DistributedSampler
    )


def _indexable(data) -> bool:
    # Only for direct callers; the trainer's adapters say which kind they hold.
    if isinstance(data, (abc.Iterator, torch.utils.data.DataLoader)):
        return False
    return hasattr(data, "__getitem__") and hasattr(data, "__len__")


def shard_stream(
    data, rank: int, world: int, training: bool, seed: int = 0, shuffle=False, indexable=None
):
    """Wrap ``data`` so that this process sees its batches only.

    ``indexable`` says whether ``data`` is a ``PyDataset``/``Sequence`` (batch
    ``i`` is ``data[i]``); ``None`` guesses from ``__getitem__``/``__len__``.

    Returns:
        ``(data, shuffle)``: the wrapped stream and the ``shuffle`` flag left
        for the batcher (a wrapped ``PyDataset`` shuffles itself, identically
        on every process).
    """
    if world <= 1 or _already_sharded(data):
        return data, shuffle
    if indexable is None:
        indexable = _indexable(data)
    if indexable:
        return _ShardedPyDataset(data, rank, world, training, seed, bool(shuffle)), False
    if isinstance(data, abc.Iterator):
        return _ShardedIterator(data, rank, world, training), shuffle
    return _ShardedIterable(data, rank, world, training), shuffle


def _take_turns(iterator, rank, world, drop_remainder):
    mine, have = None, False
    for i, item in enumerate(iterator):
        pos = i % world
        if pos == rank:
            mine, have = item, True
        if pos == world - 1:
            yield mine
            mine, have = None, False
    if have and not drop_remainder:
        yield mine


def _shard_length(n, rank, world, drop_remainder):
    return n // world if drop_remainder else len(range(rank, n, world))


class _ShardedPyDataset:
    """Batch ``i`` of this process is batch ``order[i*N + rank]`` of the dataset."""

    def __init__(self, data, rank, world, drop_remainder, seed, shuffle):
        self.data = data
        self.rank, self.world = rank, world
        self.drop_remainder = drop_remainder
        self.seed, self.shuffle = seed, shuffle
        self._epoch = 0
        self._order = self._make_order()

    def _make_order(self):
        n = len(self.data)
        if not self.shuffle:
            return list(range(n))
        g = torch.Generator().manual_seed((self.seed + self._epoch) % (2**63))
        return torch.randperm(n, generator=g).tolist()

    @property
    def workers(self):
        return getattr(self.data, "workers", None)

    @property
    def max_queue_size(self):
        return getattr(self.data, "max_queue_size", None)

    def __len__(self):
        return _shard_length(len(self.data), self.rank, self.world, self.drop_remainder)

    def __getitem__(self, i):
        if i < 0 or i >= len(self):
            raise IndexError(f"shard index {i} out of range")
        return self.data[self._order[i * self.world + self.rank]]

    def on_epoch_end(self):
        if hasattr(self.data, "on_epoch_end"):
            self.data.on_epoch_end()
        self._epoch += 1
        if len(self._order) != len(self.data) or self.shuffle:
            self._order = self._make_order()


class _ShardedIterable:
    """A re-iterable stream (e.g. a DataLoader): each pass takes this process's turns."""

    def __init__(self, data, rank, world, drop_remainder):
        self.data = data
        self.rank, self.world = rank, world
        self.drop_remainder = drop_remainder

    def __iter__(self):
        return _take_turns(iter(self.data), self.rank, self.world, self.drop_remainder)

    def __len__(self):
        n = len(self.data)  # TypeError when the stream has no length: the caller handles it
        return _shard_length(n, self.rank, self.world, self.drop_remainder)


class _ShardedIterator(abc.Iterator):
    """A one-pass iterator (e.g. a generator): this process's turns, lazily."""

    def __init__(self, data, rank, world, drop_remainder):
        self._it = _take_turns(data, rank, world, drop_remainder)

    def __next__(self):
        return next(self._it)
