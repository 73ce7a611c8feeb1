"""ConvLSTM2D: a convolutional LSTM over sequences of 2D feature maps."""

from __future__ import annotations

from ._conv_lstm import ConvLSTM, conv_lstm_doc


class ConvLSTM2D(ConvLSTM):
    __doc__ = conv_lstm_doc(
        2,
        "``(batch, time, rows, cols, channels)``",
        """\
        >>> import torch
        >>> from ketorch.layers import ConvLSTM2D
        >>> ConvLSTM2D(6, 3)(torch.ones(2, 4, 8, 8, 3)).shape
        torch.Size([2, 6, 6, 6])
""",
    )

    rank = 2
