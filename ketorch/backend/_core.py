"""Small shared helpers: dtypes, devices, name uniquification, call context.

Kept free of layer imports so every other module can use it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import threading
from collections import defaultdict

import numpy as np
import torch
import torch.nn.functional as F

_DTYPES = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "int8": torch.int8,
    "uint8": torch.uint8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "bool": torch.bool,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
    "uint16": torch.uint16,
    "uint32": torch.uint32,
    "uint64": torch.uint64,
}
_DTYPE_NAMES = {v: k for k, v in _DTYPES.items()}


def standardize_dtype(dtype) -> str:
    """The Keras name of a dtype given as a string, Python type, NumPy or torch dtype
    (``None`` gives floatx); also accepts dtype-policy names and serialized policies."""
    if isinstance(dtype, dict):  # a serialized DTypePolicy
        dtype = dtype.get("config", {}).get("name", "float32")
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        return dtype
    from ..ops._dtypes import standardize_dtype as keras_standardize  # import cycle

    return keras_standardize(dtype)


def torch_dtype(dtype) -> torch.dtype:
    """The torch dtype for a Keras dtype name (or any dtype-like)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    name = standardize_dtype(dtype)
    if name.startswith("mixed_"):
        return torch.float32
    return _DTYPES.get(name, torch.float32)


def is_float_dtype(dtype) -> bool:
    return standardize_dtype(dtype).startswith(("float", "bfloat", "mixed"))


# ---------------------------------------------------------------- device ---

_DEVICE: torch.device | None = None


def get_device() -> torch.device:
    """The device new models train on: ``set_device`` > ``KETORCH_DEVICE`` > CUDA > CPU."""
    global _DEVICE
    if _DEVICE is None:
        env = os.environ.get("KETORCH_DEVICE")
        if env:
            _DEVICE = torch.device(env)
        elif torch.cuda.is_available():
            _DEVICE = torch.device("cuda")
        else:
            _DEVICE = torch.device("cpu")
    return _DEVICE


def set_device(device) -> None:
    """Choose the device (``"cpu"``, ``"cuda"``, ``"cuda:1"``, a ``torch.device``)."""
    global _DEVICE
    _DEVICE = None if device is None else torch.device(device)


# ------------------------------------------------------------------ names ---

_NAME_COUNTS: dict[str, int] = defaultdict(int)
_NAME_LOCK = threading.Lock()


def to_snake_case(name: str) -> str:
    """``"MaxPooling2D"`` -> ``"max_pooling2d"``, as Keras derives default names."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return s


def unique_name(base: str) -> str:
    """``dense``, then ``dense_1``, ``dense_2``, ... within one session."""
    with _NAME_LOCK:
        n = _NAME_COUNTS[base]
        _NAME_COUNTS[base] += 1
    return base if n == 0 else f"{base}_{n}"


def clear_session() -> None:
    """Reset automatic layer names (``dense``, ``dense_1``, ...)."""
    _NAME_COUNTS.clear()


# ----------------------------------------------------------- call context ---


class _CallContext:
    """One thread's state of the layer calls in progress.

    Each thread has its own (see :func:`call_context`), so a ``predict`` in one thread never
    sees the ``training`` flag, the ``add_loss`` collector or the deferred state updates of a
    training step running in another.
    """

    __slots__ = (
        "training",
        "losses",
        "state_updates",
        "depth",
        "generation",
        "autocast_depth",
        "__weakref__",  # layers key their add_loss() values by the thread's context
    )

    def __init__(self):
        self.depth = 0  # nesting of eager layer calls
        self.generation = 0  # the outermost eager layer call in progress (or last), see below
        self.training = None
        self.losses = None  # a list while a train/test step collects add_loss() values
        # A list while a compiled step traces the loss under torch.func.grad, which forbids
        # in-place writes to tensors from outside: (variable, new value) pairs applied after.
        self.state_updates = None
        self.autocast_depth = 0  # mixed-precision layer calls in progress (mixed_precision)


class _PerThread(threading.local):
    def __init__(self):
        self.ctx = _CallContext()


PER_THREAD = _PerThread()  # PER_THREAD.ctx: this thread's context (hot paths read it inline)

# Outermost layer calls are numbered process-wide, so a number never means two calls.
next_generation = itertools.count(1).__next__


def call_context() -> _CallContext:
    """The calling thread's :class:`_CallContext` (one attribute lookup; the layer hot path)."""
    return PER_THREAD.ctx


