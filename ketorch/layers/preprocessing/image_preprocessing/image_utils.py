"""Helpers shared by the image layers: argument rules, tensors, shapes."""

from __future__ import annotations

import torch

from .... import backend as _backend
from ....ops import image as image_ops


def to_device(tree, device):
    """Move every tensor in a (nested) transformation to ``device``."""
    if isinstance(tree, torch.Tensor):
        return tree if tree.device == device else tree.to(device)
    if isinstance(tree, dict):
        return {k: to_device(v, device) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(to_device(v, device) for v in tree)
    return tree


def as_tensor(x, device=None):
    """A tensor for array-likes (NumPy arrays keep their dtype; float64 becomes float32)."""
    if isinstance(x, torch.Tensor):
        return x if device is None or x.device == device else x.to(device)
    return _backend.to_tensor(x, device=device)


def saturate_cast(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Cast ``x`` to ``dtype``, clamping to the target's range first for integer targets."""
    if x.dtype == dtype:
        return x
    if not dtype.is_floating_point and dtype != torch.bool:
        info = torch.iinfo(dtype)
        if x.is_floating_point():
            x = x.clamp(float(info.min), float(info.max))
        else:
            x = x.clamp(info.min, info.max)
    return x.to(dtype)


def check_value_range(value_range):
    """``value_range`` as a sorted list of two numbers (Keras's validation)."""
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(
            "The `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range}"
        )
    return sorted(value_range)


def symmetric_range(factor, name, low, high, low_open=False, message=None):
    """``(lower, upper)`` from a number ``f`` (``(-|f|, |f|)``) or a pair (sorted).

    Each number must lie in ``[low, high]`` (``(low, high]`` with ``low_open``).
    """
    message = message or (
        f"The `{name}` argument should be a number (or a list of two numbers) in the range "
        f"[{low}, {high}]. "
    )

    def check(v):
        if v > high or v < low or (low_open and v == low):
            raise ValueError(message + f"Received: {name}={factor}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(message + f"Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        check(factor)
        return -abs(factor), abs(factor)
    raise ValueError(message + f"Received: {name}={factor}")


def bounded_range(factor, name, bounds):
    """Keras's factor rule for arguments bounded by ``bounds = (low, high)``.

    A number ``f`` gives ``(max(-|f|, low), |f|)``; a pair is sorted; values outside the
    bounds are an error.
    """
    message = (
        f"The `{name}` argument should be a number (or a list of two numbers) in the range "
        f"[{bounds[0]}, {bounds[1]}]. Received: {name}={factor}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(message)
        return max(-abs(factor), bounds[0]), abs(factor)
    raise ValueError(message)


def image_size(shape, data_format):
    """``(height, width)`` of an image or batch shape."""
    if data_format == "channels_first":
        return int(shape[-2]), int(shape[-1])
    return int(shape[-3]), int(shape[-2])


def batch_size_of(images) -> int:
    """The batch size of a rank-4 batch; 1 for a single image."""
    return int(images.shape[0]) if images.ndim == 4 else 1


def images_of(data):
    """The images of a call's ``data`` (the tensor itself or ``data["images"]``)."""
    return data["images"] if isinstance(data, dict) else data


def apply_affine(layer, images, matrix_of, interpolation):
    """``images`` (batched or one image) through ``ops.image.affine_transform`` with the
    layer's fill settings; ``matrix_of(batched_images)`` gives the per-image matrices."""
    unbatched = images.ndim == 3
    if unbatched:
        images = images.unsqueeze(0)
    out = image_ops.affine_transform(
        images,
        matrix_of(images),
        interpolation=interpolation,
        fill_mode=layer.fill_mode,
        fill_value=layer.fill_value,
        data_format=layer.data_format,
    )
    return out.squeeze(0) if unbatched else out
