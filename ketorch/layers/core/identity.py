"""Identity: a layer that returns its input unchanged."""

from __future__ import annotations

from ..layer import Layer
from ..node import KerasTensor, map_structure


class Identity(Layer):
    """Return the input (a tensor or a nested structure of tensors) as is.

    Useful as a placeholder, e.g. for an optional block. Masks pass through.

    Args:
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Identity
        >>> Identity()(torch.ones(2))
        tensor([1., 1.])
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs):
        return map_structure(lambda t: KerasTensor(t.shape, t.dtype), inputs)
