"""AlphaDropout: dropout that keeps the self-normalizing statistics of SELU networks."""

from __future__ import annotations

import torch

from ..layer import Layer
from ._random import seeded_generator

# SELU's constants (Klambauer et al., 2017); a dropped unit takes SELU's negative saturation.
_ALPHA = 1.6732632423543772848170429916717
_SCALE = 1.0507009873554804934193349852946
_ALPHA_P = -_ALPHA * _SCALE


class AlphaDropout(Layer):
    """Set a fraction ``rate`` of inputs to SELU's saturation value in training, then
    apply the affine map that restores the inputs' mean and variance.

    Meant for networks of ``selu`` activations with ``lecun_normal`` weights,
    where plain dropout would break self-normalization. Inactive outside
    training.

    Args:
        rate: Float in ``[0, 1]``, the drop probability.
        noise_shape: Optional shape of the keep mask, broadcast against the
            input (``None`` entries take the input's size).
        seed: Optional integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import AlphaDropout
        >>> AlphaDropout(0.2)(torch.ones(1, 2))  # inference: unchanged
        tensor([[1., 1.]])
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(
                "Invalid value received for argument `rate`. Expected a float value between 0 "
                f"and 1. Received: rate={rate!r}"
            )
        self.rate = rate
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        self.seed = seed
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate <= 0:
            return inputs
        x = inputs if inputs.is_floating_point() else inputs.float()
        shape = tuple(x.shape)
        if self.noise_shape is not None:
            shape = tuple(d if s is None else s for s, d in zip(self.noise_shape, shape))
        uniform = torch.rand(
            shape, generator=seeded_generator(self, x.device), device=x.device, dtype=x.dtype
        )
        kept = uniform >= self.rate
        a = ((1 - self.rate) * (1 + self.rate * _ALPHA_P**2)) ** -0.5
        b = -a * _ALPHA_P * self.rate
        return torch.where(kept, x * a + b, a * _ALPHA_P + b)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config
