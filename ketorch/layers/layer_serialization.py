"""``ketorch.layers.serialize`` / ``deserialize``: a layer to and from its Keras config dict."""

from __future__ import annotations

from ..saving.serialization import deserialize_keras_object, serialize_keras_object
from .layer import Layer


def serialize(layer) -> dict:
    """The Keras config dict of ``layer`` (``module``, ``class_name``, ``config``, ...).

    Example:
        >>> from ketorch import layers
        >>> layers.serialize(layers.Dense(2))["class_name"]
        'Dense'
    """

    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """Rebuild a layer from :func:`serialize` output (or a Keras-saved layer config).

    Raises:
        ValueError: If ``config`` does not describe a layer.

    Example:
        >>> from ketorch import layers
        >>> layers.deserialize(layers.serialize(layers.Dense(2))).units
        2
    """

    obj = deserialize_keras_object(config, custom_objects=custom_objects)
    if not isinstance(obj, Layer):
        raise ValueError(
            "`ketorch.layers.deserialize` was passed a `config` object that is not a layer. "
            f"Received: config={config!r}"
        )
    return obj
