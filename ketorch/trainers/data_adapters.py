"""Turn what users pass to fit/evaluate/predict into batches of device tensors.

Arrays (numpy, torch, pandas, lists and dicts of them) are converted once and
sliced per batch; a shuffled epoch permutes once and slices contiguous
batches. Generators, ``PyDataset``/``Sequence`` objects and DataLoaders run in
a background thread that stays a few batches ahead of training.
"""

from __future__ import annotations

import math
import queue
import threading
import warnings

import numpy as np
import torch

from .. import backend

_BIG_ARRAY_BYTES = 2 << 30  # above this, gather per batch instead of permuting the epoch


# ------------------------------------------------------------ conversion ---
def _is_pandas(x):
    return type(x).__module__.startswith("pandas")


def _is_array_like(x):
    return isinstance(x, (np.ndarray, torch.Tensor)) or _is_pandas(x)


_LAZY_SLICE_BYTES = 64 << 20  # slices bigger than this stay lazy (memmaps)


class LazyArray:
    """A numpy array (typically an ``np.memmap``) read a batch at a time.

    Indexing with a batch of indices or a small slice returns a tensor; a large
    slice (e.g. the validation split) stays lazy. Nothing is loaded up front, so
    arrays larger than memory train without being read whole.
    """

    def __init__(self, array, dtype=None):
        self.array = array
        self.shape = tuple(array.shape)
        self.ndim = array.ndim
        self.dtype = dtype or backend.torch_dtype(
            "float32" if array.dtype.kind == "f" else str(array.dtype)
        )
        self.device = torch.device("cpu")

    def numel(self):
        return int(np.prod(self.shape))

    def element_size(self):
        return torch.empty((), dtype=self.dtype).element_size()

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def to(self, dtype_or_device=None, **kwargs):
        if isinstance(dtype_or_device, torch.dtype):
            return LazyArray(self.array, dtype_or_device)
        return self  # stays on the host; batches move to the device one at a time

    def float(self):
        return self.to(torch.float32)

    def long(self):
        return self.to(torch.int64)

    def _tensor(self, a):
        a = np.asarray(a)
        if not a.flags.writeable or not a.flags.c_contiguous:
            a = np.array(a, copy=True, order="C")  # one batch: cheap, and torch wants it writable
        return torch.from_numpy(a).to(self.dtype)

    def __getitem__(self, key):
        if isinstance(key, torch.Tensor):
            return self._tensor(self.array[key.cpu().numpy()])
        if isinstance(key, slice):
            start, stop, step = key.indices(self.shape[0])
            rows = max(0, (stop - start + (step - (1 if step > 0 else -1))) // step)
            row_bytes = self.element_size() * int(np.prod(self.shape[1:]))
            if rows * row_bytes > _LAZY_SLICE_BYTES:
                return LazyArray(self.array[key], self.dtype)
        return self._tensor(self.array[key])

    def min(self):
        return torch.as_tensor(np.min(self.array))

    def max(self):
        return torch.as_tensor(np.max(self.array))


def _to_tensor(x, what, dtype=None):
    if isinstance(x, np.memmap) and x.ndim >= 1:
        return LazyArray(x, dtype)
    try:
        if _is_pandas(x):
            x = x.to_numpy()
            if x.dtype == object:
                x = x.astype(np.float32)
        if isinstance(x, np.ndarray) and x.dtype == bool:
            x = x.astype(np.float32)
        t = backend.to_tensor(x, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"Could not convert `{what}` to a tensor: {e}. Expected numbers (numpy arrays, torch "
            f"tensors, pandas data or nested lists of equal length). Received: {what} of type "
            f"{type(x).__name__}"
        ) from None
    if t.dtype == torch.bool:
        t = t.float()
    if t.ndim == 0:
        raise ValueError(
            f"`{what}` must have a batch axis (at least 1 dimension). Received a scalar: "
            f"{what}={x!r}"
        )
    return t


def flatten_x(x, input_names):
    """Return the model inputs as a flat list in model-input order."""
    if x is None:
        return None
    if isinstance(x, dict):
        if input_names and all(k in x for k in input_names):
            return [x[k] for k in input_names]
        if _is_pandas_frame_dict_missing(x, input_names):
            missing = [k for k in input_names if k not in x]
            raise ValueError(
                f"The input dict is missing keys {missing}; the model's inputs are named "
                f"{input_names}. Received keys: {list(x)}"
            )
        return list(x.values())
    if _is_pandas(x) and type(x).__name__ == "DataFrame" and input_names and len(input_names) > 1:
        if all(k in x.columns for k in input_names):
            return [x[k] for k in input_names]
    if isinstance(x, (list, tuple)):
        if x and all(_is_array_like(v) for v in x):
            if input_names is not None and len(input_names) == 1:
                if len(x) == 1:
                    return [x[0]]
                raise ValueError(
                    f"The model has 1 input but received a list of {len(x)} arrays. Pass a "
                    "single array (use np.stack if the list holds samples)."
                )
            return list(x)
        return [x]
    return [x]


def _is_pandas_frame_dict_missing(x, input_names):
    return bool(input_names) and any(k not in x for k in input_names) and len(x) == len(input_names)


def flatten_y(y, output_names):
    if y is None:
        return None
    if isinstance(y, dict):
        missing = [k for k in output_names if k not in y]
        if missing and len(y) == len(output_names):
            raise ValueError(
                f"The target dict has keys {list(y)} but the model's outputs are named "
                f"{output_names}."
            )
        return [y.get(k) for k in output_names]
    if isinstance(y, (list, tuple)) and len(output_names) > 1:
        if len(y) != len(output_names):
            raise ValueError(
                f"The model has {len(output_names)} outputs ({output_names}) but `y` is a list "
                f"of {len(y)} arrays. Pass one target array per output."
            )
        return list(y)
    if (
        isinstance(y, (list, tuple))
        and len(output_names) == 1
        and y
        and all(_is_array_like(v) for v in y)
        and len(y) == 1
    ):
        return [y[0]]
    return [y]


def check_cardinality(x_list, y_list, sw):
    sizes = {}
    for name, items in (
        ("x", x_list),
        ("y", y_list or []),
        ("sample_weight", [sw] if sw is not None else []),
    ):
        for t in items:
            if t is not None:
                sizes.setdefault(name, []).append(int(t.shape[0]))
    all_sizes = {s for v in sizes.values() for s in v}
    if len(all_sizes) > 1:
        detail = " ".join(f"'{k}' sizes: {', '.join(map(str, v))}" for k, v in sizes.items())
        raise ValueError(
            "Data cardinality is ambiguous. Make sure all arrays contain the same number of "
            f"samples. {detail}"
        )
    n = all_sizes.pop() if all_sizes else 0
    if n == 0:
        raise ValueError(
            "Expected at least one sample in the data; received arrays with 0 samples."
        )
    return n


def check_input_shapes(model, x_list):
    """Compare data shapes with the model's declared inputs; raise a clear error."""
    specs = model._input_specs()
    if not specs:
        return
    if len(specs) != len(x_list):
        raise ValueError(
            f"Model '{model.name}' expects {len(specs)} input(s) ({[s[0] for s in specs]}), but "
            f"received {len(x_list)} input array(s)."
        )
    for i, ((name, shape, _dtype), t) in enumerate(zip(specs, x_list)):
        got = tuple(t.shape)
        want = tuple(shape)
        fmt_want = "(" + ", ".join("None" if d is None else str(d) for d in want) + ")"
        if len(got) != len(want):
            raise ValueError(
                f"Input {i} ('{name}') of model '{model.name}' is incompatible: expected data "
                f"of rank {len(want)} with shape {fmt_want}, but received data of rank "
                f"{len(got)} with shape {got}."
            )
        for d_want, d_got in zip(want[1:], got[1:]):
            if d_want is not None and d_want != d_got:
                raise ValueError(
                    f"Input {i} ('{name}') of model '{model.name}' is incompatible: expected "
                    f"shape {fmt_want}, but received data with shape {got}."
                )


def input_dtypes(model, n):
    specs = model._input_specs()
    if not specs:
        return [None] * n
    return [backend.torch_dtype(d) if d is not None else None for _, _, d in specs]


def convert_x(model, x_list):
    dtypes = input_dtypes(model, len(x_list))
    out = []
    for i, (x, dt) in enumerate(zip(x_list, dtypes)):
        t = _to_tensor(x, "x" if len(x_list) == 1 else f"x[{i}]")
        if dt is not None:
            if dt.is_floating_point and t.dtype != dt:
                t = t.to(dt)
            elif not dt.is_floating_point and t.is_floating_point():
                t = t.long()
            elif not dt.is_floating_point and t.dtype != torch.int64:
                t = t.long()
        elif not t.is_floating_point() and t.dtype != torch.int64:
            t = t.long()
        out.append(t)
    return _adjust_ranks(model, out)


def _adjust_ranks(model, x_list):
    """As Keras: a rank-1 column feeds an ``Input((1,))``; an extra trailing 1 is dropped."""
    specs = model._input_specs()
    if not specs or len(specs) != len(x_list):
        return x_list
    out = []
    for (_, shape, _), t in zip(specs, x_list):
        if shape is not None and isinstance(t, torch.Tensor):
            want = len(shape)
            if t.ndim == want - 1 and shape[-1] == 1:
                t = t.unsqueeze(-1)
            elif t.ndim == want + 1 and t.shape[-1] == 1:
                t = t.squeeze(-1)
        out.append(t)
    return out


def convert_y(y_list):
    if y_list is None:
        return None
    out = []
    for i, y in enumerate(y_list):
        if y is None:
            out.append(None)
            continue
        t = _to_tensor(y, "y" if len(y_list) == 1 else f"y[{i}]")
        if t.dtype != torch.float32:
            t = t.float()
        out.append(t)
    return out


def class_weight_to_sample_weight(y, class_weight):
    """Per-sample weights from ``{class: weight}``, as Keras derives them."""
    if y.ndim > 1 and y.shape[-1] > 1:
        labels = torch.argmax(y, dim=-1)
    else:
        labels = torch.round(y.reshape(y.shape[0], -1)[:, 0]).long()
    max_label = int(labels.max()) if labels.numel() else 0
    table = torch.ones(max(max_label + 1, max(class_weight) + 1 if class_weight else 1))
    for k, v in class_weight.items():
        if int(k) < 0:
            raise ValueError(f"class_weight keys must be class indices >= 0. Received: {k}")
        table[int(k)] = float(v)
    return table[labels]


# ---------------------------------------------------------------- arrays ---
class ArrayBatches:
    """Batches over in-memory tensors: one permutation per epoch, contiguous slices."""

    def __init__(
        self, x, y, sw, batch_size, shuffle, device, steps=None, shard=None, generator=None
    ):
        self.x, self.y, self.sw = x, y, sw
        # Data parallel: ``shard=(rank, world)`` keeps this process's piece of every batch;
        # ``generator`` (the same seed on every process) draws the shuffling permutation.
        self.shard, self.generator = shard, generator
        self.n = int(x[0].shape[0])
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.device = device
        self.num_batches = math.ceil(self.n / self.batch_size)
        self.steps = steps
        self._move_to_device()

    def _all(self):
        return [t for t in (*self.x, *(self.y or []), self.sw) if t is not None]

    def _move_to_device(self):
        self.per_batch_transfer = False
        self.lazy = any(isinstance(t, LazyArray) for t in self._all())
        if self.lazy:
            self.per_batch_transfer = self.device.type != "cpu"
            return
        if self.device.type == "cpu":
            return
        total = sum(t.numel() * t.element_size() for t in self._all())
        if total < (1 << 30):
            self.x = [t.to(self.device) for t in self.x]
            self.y = (
                [t.to(self.device) if t is not None else None for t in self.y] if self.y else self.y
            )
            self.sw = self.sw.to(self.device) if self.sw is not None else None
        else:
            self.per_batch_transfer = True

    def __len__(self):
        return self.num_batches

    def epoch(self):
        x, y, sw = self.x, self.y, self.sw
        gather = None
        if self.shuffle:
            if self.generator is not None:
                perm = torch.randperm(self.n, generator=self.generator).to(x[0].device)
            else:
                perm = torch.randperm(self.n, device=x[0].device)
            total = sum(t.numel() * t.element_size() for t in self._all())
            if self.shuffle == "batch":
                nb = self.num_batches
                order = torch.randperm(nb, generator=self.generator)
                perm = torch.cat(
                    [
                        torch.arange(i * self.batch_size, min((i + 1) * self.batch_size, self.n))
                        for i in order.tolist()
                    ]
                ).to(x[0].device)
            if total <= _BIG_ARRAY_BYTES and not self.lazy:
                x = [t[perm] for t in x]
                y = [t[perm] if t is not None else None for t in y] if y else y
                sw = sw[perm] if sw is not None else None
            else:
                gather = perm
        bs = self.batch_size
        for start in range(0, self.n, bs):
            end = min(start + bs, self.n)
            if gather is not None:
                idx = gather[start:end]
                bx = [t[idx] for t in x]
                by = [t[idx] if t is not None else None for t in y] if y else None
                bsw = sw[idx] if sw is not None else None
            else:
                bx = [t[start:end] for t in x]
                by = [t[start:end] if t is not None else None for t in y] if y else None
                bsw = sw[start:end] if sw is not None else None
            if self.shard is not None:
                bx, by, bsw = _shard_batch((bx, by, bsw), *self.shard)
            if self.per_batch_transfer:
                bx, by, bsw = to_device((bx, by, bsw), self.device)
            yield bx, by, bsw


def _shard_batch(batch, rank, world):
    def piece(t):
        return t.tensor_split(world)[rank] if t is not None else None

    bx, by, bsw = batch
    return [piece(t) for t in bx], [piece(t) for t in by] if by else by, piece(bsw)


def to_device(batch, device):
    def move(t):
        if isinstance(t, torch.Tensor) and t.device != device:
            if t.device.type == "cpu" and device.type == "cuda":
                return t.pin_memory().to(device, non_blocking=True)
            return t.to(device)
        return t

    bx, by, bsw = batch
    return (
        [move(t) for t in bx],
        [move(t) for t in by] if by is not None else None,
        move(bsw),
    )


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


def unpack_batch(batch, what="the data generator"):
    """Split a generator item into ``(x, y, sample_weight)`` (lists count as tuples)."""
    if isinstance(batch, (tuple, list)):
        if len(batch) == 1:
            return batch[0], None, None
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch[0], batch[1], batch[2]
        raise ValueError(
            f"Each item from {what} must be `x`, `(x, y)` or `(x, y, sample_weight)`; received a "
            f"sequence of length {len(batch)}."
        )
    return batch, None, None


class OrderedPrefetcher:
    """Load ``dataset[i]`` for a sequence of indices in a thread pool, keeping order."""

    def __init__(self, dataset, indices, convert, max_queue_size=10, workers=1):
        import collections
        from concurrent.futures import ThreadPoolExecutor

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


class StreamBatches:
    """Batches from a generator, iterator, PyDataset/Sequence or DataLoader."""

    def __init__(
        self,
        data,
        steps,
        model,
        device,
        max_queue_size=10,
        workers=1,
        shuffle=False,
        class_weight=None,
    ):
        self.data = data
        self.steps = steps
        self.model = model
        self.device = device
        self.max_queue_size = max_queue_size
        self.workers = workers
        self.shuffle = shuffle
        self.class_weight = class_weight
        self.reiterable = _is_reiterable(data)
        self._prefetcher = None
        self.exhausted = False
        self.num_batches = self._length()

    def _length(self):
        if self.steps is not None:
            return int(self.steps)
        if hasattr(self.data, "__len__") and not isinstance(self.data, (list, tuple)):
            try:
                return len(self.data)
            except TypeError:
                return None
        return None

    def __len__(self):
        return self.num_batches

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

    def _ensure(self):
        if self._prefetcher is not None:
            return
        if _is_py_dataset(self.data):
            workers = getattr(self.data, "workers", None) or self.workers
            qsize = getattr(self.data, "max_queue_size", None) or self.max_queue_size
            order = list(range(len(self.data)))
            if self.shuffle:
                order = torch.randperm(len(order)).tolist()
            self._prefetcher = OrderedPrefetcher(self.data, order, self._convert, qsize, workers)
        else:
            self._prefetcher = Prefetcher(
                iter(self.data), self._convert, self.max_queue_size, self.workers
            )

    def epoch(self):
        """Yield up to ``steps`` batches (or until exhausted)."""
        if self.reiterable and (self.steps is None or self._prefetcher is None):
            self.close()
        self._ensure()
        produced = 0
        while self.steps is None or produced < self.steps:
            batch = self._prefetcher.get()
            if batch is None:
                self._prefetcher = None
                if self.steps is not None and produced < self.steps:
                    if self.reiterable and produced > 0:
                        self._ensure()
                        continue
                    self.exhausted = True
                    warnings.warn(
                        "Your input ran out of data; interrupting training. Make sure that your "
                        "dataset or generator can generate at least `steps_per_epoch * epochs` "
                        f"batches (here it stopped after {produced} of {self.steps} steps in this "
                        "epoch). You may need to use `.repeat()` or a `while True:` generator.",
                        stacklevel=4,
                    )
                break
            produced += 1
            yield batch
        if _is_py_dataset(self.data) and hasattr(self.data, "on_epoch_end"):
            self.data.on_epoch_end()
        if self.num_batches is None and self.steps is None:
            self.num_batches = produced

    def close(self):
        if self._prefetcher is not None:
            self._prefetcher.close()
            self._prefetcher = None


def _is_py_dataset(data):
    """A Keras ``PyDataset``/``Sequence``-like object: ``__len__`` batches, ``__getitem__``."""
    if isinstance(data, (list, tuple, dict, str, np.ndarray, torch.Tensor)) or _is_pandas(data):
        return False
    return hasattr(data, "__getitem__") and hasattr(data, "__len__") and not _is_torch_dataset(data)


def _is_torch_dataset(data):
    return isinstance(data, torch.utils.data.Dataset) and not hasattr(data, "on_epoch_end")


def _is_reiterable(data):
    import collections.abc as abc

    if isinstance(data, abc.Iterator):
        return False
    return isinstance(data, abc.Iterable) or _is_py_dataset(data)


def wrap_torch_dataset(data, batch_size, shuffle):
    """A map-style ``torch.utils.data.Dataset`` of samples becomes a DataLoader of batches."""
    if (
        isinstance(data, torch.utils.data.Dataset)
        and not isinstance(data, torch.utils.data.IterableDataset)
        and _is_torch_dataset(data)
    ):
        return torch.utils.data.DataLoader(
            data, batch_size=int(batch_size or 32), shuffle=bool(shuffle) and shuffle != "batch"
        )
    return data


def is_stream(x):
    """Whether ``x`` is a generator/iterator/dataset rather than arrays."""
    import collections.abc as abc
    import types

    if isinstance(x, (types.GeneratorType, abc.Iterator)):
        return True
    if isinstance(x, torch.utils.data.DataLoader):
        return True
    if _is_py_dataset(x):
        return True
    return False
