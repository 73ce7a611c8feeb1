"""Keras 2 import path: ``from keras.layers.advanced_activations import LeakyReLU, ...``."""

from .activations import ELU, LeakyReLU, PReLU, ReLU, Softmax

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]
