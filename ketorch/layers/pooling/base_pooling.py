"""Shared machinery of the N-D max and average pooling layers.

"same" padding follows TensorFlow/Keras: ``ceil(input / stride)`` outputs,
padding split evenly with any odd cell after, and padded cells never take part
(they never win a max and are not counted in an average's divisor). This is
realised without padding a copy of the input: torch's symmetric ``padding``
(padded cells already excluded with ``count_include_pad=False``) plus
``ceil_mode`` produces TensorFlow's windows; where the stride is 1 and the
padding is odd, torch pads the larger side on both ends and the first output,
the one extra window, is sliced off (a view).
"""

from __future__ import annotations

import torch.nn.functional as F

from ..convolutional.base_conv import (
    conv_output_length,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    same_padding,
)
from ..input_spec import InputSpec, check_input_spec
from ..layer import Layer

_MAX_POOL_FNS = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL_FNS = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def same_pool_plan(spatial, pool_size, strides):
    """Torch arguments giving TensorFlow's "same" pooling windows.

    Returns:
        ``(padding, index)``: the symmetric per-axis ``padding`` to pass with
        ``ceil_mode=True``, and ``None`` or the index that drops the one extra
        leading output on axes where stride 1 meets an odd padding total.
    """
    padding, drop = [], []
    for n, k, s in zip(spatial, pool_size, strides):
        lo, hi = same_padding(n, k, s)
        if lo == hi or s > 1:
            # ceil_mode lets the last window run past the end: exactly TF's window.
            padding.append(lo)
            drop.append(0)
        else:
            padding.append(hi)
            drop.append(1)
    index = None
    if any(drop):
        index = (slice(None), slice(None), *(slice(d, None) for d in drop))
    return tuple(padding), index


class BasePooling(Layer):
    """Reduce ``pool_size`` windows of each channel; subclasses fix ``rank`` and the reduction."""

    rank = 2
    _mode = "max"

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
        self._pool = (_MAX_POOL_FNS if self._mode == "max" else _AVG_POOL_FNS)[n]
        self._pad_cache: dict = {}
        self.built = True

    def build(self, input_shape):
        check_input_spec(self, self.input_spec, tuple(input_shape))
        self.built = True

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.float()
        if self._channels_last:
            x = x.permute(self._to_channels_first)  # free view, channels_last memory format
        padding, index, ceil_mode = 0, None, False
        if self.padding == "same":
            spatial = tuple(x.shape[2:])
            plan = self._pad_cache.get(spatial)
            if plan is None:
                plan = same_pool_plan(spatial, self.pool_size, self.strides)
                self._pad_cache[spatial] = plan
            (padding, index), ceil_mode = plan, True
        try:
            if self._mode == "max":
                y = self._pool(x, self.pool_size, self.strides, padding, ceil_mode=ceil_mode)
            else:
                y = self._pool(
                    x,
                    self.pool_size,
                    self.strides,
                    padding,
                    ceil_mode=ceil_mode,
                    count_include_pad=False,
                )
        except RuntimeError as e:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the pooling window "
                f"pool_size={self.pool_size} does not fit the input; use padding='same' or a "
                f"smaller pool_size. Received: input_shape={tuple(inputs.shape)}"
            ) from e
        if index is not None:
            y = y[index]
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


class BaseMaxPooling(BasePooling):
    """Max over ``pool_size`` windows of each channel; subclasses fix ``rank``."""

    _mode = "max"


class BaseAveragePooling(BasePooling):
    """Mean over ``pool_size`` windows (padded cells not counted); subclasses fix ``rank``."""

    _mode = "average"
