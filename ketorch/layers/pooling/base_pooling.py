"""Shared machinery of the N-D max pooling layers."""

from __future__ import annotations

import torch.nn.functional as F

from ..convolutional.base_conv import (
    conv_output_length,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    resolve_same_padding,
)
from ..input_spec import InputSpec, check_input_spec
from ..layer import Layer

_MAX_POOL_FNS = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}


class BaseMaxPooling(Layer):
    """Max over ``pool_size`` windows of each channel; subclasses fix ``rank``.

    "same" padding follows TensorFlow/Keras: ``ceil(input / stride)`` outputs,
    padded cells never win the max, and an odd total puts the extra cell after.
    """

    rank = 2

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        cls, n = type(self).__name__, self.rank
        self.pool_size = normalize_tuple(pool_size, n, "pool_size", cls)
        self.strides = (
            self.pool_size if strides is None else normalize_tuple(strides, n, "strides", cls)
        )
        self.padding = normalize_padding(padding, cls)
        self.data_format = normalize_data_format(data_format, cls)
        self.input_spec = InputSpec(ndim=n + 2)
        self._channels_last = self.data_format == "channels_last"
        self._to_channels_first = (0, n + 1, *range(1, n + 1))
        self._to_channels_last = (0, *range(2, n + 2), 1)
        self._pool = _MAX_POOL_FNS[n]
        self._pad_cache: dict = {}
        self.built = True

    def build(self, input_shape):
        check_input_spec(self, self.input_spec, tuple(input_shape))
        self.built = True

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.float()
        if self._channels_last:
            x = x.permute(self._to_channels_first)  # free view, channels_last memory format
        padding = 0
        if self.padding == "same":
            spatial = tuple(x.shape[2:])
            plan = self._pad_cache.get(spatial)
            if plan is None:
                ones = (1,) * self.rank
                plan = resolve_same_padding(spatial, self.pool_size, self.strides, ones)
                self._pad_cache[spatial] = plan
            padding, explicit = plan
            if explicit is not None:
                x = F.pad(x, explicit, value=float("-inf"))
        y = self._pool(x, self.pool_size, self.strides, padding)
        return y.permute(self._to_channels_last) if self._channels_last else y

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        out = tuple(
            conv_output_length(d, k, s, self.padding)
            for d, k, s in zip(spatial, self.pool_size, self.strides)
        )
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the output would be empty. "
                f"Received: input_shape={input_shape}, pool_size={self.pool_size}, "
                f"strides={self.strides}, padding={self.padding!r}"
            )
        if self._channels_last:
            return (input_shape[0], *out, input_shape[-1])
        return (input_shape[0], input_shape[1], *out)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "pool_size": self.pool_size,
                "padding": self.padding,
                "strides": self.strides,
                "data_format": self.data_format,
            }
        )
        return config
