"""UpSampling2D: enlarge images by integer factors."""

from __future__ import annotations

import torch.nn.functional as F

from ..convolutional.base_conv import normalize_data_format, normalize_tuple
from ..input_spec import InputSpec, check_input_spec
from ..layer import Layer

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic")


class UpSampling2D(Layer):
    """Upsample the rows and columns of 4D image batches.

    ``"nearest"`` repeats pixels; ``"bilinear"`` and ``"bicubic"`` resize with
    half-pixel centers (torch's ``align_corners=False``), as Keras does.

    Args:
        size: An int or a tuple of 2 ints ``(row_factor, col_factor)``.
        data_format: ``"channels_last"`` (``(batch, height, width, channels)``)
            or ``"channels_first"``; ``None`` means
            :func:`ketorch.config.image_data_format`.
        interpolation: ``"nearest"`` (default), ``"bilinear"`` or ``"bicubic"``.
        **kwargs: Base layer arguments.

    Input shape:
        4D ``(batch, rows, cols, channels)`` (channels_last).

    Output shape:
        ``(batch, rows * row_factor, cols * col_factor, channels)``.

    Example:
        >>> import torch
        >>> from ketorch.layers import UpSampling2D
        >>> UpSampling2D((2, 3))(torch.ones(1, 2, 2, 5)).shape
        torch.Size([1, 4, 6, 5])
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, "UpSampling2D")
        self.size = normalize_tuple(size, 2, "size", "UpSampling2D")
        mode = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if mode not in _INTERPOLATIONS:
            raise ValueError(
                f"Argument `interpolation` of UpSampling2D must be one of {_INTERPOLATIONS}. "
                f"Received: interpolation={interpolation!r}"
            )
        self.interpolation = mode
        self.input_spec = InputSpec(ndim=4)
        self.built = True

    def call(self, inputs):
        if inputs.ndim != 4:  # eager calls skip the spec check; unpacking would fail unclearly
            check_input_spec(self, self.input_spec, tuple(inputs.shape))
        sh, sw = self.size
        channels_first = self.data_format == "channels_first"
        if self.interpolation == "nearest":
            if channels_first:
                b, c, h, w = inputs.shape
                x = inputs[:, :, :, None, :, None].expand(b, c, h, sh, w, sw)
                return x.reshape(b, c, h * sh, w * sw)
            b, h, w, c = inputs.shape
            x = inputs[:, :, None, :, None, :].expand(b, h, sh, w, sw, c)
            return x.reshape(b, h * sh, w * sw, c)
        x = inputs if channels_first else inputs.permute(0, 3, 1, 2)
        if not x.is_floating_point():
            x = x.float()
        size = (x.shape[2] * sh, x.shape[3] * sw)
        y = F.interpolate(x, size=size, mode=self.interpolation, align_corners=False)
        return y if channels_first else y.permute(0, 2, 3, 1)

    def compute_output_shape(self, input_shape):
        first = 2 if self.data_format == "channels_first" else 1
        out = list(input_shape)
        for i, factor in enumerate(self.size):
            if out[first + i] is not None:
                out[first + i] *= factor
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "size": self.size,
                "data_format": self.data_format,
                "interpolation": self.interpolation,
            }
        )
        return config
