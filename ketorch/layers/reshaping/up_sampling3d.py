"""UpSampling3D: enlarge volumes by repeating voxels."""

from __future__ import annotations

from ..convolutional.base_conv import normalize_data_format, normalize_tuple
from ..input_spec import InputSpec, check_input_spec
from ..layer import Layer


class UpSampling3D(Layer):
    """Repeat each voxel of 5D volume batches ``size`` times along each spatial axis.

    Args:
        size: An int or a tuple of 3 ints ``(dim1_factor, dim2_factor,
            dim3_factor)``.
        data_format: ``"channels_last"`` (``(batch, d1, d2, d3, channels)``)
            or ``"channels_first"``; ``None`` means
            :func:`ketorch.config.image_data_format`.
        **kwargs: Base layer arguments.

    Input shape:
        5D ``(batch, d1, d2, d3, channels)`` (channels_last).

    Output shape:
        ``(batch, d1 * f1, d2 * f2, d3 * f3, channels)``.

    Example:
        >>> import torch
        >>> from ketorch.layers import UpSampling3D
        >>> UpSampling3D((2, 1, 3))(torch.ones(1, 2, 2, 2, 5)).shape
        torch.Size([1, 4, 2, 6, 5])
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, "UpSampling3D")
        self.size = normalize_tuple(size, 3, "size", "UpSampling3D")
        self.input_spec = InputSpec(ndim=5)
        self.built = True

    def call(self, inputs):
        if inputs.ndim != 5:  # eager calls skip the spec check; the reshape would fail unclearly
            check_input_spec(self, self.input_spec, tuple(inputs.shape))
        f1, f2, f3 = self.size
        if self.data_format == "channels_first":
            b, c, d1, d2, d3 = inputs.shape
            x = inputs[:, :, :, None, :, None, :, None]
            return x.expand(b, c, d1, f1, d2, f2, d3, f3).reshape(b, c, d1 * f1, d2 * f2, d3 * f3)
        b, d1, d2, d3, c = inputs.shape
        x = inputs[:, :, None, :, None, :, None, :]
        return x.expand(b, d1, f1, d2, f2, d3, f3, c).reshape(b, d1 * f1, d2 * f2, d3 * f3, c)

    def compute_output_shape(self, input_shape):
        first = 2 if self.data_format == "channels_first" else 1
        out = list(input_shape)
        for i, factor in enumerate(self.size):
            if out[first + i] is not None:
                out[first + i] *= factor
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config
