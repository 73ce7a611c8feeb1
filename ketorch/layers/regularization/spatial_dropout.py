"""SpatialDropout1D/2D/3D: drop whole feature maps (channels) instead of single values."""

from __future__ import annotations

import torch

from ... import config as _config
from ..input_spec import InputSpec
from ._random import keep_mask, seeded_generator
from .dropout import Dropout


class BaseSpatialDropout(Dropout):
    """Shared logic: one keep/drop draw per (sample, channel), broadcast over space."""

    _rank = None

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.input_spec = InputSpec(ndim=self._rank)

    def _noise_shape(self, shape):
        raise NotImplementedError

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        if self.rate >= 1.0:
            return torch.zeros_like(inputs)
        gen = seeded_generator(self, inputs.device)
        return inputs * keep_mask(self._noise_shape(inputs.shape), 1.0 - self.rate, inputs, gen)

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout1D(BaseSpatialDropout):
    """Dropout of entire 1D feature maps: input ``(batch, steps, channels)``.

    Args:
        rate: Float in ``[0, 1]``, the fraction of channels to drop.
        seed: Optional integer seed.

    Example:
        >>> import torch
        >>> from ketorch.layers import SpatialDropout1D
        >>> SpatialDropout1D(0.5)(torch.ones(2, 3, 4)).shape
        torch.Size([2, 3, 4])
    """

    _rank = 3

    def _noise_shape(self, shape):
        return (shape[0], 1, shape[2])


class _SpatialDropoutND(BaseSpatialDropout):
    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        data_format = data_format or _config.image_data_format()
        if data_format not in ("channels_first", "channels_last"):
            raise ValueError(
                'Argument `data_format` must be "channels_first" or "channels_last". '
                f"Received: data_format={data_format!r}"
            )
        self.data_format = data_format

    def _noise_shape(self, shape):
        ones = (1,) * (self._rank - 2)
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + ones
        return (shape[0],) + ones + (shape[-1],)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class SpatialDropout2D(_SpatialDropoutND):
    """Dropout of entire 2D feature maps: input ``(batch, rows, cols, channels)`` (channels_last).

    Args:
        rate: Float in ``[0, 1]``, the fraction of channels to drop.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Optional integer seed.

    Example:
        >>> import torch
        >>> from ketorch.layers import SpatialDropout2D
        >>> SpatialDropout2D(0.5)(torch.ones(2, 4, 4, 3)).shape
        torch.Size([2, 4, 4, 3])
    """

    _rank = 4


class SpatialDropout3D(_SpatialDropoutND):
    """Dropout of entire 3D feature maps: input ``(batch, d1, d2, d3, channels)`` (channels_last).

    Args:
        rate: Float in ``[0, 1]``, the fraction of channels to drop.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Optional integer seed.

    Example:
        >>> import torch
        >>> from ketorch.layers import SpatialDropout3D
        >>> SpatialDropout3D(0.5)(torch.ones(1, 2, 2, 2, 3)).shape
        torch.Size([1, 2, 2, 2, 3])
    """

    _rank = 5
