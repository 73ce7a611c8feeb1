"""Layers that combine a list of tensors, and their function forms."""

from .add import Add
from .average import Average
from .base_merge import Merge
from .concatenate import Concatenate
from .dot import Dot
from .functional import add, average, concatenate, dot, maximum, minimum, multiply, subtract
from .maximum import Maximum
from .minimum import Minimum
from .multiply import Multiply
from .subtract import Subtract

__all__ = [
    "Add",
    "Average",
    "Concatenate",
    "Dot",
    "Maximum",
    "Merge",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]
