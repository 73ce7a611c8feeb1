"""Core layers: Dense, Embedding, Activation, Masking, Lambda, Identity."""

from .activation import Activation
from .dense import Dense
from .embedding import Embedding
from .identity import Identity
from .lambda_layer import Lambda
from .masking import Masking

__all__ = ["Activation", "Dense", "Embedding", "Identity", "Lambda", "Masking"]
