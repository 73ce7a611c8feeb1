"""Pipeline: apply a list of (preprocessing) layers in sequence."""

from __future__ import annotations

from ...saving.serialization import deserialize_keras_object, serialize_keras_object
from ..layer import Layer
from ..node import map_structure


class Pipeline(Layer):
    """Apply ``layers`` one after the other, like a ``Sequential`` model but as a plain layer.

    Unlike ``Sequential`` it is not a model (no ``fit``), and it passes through anything the
    layers accept -- dicts of images and labels, strings -- which makes it the tool to chain
    preprocessing and augmentation layers, inside a model or in a data pipeline. The
    ``training`` argument (``True`` by default) is passed to every layer that takes one.

    Args:
        layers: The layers to apply, in order.
        name: Layer name.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> pipeline = layers.Pipeline([layers.Rescaling(1 / 255.0), layers.CenterCrop(2, 2)])
        >>> pipeline(np.full((1, 4, 4, 1), 255.0, "float32")).shape
        torch.Size([1, 2, 2, 1])
    """

    def __init__(self, layers, name=None, **kwargs):
        if not isinstance(layers, (list, tuple)) or not all(callable(lay) for lay in layers):
            raise ValueError(
                "Pipeline: `layers` must be a list of layers (callables). "
                f"Received: layers={layers!r}"
            )
        super().__init__(name=name, **kwargs)
        self._pipeline_layers = list(layers)
        self.built = True

    @property
    def layers(self):
        return list(self._pipeline_layers)

    def call(self, inputs, training=True, mask=None):
        outputs = inputs
        for layer in self._pipeline_layers:
            kwargs = {}
            if getattr(layer, "_call_has_mask", False):
                kwargs["mask"] = mask
            if getattr(layer, "_call_has_training", False) and training is not None:
                kwargs["training"] = training
            outputs = layer(inputs, **kwargs)
            inputs = outputs
            mask = map_structure(lambda t: getattr(t, "_keras_mask", None), outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self._pipeline_layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def get_config(self):

        return {
            "layers": [serialize_keras_object(layer) for layer in self._pipeline_layers],
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):

        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "`Pipeline` config must contain a `layers` key mapping to a list of serialized "
                f"layers. Received config with layers={layers}."
            )
        config = dict(config)
        config["layers"] = [deserialize_keras_object(x) for x in layers]
        return cls(**config)
