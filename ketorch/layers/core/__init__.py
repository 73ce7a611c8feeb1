"""Core layers: Dense, Embedding, Activation, Masking, Lambda, Identity."""

from .. import _keras2_paths
from .activation import Activation
from .dense import Dense
from .embedding import Embedding
from .identity import Identity
from .lambda_layer import Lambda
from .masking import Masking

__all__ = ["Activation", "Dense", "Embedding", "Identity", "Lambda", "Masking"]


def __getattr__(name):
    # Keras 2 path: `from keras.layers.core import ...` (names that live elsewhere now).
    return _keras2_paths.lookup("core", name)
