"""Single images between files, Pillow images and NumPy arrays (``keras.utils.load_img`` & co).

Pillow does the reading, writing and resizing, so the pixels equal Keras's.

Example:
    >>> import numpy as np
    >>> from ketorch.utils import array_to_img, img_to_array
    >>> image = array_to_img(np.zeros((4, 6, 3)), scale=False)
    >>> image.size
    (6, 4)
    >>> img_to_array(image).shape
    (4, 6, 3)
"""

from __future__ import annotations

import io
import pathlib
import warnings

import numpy as np

from .. import backend, ops

_RESAMPLING = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
_COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def _pil():
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - Pillow is a test dependency
        raise ImportError("Reading and writing images needs Pillow: `pip install pillow`.") from e
    return Image


def _data_format(data_format: str | None) -> str:
    data_format = data_format or backend.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


def array_to_img(x, data_format: str | None = None, scale: bool = True, dtype=None):
    """Convert a rank-3 array (one image) to a Pillow image.

    Args:
        x: Array-like ``(height, width, channels)`` (or channels first) with 1, 3 or 4
            channels.
        data_format: ``"channels_last"`` or ``"channels_first"``; the configured image
            data format by default.
        scale: Stretch the values linearly onto ``[0, 255]`` first (minimum to 0, maximum
            to 255).
        dtype: The float dtype used for the conversion (``floatx()`` by default).

    Returns:
        A ``PIL.Image.Image``: mode ``"RGB"``, ``"RGBA"``, ``"L"``, or ``"I"`` for one
        channel with values above 255.

    Raises:
        ValueError: If ``x`` is not rank 3 or has another number of channels.
    """
    image_cls = _pil()
    data_format = _data_format(data_format)
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    x = np.array(x, dtype=dtype or backend.floatx())
    if x.ndim != 3:
        raise ValueError(
            f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        peak = np.max(x)
        if peak != 0:
            x /= peak
        x *= 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image_cls.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if np.max(x) > 255:
            return image_cls.fromarray(x[:, :, 0].astype("int32"), "I")
        return image_cls.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def img_to_array(img, data_format: str | None = None, dtype=None) -> np.ndarray:
    """Convert a Pillow image (or anything array-like) to a rank-3 NumPy array.

    Args:
        img: A ``PIL.Image.Image`` or array-like of rank 2 or 3.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        dtype: Output dtype (``floatx()`` by default).

    Returns:
        ``(height, width, channels)`` (or channels first); a grayscale image gets one
        channel.

    Raises:
        ValueError: If the image is not rank 2 or 3.
    """
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or backend.floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x[None] if data_format == "channels_first" else x[..., None]
    raise ValueError(f"Unsupported image shape: {x.shape}")


def save_img(
    path, x, data_format: str | None = None, file_format: str | None = None, scale=True, **kwargs
) -> None:
    """Write an array as an image file (through `array_to_img`).

    Args:
        path: File path or writable file object.
        x: The image array (rank 3).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        file_format: Pillow format name; by default taken from the file extension
            (``"jpg"`` means JPEG; RGBA images are converted to RGB for JPEG).
        scale: Stretch the values onto ``[0, 255]`` first.
        **kwargs: Passed to ``PIL.Image.Image.save`` (e.g. ``quality``).
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn(
            "The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2
        )
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)


def _open(path):
    image_cls = _pil()
    if isinstance(path, io.BytesIO):
        return image_cls.open(path)
    if isinstance(path, (pathlib.Path, bytes, str)):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as f:  # read whole, so the file is closed on return
            return image_cls.open(io.BytesIO(f.read()))
    raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")


def load_img(
    path,
    color_mode: str = "rgb",
    target_size=None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
):
    """Read an image file into a Pillow image, optionally resized.

    Args:
        path: File path (str, bytes or ``pathlib.Path``) or an ``io.BytesIO``.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        target_size: ``(height, width)`` to resize to, or None for the file's size.
        interpolation: Pillow resampling: ``"nearest"``, ``"bilinear"``, ``"bicubic"``,
            ``"hamming"``, ``"box"`` or ``"lanczos"``.
        keep_aspect_ratio: Center-crop to the target aspect ratio before resizing.

    Returns:
        A ``PIL.Image.Image``.

    Raises:
        ValueError: For an unknown ``color_mode`` or ``interpolation``.
    """
    if color_mode not in _COLOR_MODES:
        raise ValueError(
            f'color_mode must be "grayscale", "rgb", or "rgba". Received: color_mode={color_mode!r}'
        )
    img = _open(path)
    wanted = _COLOR_MODES[color_mode]
    keep = ("L", "I;16", "I") if color_mode == "grayscale" else (wanted,)
    if img.mode not in keep:
        img = img.convert(wanted)
    if target_size is None:
        return img
    size = (target_size[1], target_size[0])  # Pillow sizes are (width, height)
    if img.size == size:
        return img
    if interpolation not in _RESAMPLING:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported methods are "
            f"{', '.join(_RESAMPLING)}"
        )
    resample = getattr(_pil().Resampling, interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(size, resample)
    width, height = img.size
    crop_h = min(height, width * size[1] // size[0])
    crop_w = min(width, height * size[0] // size[1])
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return img.resize(size, resample, box=[left, top, left + crop_w, top + crop_h])


def smart_resize(x, size, interpolation: str = "bilinear", data_format: str = "channels_last"):
    """Center-crop an image (or batch) to the aspect ratio of ``size``, then resize to it.

    Args:
        x: ``(height, width, channels)`` or ``(batch, height, width, channels)``
            (channels first with ``data_format="channels_first"``).
        size: ``(height, width)``.
        interpolation: As ``keras.ops.image.resize``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The resized image(s) as a torch tensor.
    """

    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    img = ops.convert_to_tensor(x)
    if img.ndim not in (3, 4):
        raise ValueError(
            "Expected an image array with shape `(height, width, channels)`, or "
            f"`(batch_size, height, width, channels)`, but got input with incorrect rank, of "
            f"shape {tuple(img.shape)}."
        )
    last = data_format == "channels_last"
    height, width = (img.shape[-3], img.shape[-2]) if last else (img.shape[-2], img.shape[-1])
    crop_h = max(min(height, int(float(width * size[0]) / size[1])), 1)
    crop_w = max(min(width, int(float(height * size[1]) / size[0])), 1)
    top, left = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
    if last:
        img = img[..., top : top + crop_h, left : left + crop_w, :]
    else:
        img = img[..., top : top + crop_h, left : left + crop_w]
    return ops.image.resize(img, size, interpolation=interpolation, data_format=data_format)
