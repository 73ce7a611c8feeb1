"""Keras 2 import path ``keras.engine``: the base classes Keras 2 era libraries import.

``from keras.engine import Layer, InputSpec``, ``from keras.engine.topology import Layer``,
``from keras.engine.base_layer import Layer``, ``from keras.engine.training import Model``
and the like resolve to ketorch's classes (this package only re-exports them).

Example:
    >>> from ketorch.engine.topology import Layer
    >>> import ketorch
    >>> Layer is ketorch.layers.Layer
    True
"""

from ..layers.input_layer import Input, InputLayer
from ..layers.input_spec import InputSpec
from ..layers.layer import Layer
from ..layers.node import Node
from ..models.functional import Functional
from ..models.model import Model
from ..models.sequential import Sequential
from ..utils.config_utils import get_source_inputs
from . import (
    base_layer,
    functional,
    input_layer,
    input_spec,
    network,
    node,
    saving,
    sequential,
    topology,
    training,
)

Network = Functional  # Keras 2.2-2.3 name of the graph-of-layers class

__all__ = [
    "Functional",
    "Input",
    "InputLayer",
    "InputSpec",
    "Layer",
    "Model",
    "Network",
    "Node",
    "Sequential",
    "base_layer",
    "functional",
    "get_source_inputs",
    "input_layer",
    "input_spec",
    "network",
    "node",
    "saving",
    "sequential",
    "topology",
    "training",
]
