"""Conv1D: 1-D convolution over sequences."""

from __future__ import annotations

from .base_conv import BaseConv


class Conv1D(BaseConv):
    """1-D convolution: slide ``filters`` kernels along the steps of a sequence.

    ``output = activation(conv1d(inputs, kernel) + bias)``. The kernel is stored
    in Keras's ``(kernel_size, in_channels // groups, filters)`` layout.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or ``(k,)``, the length of the convolution window.
        strides: Int or ``(s,)``, the step of the window.
        padding: ``"valid"`` (no padding), ``"same"`` (pad so that the output
            has ``ceil(input / stride)`` steps; an odd total puts the extra
            cell at the end) or ``"causal"`` (pad only the start with
            ``dilation_rate * (kernel_size - 1)`` zeros, so ``output[t]``
            never sees ``inputs[t + 1:]``).
        data_format: ``"channels_last"`` (``(batch, steps, channels)``) or
            ``"channels_first"``; ``None`` means
            :func:`ketorch.config.image_data_format`.
        dilation_rate: Int or ``(d,)`` for dilated convolution; cannot exceed
            1 together with ``strides`` > 1.
        groups: Positive int dividing both the input channels and ``filters``;
            each group of input channels is convolved with its own filters.
        activation: Activation name or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of the kernel.
        bias_initializer: Initializer of the ``(filters,)`` bias.
        kernel_regularizer: Penalty on the kernel, added to the loss.
        bias_regularizer: Penalty on the bias.
        activity_regularizer: Penalty on the output.
        kernel_constraint: Projection applied to the kernel after each step.
        bias_constraint: Projection applied to the bias after each step.
        **kwargs: Base layer arguments (``name``, ``input_shape``, ...).

    Input shape:
        ``(batch, steps, channels)`` (channels_last) or
        ``(batch, channels, steps)`` (channels_first).

    Output shape:
        ``(batch, new_steps, filters)`` (channels_last) or
        ``(batch, filters, new_steps)`` (channels_first).

    Example:
        >>> import torch
        >>> from ketorch.layers.convolutional.conv1d import Conv1D
        >>> Conv1D(8, 3, padding="causal")(torch.ones(2, 10, 4)).shape
        torch.Size([2, 10, 8])
    """

    rank = 1
    _allow_causal = True

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


Convolution1D = Conv1D
