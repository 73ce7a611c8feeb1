"""Shared machinery of the global (whole-input) pooling layers."""

from __future__ import annotations

from ..convolutional.base_conv import normalize_data_format
from ..input_spec import InputSpec, check_input_spec
from ..layer import Layer


class BaseGlobalPooling(Layer):
    """Reduce all ``rank`` spatial axes of each channel; subclasses fix ``rank`` and the reduction.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        keepdims: Keep the reduced axes with size 1.
        **kwargs: Base layer arguments (``name``, ...).
    """

    rank = 2
    _mode = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self.rank + 2)
        n = self.rank
        self._channels_last = self.data_format == "channels_last"
        self._axes = tuple(range(1, n + 1)) if self._channels_last else tuple(range(2, n + 2))
        self.built = True

    def build(self, input_shape):
        check_input_spec(self, self.input_spec, tuple(input_shape))
        self.built = True

    def _check_rank(self, inputs) -> None:
        # Reductions accept any rank, so a wrong one would pass silently; the check is cheap.
        if inputs.ndim != self.rank + 2:
            check_input_spec(self, self.input_spec, tuple(inputs.shape))

    def call(self, inputs):
        self._check_rank(inputs)
        if self._mode == "max":
            return inputs.amax(dim=self._axes, keepdim=bool(self.keepdims))
        x = inputs if inputs.is_floating_point() else inputs.float()
        return x.mean(dim=self._axes, keepdim=bool(self.keepdims))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        ones = (1,) * self.rank if self.keepdims else ()
        if self._channels_last:
            return (input_shape[0], *ones, input_shape[-1])
        return (input_shape[0], input_shape[1], *ones)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class BaseGlobalMaxPooling(BaseGlobalPooling):
    """Maximum over all spatial positions; subclasses fix ``rank``."""

    _mode = "max"


class BaseGlobalAveragePooling(BaseGlobalPooling):
    """Mean over all spatial positions; subclasses fix ``rank``."""

    _mode = "average"
