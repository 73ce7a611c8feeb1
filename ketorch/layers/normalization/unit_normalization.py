"""UnitNormalization: scale each sample to unit L2 norm along some axes."""

from __future__ import annotations

import torch.nn.functional as F

from ..layer import Layer


class UnitNormalization(Layer):
    """Divide inputs by their L2 norm over ``axis`` (zero vectors stay zero).

    Args:
        axis: Int or list of ints, the axes whose L2 norm becomes 1.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import UnitNormalization
        >>> UnitNormalization()(torch.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not axis or any(not isinstance(a, int) or isinstance(a, bool) for a in axis):
                raise TypeError(
                    "Argument `axis` of UnitNormalization must be an int or a non-empty list of "
                    f"ints. Received: axis={axis!r}"
                )
            axis = list(axis)
        elif not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(
                "Argument `axis` of UnitNormalization must be an int or a list of ints. "
                f"Received: axis={axis!r}"
            )
        self.axis = axis
        self._dim = tuple(axis) if isinstance(axis, list) else axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.float()
        return F.normalize(x, p=2.0, dim=self._dim, eps=1e-12)

    def compute_output_shape(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -len(input_shape) <= a < len(input_shape):
                raise ValueError(
                    f"Axis {a} is out of bounds for input shape {tuple(input_shape)}. "
                    f"Received: axis={self.axis}"
                )
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
