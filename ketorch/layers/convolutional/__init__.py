"""Convolution layers."""

from ..pooling.max_pooling2d import MaxPool2D, MaxPooling2D  # Keras 2 import path
from .conv2d import Conv2D, Convolution2D

__all__ = ["Conv2D", "Convolution2D", "MaxPool2D", "MaxPooling2D"]
