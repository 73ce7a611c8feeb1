"""Keras 2 import path: ``from keras.layers.noise import GaussianNoise, ...``."""

from .regularization.alpha_dropout import AlphaDropout
from .regularization.gaussian_dropout import GaussianDropout
from .regularization.gaussian_noise import GaussianNoise

__all__ = ["AlphaDropout", "GaussianDropout", "GaussianNoise"]
