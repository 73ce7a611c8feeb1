"""Keras 2 path ``keras.engine.sequential``: the ``Sequential`` model class."""

from ..models.sequential import Sequential

__all__ = ["Sequential"]
