"""Model classes: ``Model`` (Functional or subclassed) and ``Sequential``."""

from ..saving.saving_api import load_model, save_model  # noqa: E402
from .cloning import clone_model, model_from_json
from .functional import Functional
from .model import Model
from .sequential import Sequential

__all__ = [
    "Functional",
    "Model",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_json",
    "save_model",
]
