"""A lazy, streaming dataset with the ``tf.data.Dataset`` methods tutorials chain.

``image_dataset_from_directory`` and its siblings return a `Dataset`: nothing is
read or computed until it is iterated, and every method (``map``, ``batch``,
``shuffle``, ``cache``, ``prefetch``, ``take``, ...) returns a new `Dataset`
with ``tf.data``'s semantics, including its cardinality rules (``-1`` infinite,
``-2`` unknown). ``fit``/``evaluate``/``predict`` take one like a ``tf.data``
dataset: one pass per epoch, ``shuffle=`` ignored (the dataset orders itself).

While every stage keeps batch ``i`` computable on its own (a file source, then
``map``/``batch``/``cache``/``prefetch``/``take``/``skip``), the dataset is also
indexable, ``ds[i]``, as a `PyDataset` is.
"""

from __future__ import annotations

import itertools
import queue
import threading

import numpy as np
import torch

INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2
AUTOTUNE = -1
# Attributes Keras sets on the datasets it returns; kept through every method.
_KEPT_ATTRIBUTES = ("class_names", "file_paths", "start_positions")


# ------------------------------------------------------------- structures
def _apply(fn, element):
    """``fn(*element)`` for a tuple element (as tf.data unpacks it), else ``fn(element)``."""
    return fn(*element) if isinstance(element, tuple) else fn(element)


def _map_leaves(fn, element):
    if isinstance(element, (tuple, list)):
        return type(element)(_map_leaves(fn, e) for e in element)
    if isinstance(element, dict):
        return {k: _map_leaves(fn, v) for k, v in element.items()}
    return fn(element)


def _to_numpy(leaf):
    if isinstance(leaf, torch.Tensor):
        return leaf.detach().cpu().numpy()
    if not isinstance(leaf, np.ndarray) and hasattr(leaf, "numpy"):
        return leaf.numpy()  # a TensorFlow / JAX array
    return leaf


def _stack(items: list):
    """Stack equal-structure elements along a new first axis (strings stay ``object``)."""
    first = items[0]
    if isinstance(first, (tuple, list)):
        return type(first)(_stack([it[k] for it in items]) for k in range(len(first)))
    if isinstance(first, dict):
        return {k: _stack([it[k] for it in items]) for k in first}
    if isinstance(first, torch.Tensor):
        return torch.stack([torch.as_tensor(it) for it in items])
    if isinstance(first, (str, bytes)):
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out
    return np.stack([np.asarray(it) for it in items])


def _rows(element) -> int:
    leaf = element
    while isinstance(leaf, (tuple, list, dict)):
        leaf = next(iter(leaf.values())) if isinstance(leaf, dict) else leaf[0]
    return len(leaf)


# ------------------------------------------------------------- prefetching
_END = object()


class _Failure:
    def __init__(self, exc):
        self.exc = exc


def _prefetched(iterator, size: int):
    """Run ``iterator`` in a background thread, ``size`` elements ahead."""
    items: queue.Queue = queue.Queue(maxsize=max(1, size))
    stop = threading.Event()

    def produce():
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            item = _END
        except BaseException as e:  # noqa: BLE001 - re-raised in the consumer
            item = _Failure(e)
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    thread = threading.Thread(target=produce, daemon=True, name="ketorch-dataset-prefetch")
    thread.start()
    try:
        while True:
            item = items.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()


