"""Keras 2.2-2.3 path ``keras.engine.saving``: saving and loading whole models."""

from ..models.cloning import model_from_json
from ..saving.saving_api import load_model, save_model

__all__ = ["load_model", "model_from_json", "save_model"]