class _CallContextProxy:
    """``CALL_CONTEXT.x`` reads and writes the calling thread's context."""

    __slots__ = ()

    def __getattr__(self, name):
        return getattr(PER_THREAD.ctx, name)

    def __setattr__(self, name, value):
        setattr(PER_THREAD.ctx, name, value)


CALL_CONTEXT = _CallContextProxy()


def assign_state(variable: torch.Tensor, value: torch.Tensor) -> None:
    """``variable.copy_(value)`` for non-trainable state (moving statistics), deferred while a
    compiled training step traces its loss."""
    updates = PER_THREAD.ctx.state_updates
    if updates is not None:
        updates.append((variable, value.detach()))
        return
    with torch.no_grad():
        variable.copy_(value)


def to_tensor(x, dtype=None, device=None) -> torch.Tensor:
    """Convert array-likes to a tensor; float64 becomes float32 as in Keras."""
    if isinstance(x, torch.Tensor):
        t = x
    else:
        if hasattr(x, "to_numpy"):  # pandas
            x = x.to_numpy()
        a = np.asarray(x)
        if a.dtype == np.float64 and dtype is None:
            a = a.astype(np.float32)
        if a.dtype == object:
            raise TypeError(
                "Expected numeric data (numbers or arrays of numbers), got an array of Python "
                f"objects. Received: dtype=object, first element={a.flat[0] if a.size else None!r}"
            )
        if not a.flags.writeable or not a.flags.c_contiguous:
            a = np.ascontiguousarray(a).copy() if not a.flags.writeable else np.ascontiguousarray(a)
        t = torch.from_numpy(a)
    if dtype is not None and t.dtype != dtype:
        t = t.to(dtype)
    elif t.dtype == torch.float64 and dtype is None:
        t = t.float()
    if device is not None and t.device != device:
        t = t.to(device)
    return t


def epsilon() -> float:
    """The fuzz factor (1e-7 by default), as ``keras.backend.epsilon()``."""
    from ..config import epsilon as eps  # import cycle

    return eps()


def image_data_format() -> str:
    """The default image layout, as ``keras.backend.image_data_format()``."""
    from ..config import image_data_format as fmt  # import cycle

    return fmt()


def backend() -> str:
    """The engine name: ``"torch"``."""
    return "torch"


def fast_dropout(x: torch.Tensor, rate: float) -> torch.Tensor:
    """Inverted dropout with torch's global generator: drop with probability ``rate``, scale
    the kept values by ``1 / (1 - rate)``.

    On CPU a uniform draw compared with ``rate`` is about twice as fast as the
    ``bernoulli_`` inside ``F.dropout`` (torch's CPU bernoulli is a slow per-element path);
    elsewhere ``F.dropout``'s fused kernel is used.
    """
    if x.device.type != "cpu":
        return F.dropout(x, rate, True)
    mask = torch.rand(x.shape, device=x.device).ge_(rate).mul_(1.0 / (1.0 - rate))
    return x * mask.to(x.dtype)


@contextlib.contextmanager
def device_scope(device_name):
    """``with keras.device("cpu"):`` new tensors and models inside go to ``device_name``
    (``"cpu"``, ``"cuda"``, ``"cuda:1"``, or Keras's ``"gpu:0"`` spelling)."""
    global _DEVICE
    name = str(device_name).lower().replace("gpu", "cuda")
    previous = get_device()
    try:
        target = torch.device(name)
    except RuntimeError as e:
        raise ValueError(f"Invalid device name. Received: device_name={device_name!r}") from e
    _DEVICE = target
    try:
        yield target
    finally:
        _DEVICE = previous