# ------------------------------------------------------------- the dataset
class Dataset:
    """A lazy sequence of elements (usually batches) with ``tf.data``'s methods.

    Build one with `Dataset.from_tensor_slices` or get one from
    ``image_dataset_from_directory`` & co.; every method returns a new dataset
    and runs nothing until iteration.

    Attributes:
        class_names: The class names of the source (None if it has none),
            kept through every method.

    Example:
        >>> ds = Dataset.from_tensor_slices(np.arange(10))
        >>> ds = ds.filter(lambda x: x % 2 == 0).map(lambda x: x * 10).batch(2)
        >>> [b.tolist() for b in ds]
        [[0, 20], [40, 60], [80]]
        >>> ds.cardinality() == UNKNOWN_CARDINALITY
        True
    """

    def __init__(self, iterate, cardinality: int, parent=None):
        self._iterate = iterate  # () -> a fresh iterator over the elements
        self._cardinality = int(cardinality)
        self.class_names = getattr(parent, "class_names", None)
        for name in _KEPT_ATTRIBUTES[1:]:
            if getattr(parent, name, None) is not None:
                setattr(self, name, getattr(parent, name))

    # ----------------------------------------------------- constructors
    @classmethod
    def from_tensor_slices(cls, tensors) -> Dataset:
        """One element per row of ``tensors`` (an array, or a tuple/dict of them)."""

        def convert(t):  # tuples and dicts are structure; anything else is one array
            if isinstance(t, tuple):
                return tuple(convert(v) for v in t)
            if isinstance(t, dict):
                return {k: convert(v) for k, v in t.items()}
            return t if isinstance(t, torch.Tensor) else np.asarray(t)

        tensors = convert(tensors)
        n = _rows(tensors)

        def get(i):
            return _map_leaves(lambda a: a[i], tensors)

        return _derive(None, lambda: (get(i) for i in range(n)), n, get)

    # ----------------------------------------------------- protocol
    def __iter__(self):
        return iter(self._iterate())

    def as_numpy_iterator(self):
        """An iterator over the elements with tensors converted to NumPy arrays."""
        return (_map_leaves(_to_numpy, e) for e in self._iterate())

    def cardinality(self) -> int:
        """The number of elements: ``-1`` if infinite, ``-2`` if unknown (as ``tf.data``)."""
        return self._cardinality

    def __len__(self) -> int:
        if self._cardinality == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if self._cardinality == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return self._cardinality

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} cardinality={self._cardinality}>"

    @property
    def element_spec(self):
        """``(shape, dtype)`` of each component, read from the first element."""
        first = next(iter(self._iterate()))
        return _map_leaves(lambda a: (tuple(np.shape(a)), str(getattr(a, "dtype", ""))), first)

    @property
    def _indexed(self) -> bool:
        return False

    # ----------------------------------------------------- transformations
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None) -> Dataset:
        """Apply ``map_func`` to each element (a tuple element is unpacked into arguments).

        ``num_parallel_calls`` is accepted for ``tf.data`` code; elements are mapped
        in order (``prefetch`` overlaps the work with training).
        """
        get = (lambda i: _apply(map_func, self[i])) if self._indexed else None
        return _derive(
            self, lambda: (_apply(map_func, e) for e in self._iterate()), self._cardinality, get
        )

    def batch(
        self, batch_size: int, drop_remainder: bool = False, num_parallel_calls=None,
        deterministic=None, name=None,
    ) -> Dataset:  # fmt: skip
        """Stack ``batch_size`` consecutive elements into one (the last may be smaller)."""
        if int(batch_size) <= 0:
            raise ValueError(f"`batch_size` must be positive. Received: batch_size={batch_size}")
        size, n = int(batch_size), self._cardinality

        def iterate():
            buffer = []
            for element in self._iterate():
                buffer.append(element)
                if len(buffer) == size:
                    yield _stack(buffer)
                    buffer = []
            if buffer and not drop_remainder:
                yield _stack(buffer)

        if n >= 0:
            n = n // size + (0 if n % size == 0 or drop_remainder else 1)
        get = None
        if self._indexed and self._cardinality >= 0:
            total = self._cardinality

            def get(i):
                return _stack([self[j] for j in range(i * size, min((i + 1) * size, total))])

        return _derive(self, iterate, n, get)

    def unbatch(self, name=None) -> Dataset:
        """Split each element along its first axis into single rows."""

        def iterate():
            for element in self._iterate():
                for i in range(_rows(element)):
                    yield _map_leaves(lambda a, i=i: a[i], element)

        return _derive(self, iterate, UNKNOWN_CARDINALITY)

    def shuffle(
        self, buffer_size: int, seed: int | None = None, reshuffle_each_iteration: bool = True,
        name=None,
    ) -> Dataset:  # fmt: skip
        """Shuffle through a buffer of ``buffer_size`` elements (a full shuffle when it
        holds the whole dataset). Each pass reshuffles unless
        ``reshuffle_each_iteration=False``; a ``seed`` makes the orders repeatable."""
        if int(buffer_size) <= 0:
            raise ValueError(f"`buffer_size` must be positive. Received: buffer_size={buffer_size}")
        size = int(buffer_size)
        base = int(np.random.randint(2**31)) if seed is None else int(seed)
        passes = itertools.count()

        def iterate():
            rng = np.random.default_rng([base, next(passes) if reshuffle_each_iteration else 0])
            buffer = []
            for element in self._iterate():
                if len(buffer) < size:
                    buffer.append(element)
                    continue
                k = int(rng.integers(size))
                yield buffer[k]
                buffer[k] = element
            for k in rng.permutation(len(buffer)):
                yield buffer[k]

        return _derive(self, iterate, self._cardinality)

    def cache(self, filename: str = "", name=None) -> Dataset:
        """Keep the elements of the first complete pass in memory and replay them."""
        done: list = []
        memo: dict = {}

        def iterate():
            if done:
                yield from done[0]
                return
            seen = []
            for element in self._iterate():
                seen.append(element)
                yield element
            done.append(seen)

        def get(i):
            if i not in memo:
                memo[i] = self[i]
            return memo[i]

        return _derive(self, iterate, self._cardinality, get if self._indexed else None)

    def prefetch(self, buffer_size=AUTOTUNE, name=None) -> Dataset:
        """Produce up to ``buffer_size`` elements ahead in a background thread."""
        size = 2 if buffer_size is None or int(buffer_size) < 1 else int(buffer_size)
        get = (lambda i: self[i]) if self._indexed else None
        return _derive(self, lambda: _prefetched(self._iterate(), size), self._cardinality, get)

    def take(self, count: int, name=None) -> Dataset:
        """The first ``count`` elements (all of them for ``count=-1``)."""
        count, n = int(count), self._cardinality
        if n != UNKNOWN_CARDINALITY and count >= 0:
            n = count if n == INFINITE_CARDINALITY else min(n, count)
        stop = None if count < 0 else count
        get = (lambda i: self[i]) if self._indexed and n >= 0 else None
        return _derive(self, lambda: itertools.islice(self._iterate(), stop), n, get)

    def skip(self, count: int, name=None) -> Dataset:
        """All but the first ``count`` elements (none for ``count=-1``)."""
        count, n = int(count), self._cardinality
        if n >= 0:
            n = 0 if count < 0 else max(0, n - count)

        def iterate():
            if count < 0:
                return iter(())
            return itertools.islice(self._iterate(), count, None)

        get = (lambda i: self[i + count]) if self._indexed and n >= 0 else None
        return _derive(self, iterate, n, get)

    def repeat(self, count: int | None = None, name=None) -> Dataset:
        """The dataset ``count`` times over (forever for ``None`` or ``-1``)."""
        forever = count is None or int(count) < 0
        n = self._cardinality
        if forever:
            n = 0 if n == 0 else INFINITE_CARDINALITY
        elif int(count) == 0:
            n = 0
        elif n >= 0:
            n = n * int(count)

        def iterate():
            for i in itertools.count():
                if not forever and i >= int(count):
                    return
                empty = True
                for element in self._iterate():
                    empty = False
                    yield element
                if empty:
                    return

        return _derive(self, iterate, n)

    def filter(self, predicate, name=None) -> Dataset:
        """The elements for which ``predicate`` (unpacking tuples as ``map``) is true."""
        return _derive(
            self,
            lambda: (e for e in self._iterate() if bool(_apply(predicate, e))),
            UNKNOWN_CARDINALITY,
        )


