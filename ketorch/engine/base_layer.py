"""Keras 2.2+ path ``keras.engine.base_layer``: the layer base class and input specs."""

from ..layers.input_spec import InputSpec
from ..layers.layer import Layer
from ..layers.node import Node

__all__ = ["InputSpec", "Layer", "Node"]
