"""Convolution layers."""

from .conv2d import Conv2D, Convolution2D

__all__ = ["Conv2D", "Convolution2D"]