class IndexedDataset(Dataset):
    """A `Dataset` whose element ``i`` is ``ds[i]`` (a `PyDataset`-like view).

    Indexing reads only what element ``i`` needs; iteration is the streaming
    path (``fit`` uses it). ``on_epoch_end()`` reshuffles a shuffled file source.
    """

    def __init__(self, iterate, cardinality, parent, get, on_epoch_end=None):
        super().__init__(iterate, cardinality, parent)
        self._get = get
        self._on_epoch_end = on_epoch_end or getattr(parent, "on_epoch_end", None)

    @property
    def _indexed(self) -> bool:
        return True

    def __getitem__(self, index: int):
        if not 0 <= index < self._cardinality:
            raise IndexError(
                f"Batch index out of range. Received: index={index} for {self._cardinality} batches"
            )
        return self._get(index)

    def on_epoch_end(self) -> None:
        if self._on_epoch_end is not None:
            self._on_epoch_end()


def _derive(parent, iterate, cardinality, get=None) -> Dataset:
    if get is not None:
        return IndexedDataset(iterate, cardinality, parent, get)
    return Dataset(iterate, cardinality, parent)


def from_batch_source(source) -> IndexedDataset:
    """Wrap an indexable batch source (``len``, ``source[i]``, optional ``on_epoch_end``).

    Each pass after the first calls ``source.on_epoch_end()`` first (a shuffled
    file source then visits its files in a new order, as Keras's datasets do).
    """
    passes = itertools.count()
    reshuffle = getattr(source, "on_epoch_end", None)

    def iterate():
        if next(passes) and reshuffle is not None:
            reshuffle()
        for i in range(len(source)):
            yield source[i]

    ds = IndexedDataset(iterate, len(source), source, source.__getitem__, reshuffle)
    return ds
