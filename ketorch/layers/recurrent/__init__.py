"""Recurrent layers."""

from .lstm import LSTM
from .lstm_cell import LSTMCell

__all__ = ["LSTM", "LSTMCell"]
