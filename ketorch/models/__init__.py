"""Model classes: ``Model`` (Functional or subclassed) and ``Sequential``."""

from .functional import Functional
from .model import Model
from .sequential import Sequential

__all__ = ["Functional", "Model", "Sequential"]
