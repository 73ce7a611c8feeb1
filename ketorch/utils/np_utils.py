"""Keras 1/2 import path: ``from keras.utils import np_utils; np_utils.to_categorical(...)``."""

from .numerical_utils import normalize, to_categorical

__all__ = ["normalize", "to_categorical"]
