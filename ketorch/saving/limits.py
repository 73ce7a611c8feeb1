"""Bounds that keep a hostile file from exhausting memory while a model is rebuilt.

Three checks run while loading:

- Every ``.keras`` zip member is decompressed in chunks (see
  :mod:`~ketorch.saving.zip_members`), whatever its header claims, and reading
  stops with a :class:`LimitError` naming the member as soon as the output
  passes the member's declared size or one of these limits:

  ============================  ====================================================
  ``MAX_CONFIG_BYTES``          ``config.json`` / ``metadata.json`` (held in memory)
  ``MAX_ASSETS_BYTES``          all ``assets/`` files together (spooled to disk)
  ``MAX_WEIGHTS_BYTES``         ``model.weights.h5`` (spooled to a temporary file)
  ``MAX_ARCHIVE_BYTES``         everything read from one archive
  ``MAX_EXPANSION``             decompressed / compressed bytes, checked once a
                                member passed ``EXPANSION_FLOOR`` bytes
  ============================  ====================================================

- :func:`check_config` refuses shapes in ``config.json`` that no real model
  has (negative sizes, more than ``MAX_ELEMENTS_PER_SAMPLE`` elements per
  sample), and configs nested absurdly deep.
- :func:`check_inferred_shapes` refuses a layer output, inferred while the
  graph is rebuilt, with a size above ``MAX_DIM`` or more than
  ``MAX_ACTIVATION_ELEMENTS`` values per sample (``RepeatVector(n=2**40)``,
  ``UpSampling2D(size=10**6)``); shapes are inferred on meta tensors, so this
  fails before anything is allocated (see :mod:`ketorch.layers.shape_inference`).
- :func:`weight_budget` caps the bytes that ``Layer.add_weight`` may
  allocate while the config is turned into layers: a layer cannot need more
  weight memory than the weights file really holds. The budget is
  :func:`budget_for` of the bytes of the datasets found in the weights file
  (``WEIGHT_BUDGET_FACTOR`` times that plus ``WEIGHT_BUDGET_SLACK``), not of
  the file's or member's size, so padding a file does not raise it and
  ``Dense(units=10**12)`` in a small file fails fast instead of allocating.

Every limit is a module attribute read when a file is loaded; to load a file
that legitimately exceeds one, raise it first, e.g.
``ketorch.saving.limits.MAX_CONFIG_BYTES = 256 << 20``.
"""

from __future__ import annotations

import contextlib
import math
import threading

import numpy as np

from ..layers.layer import Layer

MAX_ELEMENTS_PER_SAMPLE = 1 << 27  # 128 Mi values: far above any real input
MAX_DIM = 1 << 31
MAX_DEPTH = 200
# Values per sample in any tensor that a loaded graph computes (inferred without data): 8 GiB
# of float32 for one sample of one activation is no real model.
MAX_ACTIVATION_ELEMENTS = 1 << 31
MAX_CONFIG_BYTES = 64 << 20
MAX_ASSETS_BYTES = 4 << 30
MAX_WEIGHTS_BYTES = 1 << 40
MAX_ARCHIVE_BYTES = 1 << 40
MAX_EXPANSION = 1000  # deflate cannot exceed ~1032:1; real weights compress far less
EXPANSION_FLOOR = 1 << 20
MAX_H5_OBJECTS = 1_000_000  # groups and datasets walked to size a weights file
WEIGHT_BUDGET_FACTOR = 4  # a model may hold wider dtypes than its file (float16 saved)
WEIGHT_BUDGET_SLACK = 64 << 20
_SHAPE_KEYS = frozenset(
    {"batch_shape", "batch_input_shape", "input_shape", "shape", "build_input_shape"}
)
_BUDGET = threading.local()
_PATCH_LOCK = threading.Lock()


class LimitError(ValueError):
    """A file asks for sizes no real model has."""


def budget_for(data_bytes: int) -> int:
    """The :func:`weight_budget` for a weights file holding ``data_bytes`` of datasets."""
    return WEIGHT_BUDGET_FACTOR * int(data_bytes) + WEIGHT_BUDGET_SLACK


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


def loading_file() -> bool:
    """Whether this thread is rebuilding a model from a file (a weight budget is active)."""
    return getattr(_BUDGET, "left", None) is not None


def check_inferred_shapes(layer, shapes) -> None:
    """Refuse output ``shapes`` of ``layer``, inferred while loading, that no real model has.

    Raises:
        LimitError: Naming the layer and the shape.
    """
    for shape in shapes:
        dims = [d for d in shape if d is not None]
        per_sample = math.prod(dims[1:] if shape and shape[0] is not None else dims)
        if any(d > MAX_DIM for d in dims) or per_sample > MAX_ACTIVATION_ELEMENTS:
            raise LimitError(
                f"Layer '{getattr(layer, 'name', '?')}' ({type(layer).__name__}) of the loaded "
                f"model would output {per_sample} values per sample (limit "
                f"{MAX_ACTIVATION_ELEMENTS}, sizes up to {MAX_DIM}): the config asks for sizes no "
                f"real model has (damaged or hostile). Received: output shape {tuple(shape)}"
            )
