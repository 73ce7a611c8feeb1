"""One-hot encoding of class labels and array normalisation."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def _check_num_classes(num_classes: Any) -> int | None:
    if num_classes is None:
        return None
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, (int, np.integer))
        or num_classes < 1
    ):
        raise ValueError(
            "to_categorical: `num_classes` must be None or a positive integer. "
            f"Received: num_classes={num_classes!r}"
        )
    return int(num_classes)


def _check_range(lo: int, hi: int, num_classes: int) -> None:
    if lo < 0:
        raise ValueError(
            f"to_categorical: labels must be in [0, num_classes={num_classes}); "
            f"Received: min label {lo}"
        )
    if hi >= num_classes:
        raise ValueError(
            f"to_categorical: labels must be in [0, num_classes={num_classes}); "
            f"Received: max label {hi}"
        )


def _tensor_to_categorical(x: torch.Tensor, num_classes: int | None, dtype: Any) -> torch.Tensor:
    if x.is_floating_point():
        if x.numel() and not bool(torch.all(x == torch.floor(x))):
            raise ValueError(
                "to_categorical: labels must be whole numbers, but the float tensor holds "
                f"fractional values. Received: x={x!r}"
            )
    elif x.dtype == torch.bool or x.is_complex():
        raise ValueError(f"to_categorical: labels must be integers. Received: x.dtype={x.dtype}")
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    x = x.long()
    if x.numel() == 0:
        if num_classes is None:
            raise ValueError(
                "to_categorical: cannot infer `num_classes` from an empty input; pass "
                "num_classes explicitly. Received: num_classes=None"
            )
    else:
        lo, hi = (int(v) for v in torch.aminmax(x))
        if num_classes is None:
            num_classes = max(hi + 1, 1)
        _check_range(lo, hi, num_classes)
    out = torch.nn.functional.one_hot(x, num_classes)
    if dtype is None:
        return out.to(torch.get_default_dtype())
    if isinstance(dtype, str):
        dtype = getattr(torch, dtype)
    return out.to(dtype)


def to_categorical(x: Any, num_classes: int | None = None, dtype: Any = None) -> Any:
    """Turns integer class labels into one-hot vectors.

    Args:
        x: Class labels (integers from 0 to `num_classes - 1`): a list, NumPy
            array or torch tensor of any shape. A trailing axis of size 1 (as in
            labels of shape `(n, 1)`) is dropped before encoding. Float arrays
            are accepted when every value is a whole number.
        num_classes: Number of classes. `None` means `max(x) + 1`.
        dtype: Not part of the Keras 3 signature; accepted for Keras 2 code
            (which passes `dtype="float32"`). When given, the result is cast to
            this dtype.

    Returns:
        An array of shape `x.shape + (num_classes,)` (after dropping a
        trailing size-1 axis). For lists and NumPy arrays it is a float64 NumPy
        array; for a torch tensor it is a tensor of the default float dtype
        (float32) on the same device.

    Example:

    >>> to_categorical([0, 2, 1]).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    >>> to_categorical([[1], [0]], num_classes=3).shape
    (2, 3)
    """
    num_classes = _check_num_classes(num_classes)
    if isinstance(x, torch.Tensor):
        return _tensor_to_categorical(x, num_classes, dtype)

    try:
        arr = np.asarray(x)
    except ValueError as e:  # ragged nested lists
        raise ValueError(
            "to_categorical: `x` must be a rectangular array of class labels (nested lists "
            f"of equal length). Received: x={x!r}"
        ) from e
    if dtype is not None:
        try:
            np.dtype(dtype)
        except TypeError as e:
            raise TypeError(
                f"to_categorical: `dtype` must be a NumPy dtype or its name, such as "
                f"'float32'. Received: dtype={dtype!r}"
            ) from e
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all() or not np.array_equal(arr, np.floor(arr)):
            raise ValueError(
                "to_categorical: labels must be whole numbers, but the input holds fractional "
                f"or non-finite values. Received: x with dtype {arr.dtype}"
            )
    elif arr.dtype.kind not in ("i", "u", "b"):
        raise ValueError(
            f"to_categorical: labels must be integers. Received: x with dtype {arr.dtype}"
        )
    labels = arr.astype(np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)
    if flat.size == 0:
        if num_classes is None:
            raise ValueError(
                "to_categorical: cannot infer `num_classes` from an empty input; pass "
                "num_classes explicitly. Received: num_classes=None"
            )
    else:
        lo, hi = int(flat.min()), int(flat.max())
        if num_classes is None:
            num_classes = max(hi + 1, 1)
        _check_range(lo, hi, num_classes)
    out = np.zeros((flat.size, num_classes), dtype=np.float64 if dtype is None else dtype)
    out[np.arange(flat.size), flat] = 1
    return out.reshape(tuple(shape) + (num_classes,))


def normalize(x: Any, axis: int | None = -1, order: int = 2) -> Any:
    """Divides an array by its `order`-norm along `axis`.

    Slices whose norm is zero are left unchanged (divided by 1 for arrays,
    by a tiny epsilon floor for tensors).

    Args:
        x: A NumPy array, list or torch tensor.
        axis: The axis along which the norm is taken (`None`: the whole
            array as one vector).
        order: The norm order (2 for the Euclidean norm, 1 for the sum of
            absolute values, ...).

    Returns:
        A normalised copy: a torch tensor for tensor input, else a NumPy array.

    Example:

    >>> normalize(np.array([[3.0, 4.0]])).tolist()
    [[0.6, 0.8]]
    """
    if isinstance(x, torch.Tensor):
        if not isinstance(order, int) or order < 1:
            raise ValueError(f"`order` must be an integer >= 1. Received: order={order!r}")
        if x.ndim == 0:
            x = x.reshape(1)
        norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
        return x / torch.clamp(norm, min=1e-7)
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if axis is None:
        norm = np.linalg.norm(arr.reshape(-1), order)
        return arr / (norm if norm else 1)
    norm = np.atleast_1d(np.linalg.norm(arr, order, axis))
    norm[norm == 0] = 1
    return arr / np.expand_dims(norm, axis)
