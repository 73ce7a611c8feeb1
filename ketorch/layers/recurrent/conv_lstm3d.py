"""ConvLSTM3D: a convolutional LSTM over sequences of 3D feature maps."""

from __future__ import annotations

from ._conv_lstm import ConvLSTM, conv_lstm_doc


class ConvLSTM3D(ConvLSTM):
    __doc__ = conv_lstm_doc(
        3,
        "``(batch, time, d1, d2, d3, channels)``",
        """\
        >>> import torch
        >>> from ketorch.layers import ConvLSTM3D
        >>> ConvLSTM3D(6, 3)(torch.ones(2, 4, 5, 5, 5, 3)).shape
        torch.Size([2, 3, 3, 3, 6])
""",
    )

    rank = 3
