"""Dropout: randomly zero inputs during training."""

from __future__ import annotations

import torch

from ... import backend
from ..layer import Layer


class Dropout(Layer):
    """Zero a fraction ``rate`` of inputs in training and scale the rest by ``1/(1-rate)``.

    Inactive outside training (``predict``, ``evaluate``, ``training=False``).

    Args:
        rate: Float in ``[0, 1)``, the fraction of inputs to drop.
        noise_shape: Optional shape of the binary mask, broadcast against the
            input (``None`` entries take the input's size), e.g.
            ``(batch, 1, features)`` to drop the same features at every step.
        seed: Optional integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Dropout
        >>> Dropout(0.5)(torch.ones(2, 2))  # inference: unchanged
        tensor([[1., 1.],
                [1., 1.]])
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(
                f"Invalid value received for argument `rate`. Expected a float value between 0 "
                f"and 1. Received: rate={rate!r}"
            )
        self.rate = float(rate)
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        self.seed = seed
        self._generator = None
        if seed is not None:
            self._generator = torch.Generator()
            self._generator.manual_seed(int(seed))
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        if self.rate >= 1.0:
            return torch.zeros_like(inputs)
        if self.noise_shape is None and self._generator is None:
            return backend.fast_dropout(inputs, self.rate)
        shape = self.noise_shape or tuple(inputs.shape)
        shape = tuple(s if s is not None else d for s, d in zip(shape, inputs.shape))
        keep = torch.empty(shape, dtype=inputs.dtype)
        keep.bernoulli_(1.0 - self.rate, generator=self._generator)
        return inputs * keep.to(inputs.device) / (1.0 - self.rate)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return config
