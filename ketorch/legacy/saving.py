"""``keras.legacy.saving``: Keras 2's ``{"class_name", "config"}`` object serialization."""

from ..utils.legacy import deserialize_keras_object, serialize_keras_object

__all__ = ["deserialize_keras_object", "serialize_keras_object"]
