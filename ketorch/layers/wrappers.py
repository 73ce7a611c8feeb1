"""Keras 2 import path: ``from keras.layers.wrappers import Wrapper, Bidirectional, TimeDistributed``."""

from .core.wrapper import Wrapper
from .recurrent.bidirectional import Bidirectional
from .recurrent.time_distributed import TimeDistributed

__all__ = ["Bidirectional", "TimeDistributed", "Wrapper"]
