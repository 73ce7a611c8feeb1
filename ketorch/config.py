"""Global settings: the device models train on, image data format, epsilon."""

from __future__ import annotations

from .backend import get_device, set_device

__all__ = [
    "get_device",
    "set_device",
    "image_data_format",
    "set_image_data_format",
    "epsilon",
    "backend",
]

_IMAGE_DATA_FORMAT = "channels_last"
_EPSILON = 1e-7


def image_data_format() -> str:
    """The default ``data_format`` of image layers (``"channels_last"``)."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set the default image data format (``"channels_last"`` or ``"channels_first"``)."""
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    _IMAGE_DATA_FORMAT = data_format


def epsilon() -> float:
    """The fuzz factor used in numeric expressions (1e-7)."""
    return _EPSILON


def backend() -> str:
    """The engine name: always ``"torch"``."""
    return "torch"
