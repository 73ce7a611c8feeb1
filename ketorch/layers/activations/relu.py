"""ReLU layer with Keras's optional cap, negative slope and threshold."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..layer import Layer


def _check(name, value, allow_none=False):
    if value is None and allow_none:
        return
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(
            f"Argument `{name}` of ReLU must be a non-negative number. Received: {name}={value!r}"
        )


class ReLU(Layer):
    """Rectified linear unit.

    ``f(x) = min(x, max_value)`` for ``x > threshold`` (or ``x >= 0`` when
    ``threshold == 0``) and ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value: Optional non-negative cap on the output.
        negative_slope: Non-negative slope below the threshold.
        threshold: Non-negative value below which the unit is "off".
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import ReLU
        >>> ReLU(max_value=1.0)(torch.tensor([-1.0, 0.5, 2.0]))
        tensor([0.0000, 0.5000, 1.0000])
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        _check("max_value", max_value, allow_none=True)
        _check("negative_slope", negative_slope)
        _check("threshold", threshold)
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.float()
        slope, cap, thr = self.negative_slope, self.max_value, self.threshold
        if thr == 0:
            if slope == 0:
                return F.relu(x) if cap is None else F.hardtanh(x, 0.0, float(cap))
            y = F.leaky_relu(x, slope)
            return y if cap is None else y.clamp(max=cap)
        # Keras: x where x > threshold (capped), minus slope * relu(threshold - x) elsewhere.
        y = torch.where(x > thr, x, torch.zeros((), dtype=x.dtype, device=x.device))
        if cap is not None:
            y = y.clamp(0.0, cap)
        if slope != 0:
            y = y - slope * F.relu(thr - x)
        return y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "max_value": self.max_value,
                "negative_slope": self.negative_slope,
                "threshold": self.threshold,
            }
        )
        return config
