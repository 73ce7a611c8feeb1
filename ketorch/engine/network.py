"""Keras 2.2-2.3 path ``keras.engine.network``: the graph-of-layers class."""

from ..models.functional import Functional

Network = Functional

__all__ = ["Network"]
