"""Rescaling: multiply inputs by a scale and add an offset."""

from __future__ import annotations

import numpy as np
import torch

from ... import backend
from ... import config as _config
from ..layer import Layer


def _serialize_value(value):
    """Floats stay floats; arrays use Keras's ``__numpy__`` form."""
    if isinstance(value, np.ndarray):
        return {
            "class_name": "__numpy__",
            "config": {"value": value.tolist(), "dtype": value.dtype.name},
        }
    if isinstance(value, torch.Tensor):
        return _serialize_value(value.detach().cpu().numpy())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _numeric(value, name):
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"Argument `{name}` of Rescaling must be a number or an array of numbers. "
            f"Received: {name}={value!r}"
        ) from None


def _deserialize_value(value):
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        inner = value["config"]
        return np.array(inner["value"], dtype=inner.get("dtype"))
    return value


class Rescaling(Layer):
    """Compute ``inputs * scale + offset`` (output in the layer's float dtype).

    Typical use: ``Rescaling(1.0 / 255)`` maps pixels from ``[0, 255]`` to
    ``[0, 1]``; ``Rescaling(1.0 / 127.5, offset=-1)`` maps them to ``[-1, 1]``.
    Integer inputs are accepted and converted.

    Args:
        scale: Float, or an array broadcast against the input (e.g. one value
            per channel).
        offset: Float or array, added after scaling.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Rescaling
        >>> Rescaling(1.0 / 255)(torch.tensor([[0, 255]]))
        tensor([[0., 1.]])
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        tdtype = backend.torch_dtype(self.compute_dtype)
        scale_t = torch.as_tensor(_numeric(scale, "scale"), dtype=tdtype)
        offset_t = torch.as_tensor(_numeric(offset, "offset"), dtype=tdtype)
        if scale_t.ndim > 0 and _config.image_data_format() == "channels_first":
            # Per-channel values apply to axis 1 of (batch, channels, height, width).
            scale_t = scale_t.reshape(tuple(scale_t.shape) + (1,) * (3 - scale_t.ndim))
        self.register_buffer("_scale", scale_t, persistent=False)
        self.register_buffer("_offset", offset_t, persistent=False)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        x = inputs.to(self._scale.dtype)
        return x * self._scale + self._offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {"scale": _serialize_value(self.scale), "offset": _serialize_value(self.offset)}
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["scale"] = _deserialize_value(config["scale"])
        config["offset"] = _deserialize_value(config.get("offset", 0.0))
        return super().from_config(config)
