"""GaussianNoise: add zero-mean normal noise during training."""

from __future__ import annotations

from ..layer import Layer
from ._random import normal, seeded_generator


class GaussianNoise(Layer):
    """Add ``N(0, stddev**2)`` noise to the inputs in training; identity otherwise.

    Args:
        stddev: Float in ``[0, 1]``, the noise standard deviation.
        seed: Optional integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import GaussianNoise
        >>> GaussianNoise(0.1)(torch.ones(2, 2))  # inference: unchanged
        tensor([[1., 1.],
                [1., 1.]])
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or not 0 <= stddev <= 1:
            raise ValueError(
                "Invalid value received for argument `stddev`. Expected a float value between 0 "
                f"and 1. Received: stddev={stddev!r}"
            )
        self.stddev = stddev
        self.seed = seed
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        x = inputs if inputs.is_floating_point() else inputs.float()
        return x + normal(x, 0.0, float(self.stddev), seeded_generator(self, x.device))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config
