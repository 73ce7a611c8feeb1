"""Wrapper: the base class of layers that wrap another layer (``TimeDistributed``...)."""

from __future__ import annotations

from ...saving.serialization import deserialize_keras_object, serialize_keras_object
from ..layer import Layer


class Wrapper(Layer):
    """A layer that holds another layer as ``self.layer`` and builds it on first use.

    Subclasses implement ``call`` (usually in terms of ``self.layer``). The wrapped
    layer is serialized inside the wrapper's config under ``"layer"``.

    Args:
        layer: The layer instance to wrap.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> import ketorch as keras
        >>> class Twice(keras.layers.Wrapper):
        ...     def call(self, x):
        ...         return 2 * self.layer(x)
        >>> Twice(keras.layers.Identity())(torch.ones(2)).tolist()
        [2.0, 2.0]
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please "
                "ensure wrapped layer is a valid Keras layer."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        self.built = True

    def get_config(self):

        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):

        config = dict(config)
        layer = deserialize_keras_object(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
