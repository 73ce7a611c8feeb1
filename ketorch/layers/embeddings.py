"""Keras 2 import path: ``from keras.layers.embeddings import Embedding``."""

from .core.embedding import Embedding

__all__ = ["Embedding"]
