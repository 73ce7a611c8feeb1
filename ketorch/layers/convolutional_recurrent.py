"""Keras 2 import path: ``from keras.layers.convolutional_recurrent import ConvLSTM2D``."""

from .recurrent.conv_lstm1d import ConvLSTM1D
from .recurrent.conv_lstm2d import ConvLSTM2D
from .recurrent.conv_lstm3d import ConvLSTM3D

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]
