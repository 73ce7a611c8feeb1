"""Keras 2 path ``keras.engine.training``: the ``Model`` class."""

from ..models.model import Model

__all__ = ["Model"]
