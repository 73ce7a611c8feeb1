"""ConvLSTM1D: a convolutional LSTM over sequences of 1D feature maps."""

from __future__ import annotations

from ._conv_lstm import ConvLSTM, conv_lstm_doc


class ConvLSTM1D(ConvLSTM):
    __doc__ = conv_lstm_doc(
        1,
        "``(batch, time, steps, channels)``",
        """\
        >>> import torch
        >>> from ketorch.layers import ConvLSTM1D
        >>> ConvLSTM1D(6, 3)(torch.ones(2, 4, 10, 3)).shape
        torch.Size([2, 8, 6])
""",
    )

    rank = 1
