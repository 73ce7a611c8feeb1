"""GaussianDropout: multiply by mean-1 normal noise during training."""

from __future__ import annotations

import math

from ..layer import Layer
from ._random import normal, seeded_generator


class GaussianDropout(Layer):
    """Multiply inputs by ``N(1, rate / (1 - rate))`` noise in training; identity otherwise.

    Args:
        rate: Float in ``[0, 1)``, the drop probability it imitates; the
            noise standard deviation is ``sqrt(rate / (1 - rate))``.
        seed: Optional integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import GaussianDropout
        >>> GaussianDropout(0.2)(torch.ones(1, 2))  # inference: unchanged
        tensor([[1., 1.]])
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(
                "Invalid value received for argument `rate`. Expected a float value between 0 "
                f"and 1. Received: rate={rate!r}"
            )
        self.rate = rate
        self.seed = seed
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        x = inputs if inputs.is_floating_point() else inputs.float()
        stddev = math.sqrt(self.rate / (1.0 - self.rate)) if self.rate < 1 else math.inf
        return x * normal(x, 1.0, stddev, seeded_generator(self, x.device))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config
