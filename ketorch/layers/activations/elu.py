"""ELU layer."""

from __future__ import annotations

import torch.nn.functional as F

from ..layer import Layer


class ELU(Layer):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha: Scale of the negative part.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import ELU
        >>> ELU()(torch.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise ValueError(f"Argument `alpha` of ELU must be a number. Received: alpha={alpha!r}")
        self.alpha = alpha
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.float()
        return F.elu(x, float(self.alpha))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config
