"""Background loading for stream inputs: a thread-fed queue for iterators and an
order-keeping thread pool for indexable datasets (``PyDataset``/``Sequence``)."""

from __future__ import annotations

import collections
import queue
import threading
from concurrent.futures import ThreadPoolExecutor


# -------------------------------------------------------------- streams ---
class _Failure:
    def __init__(self, exc, index):
        self.exc, self.index = exc, index


_END = object()


class Prefetcher:
    """Run an iterator in background thread(s), keeping ``max_queue_size`` batches ready.

    Exceptions raised by the iterator re-raise in the consumer with their
    original traceback and the batch index. ``close()`` stops the threads.
    """

    def __init__(self, iterator, convert, max_queue_size=10, workers=1):
        self._it = iter(iterator)
        self._convert = convert
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, int(max_queue_size or 1)))
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._index = 0
        self._alive = max(1, int(workers or 1))
        self._threads = [
            threading.Thread(target=self._run, daemon=True, name=f"ketorch-prefetch-{i}")
            for i in range(self._alive)
        ]
        for t in self._threads:
            t.start()

    def _run(self):
        # Pull, convert and enqueue under one lock so that batches keep the generator's
        # order even with several workers (next() on a generator is serial anyway).
        while not self._stop.is_set():
            with self._lock:
                index = self._index
                try:
                    item = next(self._it)
                    self._index += 1
                except StopIteration:
                    item = _END
                except BaseException as e:  # noqa: BLE001 - forwarded to the consumer
                    item = _Failure(e, index)
                if item is not _END and not isinstance(item, _Failure):
                    try:
                        item = self._convert(item)
                    except BaseException as e:  # noqa: BLE001
                        item = _Failure(e, index)
                put = self._put(item)
            if not put or item is _END or isinstance(item, _Failure):
                return

    def _put(self, item):
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self):
        """The next converted batch, or ``None`` when the iterator is exhausted."""
        while True:
            try:
                item = self._queue.get(timeout=0.5)
            except queue.Empty:
                if not any(t.is_alive() for t in self._threads):
                    return None
                continue
            if item is _END:
                self._alive -= 1
                if self._alive <= 0:
                    return None
                continue
            if isinstance(item, _Failure):
                self.close()
                exc = item.exc
                exc.add_note(f"(raised by the data generator while producing batch {item.index})")
                raise exc
            return item

    def close(self):
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break


class OrderedPrefetcher:
    """Load ``dataset[i]`` for a sequence of indices in a thread pool, keeping order."""

    def __init__(self, dataset, indices, convert, max_queue_size=10, workers=1):
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, int(workers or 1)), thread_name_prefix="ketorch-prefetch"
        )
        self._dataset, self._convert = dataset, convert
        self._indices = iter(indices)
        self._pending = collections.deque()
        self._depth = max(1, int(max_queue_size or 1))
        self._fill()

    def _load(self, i):
        return self._convert(self._dataset[i])

    def _fill(self):
        while len(self._pending) < self._depth:
            try:
                i = next(self._indices)
            except StopIteration:
                return
            self._pending.append((i, self._pool.submit(self._load, i)))

    def get(self):
        """The next converted batch, or ``None`` when all indices are done."""
        if not self._pending:
            return None
        i, future = self._pending.popleft()
        try:
            batch = future.result()
        except BaseException as exc:
            self.close()
            exc.add_note(f"(raised by the dataset while producing batch {i})")
            raise
        self._fill()
        return batch

    def close(self):
        for _, f in self._pending:
            f.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
