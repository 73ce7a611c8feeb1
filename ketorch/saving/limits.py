"""Bounds that keep a hostile file from exhausting memory while a model is rebuilt.

Two checks run while loading:

- :func:`check_config` refuses shapes in ``config.json`` that no real model
  has (negative sizes, more than ``MAX_ELEMENTS_PER_SAMPLE`` elements per
  sample), and configs nested absurdly deep.
- :func:`weight_budget` caps the bytes that ``Layer.add_weight`` may
  allocate while the config is turned into layers: a layer cannot need more
  weight memory than the weights file provides (with slack), so
  ``Dense(units=10**12)`` in a small file fails fast instead of allocating.
"""

from __future__ import annotations

import contextlib
import math
import threading

import numpy as np

MAX_ELEMENTS_PER_SAMPLE = 1 << 27  # 128 Mi values: far above any real input
MAX_DIM = 1 << 31
MAX_DEPTH = 200
_SHAPE_KEYS = frozenset(
    {"batch_shape", "batch_input_shape", "input_shape", "shape", "build_input_shape"}
)
_BUDGET = threading.local()
_PATCH_LOCK = threading.Lock()


class LimitError(ValueError):
    """A file asks for sizes no real model has."""


def check_config(config, depth: int = 0) -> None:
    """Walk ``config`` and refuse absurd shapes or nesting.

    Raises:
        LimitError: Naming the offending key and value.
    """
    if depth > MAX_DEPTH:
        raise LimitError(f"The model config is nested more than {MAX_DEPTH} levels deep.")
    if isinstance(config, dict):
        for key, value in config.items():
            if key in _SHAPE_KEYS and isinstance(value, (list, tuple)):
                _check_shape(key, value)
            check_config(value, depth + 1)
    elif isinstance(config, list):
        for value in config:
            check_config(value, depth + 1)


def _check_shape(key, shape) -> None:
    if shape and isinstance(shape[0], (list, tuple, dict)):
        return  # several shapes: each is checked when the walk reaches it
    dims = [d for d in shape if d is not None]
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        return
    if any(d < 0 or d > MAX_DIM for d in dims):
        raise LimitError(f"The model config has an impossible shape. Received: {key}={shape}")
    per_sample = math.prod(dims[1:] if shape and shape[0] is not None else dims)
    if per_sample > MAX_ELEMENTS_PER_SAMPLE:
        raise LimitError(
            f"The model config declares {per_sample} values per sample (limit "
            f"{MAX_ELEMENTS_PER_SAMPLE}). Received: {key}={shape}"
        )


@contextlib.contextmanager
def weight_budget(max_bytes: int):
    """Within the block, ``Layer.add_weight`` may allocate at most ``max_bytes`` in total."""
    from ..layers.layer import Layer

    with _PATCH_LOCK:
        original = Layer.add_weight
        if getattr(original, "_ketorch_guarded", False):
            original = original._ketorch_original

        def guarded(self, *args, **kwargs):
            left = getattr(_BUDGET, "left", None)
            if left is not None:
                nbytes = _requested_bytes(args, kwargs)
                if nbytes > left:
                    raise LimitError(
                        f"Layer '{getattr(self, 'name', '?')}' asks for a {nbytes}-byte weight, "
                        "more than the weights file holds; the config does not match the file "
                        "(damaged or hostile). Received: "
                        f"shape={kwargs.get('shape', args[:2])}"
                    )
                _BUDGET.left = left - nbytes
            return original(self, *args, **kwargs)

        guarded._ketorch_guarded = True
        guarded._ketorch_original = original
        Layer.add_weight = guarded
    previous = getattr(_BUDGET, "left", None)
    _BUDGET.left = int(max_bytes)
    try:
        yield
    finally:
        _BUDGET.left = previous
        if previous is None:
            with _PATCH_LOCK:
                Layer.add_weight = original


def _requested_bytes(args, kwargs) -> int:
    shape = kwargs.get("shape")
    if shape is None and args:
        shape = args[1] if isinstance(args[0], str) and len(args) > 1 else args[0]
    if isinstance(shape, str) or shape is None:
        return 0
    try:
        dims = [int(d) for d in shape]
    except (TypeError, ValueError):
        return 0
    if any(d < 0 for d in dims):
        raise LimitError(f"A weight cannot have a negative size. Received: shape={tuple(dims)}")
    itemsize = 4
    dtype = kwargs.get("dtype")
    if dtype is not None:
        with contextlib.suppress(TypeError):
            itemsize = np.dtype(str(dtype).replace("torch.", "")).itemsize
    return math.prod(dims) * itemsize
