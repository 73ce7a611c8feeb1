"""Activation: apply an activation function as a layer."""

from __future__ import annotations

from ... import activations
from ..layer import Layer


class Activation(Layer):
    """Apply ``activation`` element-wise (or over the last axis for softmax).

    Args:
        activation: Activation name (``"relu"``, ``"softmax"``, ...) or callable.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Activation
        >>> Activation("relu")(torch.tensor([[-1.0, 2.0]]))
        tensor([[0., 2.]])
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config
