"""Saving and loading models: ``.keras`` files, weights files, custom object registration."""

from .serialization import register_keras_serializable

__all__ = ["register_keras_serializable"]
