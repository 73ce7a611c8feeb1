"""Keras 2 path ``keras.engine.input_layer``: ``Input`` and ``InputLayer``."""

from ..layers.input_layer import Input, InputLayer

__all__ = ["Input", "InputLayer"]
