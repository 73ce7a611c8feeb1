"""Recurrent layers."""

from .. import _keras2_paths
from .bidirectional import Bidirectional
from .gru import GRU
from .gru_cell import GRUCell
from .lstm import LSTM
from .lstm_cell import LSTMCell
from .rnn import RNN
from .simple_rnn import SimpleRNN
from .simple_rnn_cell import SimpleRNNCell
from .time_distributed import TimeDistributed

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "GRUCell",
    "LSTMCell",
    "SimpleRNN",
    "SimpleRNNCell",
    "TimeDistributed",
]


def __getattr__(name):
    # Keras 2 path: `from keras.layers.recurrent import ...` (names that live elsewhere now).
    return _keras2_paths.lookup("recurrent", name)
