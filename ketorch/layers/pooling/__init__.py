"""Pooling layers."""

from .max_pooling2d import MaxPool2D, MaxPooling2D

__all__ = ["MaxPool2D", "MaxPooling2D"]
