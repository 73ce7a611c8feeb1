"""ActivityRegularization: pass inputs through and add an L1/L2 penalty on them."""

from __future__ import annotations

from ... import regularizers
from ..layer import Layer


class ActivityRegularization(Layer):
    """Identity layer whose output adds ``(l1 * sum|x| + l2 * sum x**2) / batch_size`` to the loss.

    The penalty is recorded through the base layer's activity-regularizer
    hook, which divides by the batch size as Keras 3 does.

    Args:
        l1: Non-negative L1 factor.
        l2: Non-negative L2 factor.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import ActivityRegularization
        >>> layer = ActivityRegularization(l2=0.5)
        >>> _ = layer(torch.ones(2, 3))
        >>> [float(loss) for loss in layer.losses]
        [1.5]
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"l1": self.l1, "l2": self.l2})
        return config
