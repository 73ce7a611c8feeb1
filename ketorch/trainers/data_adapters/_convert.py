"""Conversion of user data (numpy, torch, pandas, lists and dicts) to lists of tensors.

Shared by every adapter: inputs are flattened into model-input order, targets into
model-output order, and converted with the model's input dtypes. ``np.memmap``
arrays stay lazy (:class:`LazyArray`) and are read one batch at a time.
"""

from __future__ import annotations

import numpy as np
import torch

from ... import backend


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
