"""ConvLSTM3D: a convolutional LSTM over sequences of 3D feature maps."""

from __future__ import annotations

from .conv_lstm import ConvLSTM


class ConvLSTM3D(ConvLSTM):
    """A 3D convolutional LSTM (Shi et al., 2015): an LSTM whose input and recurrent
    transformations are 3D convolutions, run over the time axis.

    Weights live on ``self.cell``: ``kernel`` ``(*kernel_size, channels,
    4 * filters)``, ``recurrent_kernel`` ``(*kernel_size, filters, 4 * filters)``
    and ``bias`` ``(4 * filters,)``, gate blocks ``i, f, c, o`` (Keras's layout).

    Args:
        filters: Number of output feature maps (and of each state's channels).
        kernel_size: An int or a tuple of 3 ints, the convolution window.
        strides: An int or a tuple of 3 ints, of the input convolution.
        padding: ``"valid"`` or ``"same"`` (the recurrent convolution is
            always "same").
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        dilation_rate: An int or a tuple of 3 ints, of the input convolution.
        activation: Activation of the candidate and of the cell output.
        recurrent_activation: Activation of the gates.
        use_bias: Whether the gates have a bias.
        kernel_initializer: Initializer of ``kernel``.
        recurrent_initializer: Initializer of ``recurrent_kernel``.
        bias_initializer: Initializer of ``bias``.
        unit_forget_bias: If True, the forget-gate bias starts at 1.
        kernel_regularizer: Penalty on ``kernel``.
        recurrent_regularizer: Penalty on ``recurrent_kernel``.
        bias_regularizer: Penalty on ``bias``.
        activity_regularizer: Penalty on the output.
        kernel_constraint: Projection applied to ``kernel`` after each step.
        recurrent_constraint: Projection applied to ``recurrent_kernel``.
        bias_constraint: Projection applied to ``bias``.
        dropout: Fraction of the input dropped in training (one mask per gate
            and sequence, shared by all steps).
        recurrent_dropout: Fraction of the recurrent state dropped in training.
        seed: Optional seed of the dropout masks.
        return_sequences: Return every step's output instead of the last one.
        return_state: Also return the final states: ``[output, h, c]``.
        go_backwards: Process the sequence in reverse.
        stateful: Start each batch from the final states of the previous one.
        **kwargs: Base layer arguments.

    Call arguments:
        sequences: ``(batch, time, d1, d2, d3, channels)`` (channels_last).
        initial_state: Optional ``[h, c]`` feature maps.
        mask: Optional bool ``(batch, time)``; False steps are skipped.
        training: Whether dropout is active.

    Example:
        >>> import torch
        >>> from ketorch.layers import ConvLSTM3D
        >>> ConvLSTM3D(6, 3)(torch.ones(2, 4, 5, 5, 5, 3)).shape
        torch.Size([2, 3, 3, 3, 6])
    """

    rank = 3
