"""TimeDistributed: applies a layer to every time step of a sequence."""

from __future__ import annotations

from ...saving.serialization import deserialize_layer, serialize_layer
from ..core.wrapper import Wrapper
from ..layer import Layer


class TimeDistributed(Wrapper):
    """Applies ``layer`` to each step of ``(batch, time, ...)`` inputs, with shared weights.

    The time axis is folded into the batch, the layer runs once on
    ``(batch * time, ...)``, and the result is unfolded to ``(batch, time,
    ...)``. A ``(batch, time)`` mask is folded the same way for layers that
    take one, and passed on unchanged to the next layer.

    Args:
        layer: The layer instance to apply (``Dense``, ``Conv2D``, a model...).
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: At least 3-D, ``(batch, time, ...)``.
        training: Forwarded to ``layer``.
        mask: Optional ``(batch, time)`` mask.

    Example:
        >>> import torch
        >>> from ketorch.layers import Dense
        >>> from ketorch.layers.recurrent.time_distributed import TimeDistributed
        >>> TimeDistributed(Dense(4))(torch.ones(2, 5, 3)).shape
        torch.Size([2, 5, 4])
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Argument `layer` of TimeDistributed must be a layer instance (such as "
                f"`Dense(8)`). Received: layer={layer!r}"
            )
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _child_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' (TimeDistributed) needs inputs with at least 3 dimensions "
                f"(batch, time, ...). Received: input_shape={input_shape}"
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        child = self._child_shape(tuple(input_shape))
        if not self.layer.built:
            self.layer.build(child)
            self.layer.built = True
        self.built = True

    def call(self, inputs, training=None, mask=None):
        if inputs.dim() < 3:
            self._child_shape(tuple(inputs.shape))
        batch, steps = inputs.shape[0], inputs.shape[1]
        folded = inputs.reshape(batch * steps, *inputs.shape[2:])
        kwargs = {}
        if getattr(self.layer, "_call_has_training", False):
            kwargs["training"] = training
        if mask is not None:
            if mask.dim() < 2 or tuple(mask.shape[:2]) != (batch, steps):
                raise ValueError(
                    f"Layer '{self.name}' (TimeDistributed) expects a mask whose first two "
                    f"dimensions are (batch, time) = ({batch}, {steps}). "
                    f"Received: mask.shape={tuple(mask.shape)}"
                )
            if getattr(self.layer, "_call_has_mask", False):
                kwargs["mask"] = mask.reshape(batch * steps, *mask.shape[2:])
        outputs = self.layer(folded, **kwargs)
        return outputs.reshape(batch, steps, *outputs.shape[1:])

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        child = self.layer.compute_output_shape(self._child_shape(input_shape))
        return (child[0], input_shape[1], *child[1:])

    def get_config(self):

        config = super().get_config()
        config["layer"] = serialize_layer(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects)
        return super().from_config(config)
