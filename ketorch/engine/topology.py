"""Keras 2.0-2.1 path ``keras.engine.topology``: layers, inputs and the graph container."""

from ..layers.input_layer import Input, InputLayer
from ..layers.input_spec import InputSpec
from ..layers.layer import Layer
from ..layers.node import Node
from ..models.functional import Functional
from ..utils.config_utils import get_source_inputs

Container = Functional  # Keras 2.0-2.1 name of the graph-of-layers class
Network = Functional

__all__ = [
    "Container",
    "Input",
    "InputLayer",
    "InputSpec",
    "Layer",
    "Network",
    "Node",
    "get_source_inputs",
]
