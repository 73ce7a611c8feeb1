"""tf.keras 2 path ``keras.engine.node``: the record of one layer call in a graph."""

from ..layers.node import KerasTensor, Node

__all__ = ["KerasTensor", "Node"]
