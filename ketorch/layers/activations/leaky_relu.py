"""LeakyReLU layer."""

from __future__ import annotations

import warnings

import torch.nn.functional as F

from ..layer import Layer


class LeakyReLU(Layer):
    """``f(x) = x`` for ``x >= 0`` and ``negative_slope * x`` otherwise.

    Args:
        negative_slope: Non-negative slope for negative inputs (Keras 2's
            ``alpha=`` is accepted too).
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import LeakyReLU
        >>> LeakyReLU(0.1)(torch.tensor([-2.0, 3.0]))
        tensor([-0.2000,  3.0000])
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "Argument `alpha` of LeakyReLU is deprecated; use `negative_slope`.", stacklevel=2
            )
        super().__init__(**kwargs)
        if (
            negative_slope is None
            or isinstance(negative_slope, bool)
            or not isinstance(negative_slope, (int, float))
            or negative_slope < 0
        ):
            raise ValueError(
                "Argument `negative_slope` of LeakyReLU must be a non-negative float. "
                f"Received: negative_slope={negative_slope!r}"
            )
        self.negative_slope = negative_slope
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.float()
        return F.leaky_relu(x, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config
