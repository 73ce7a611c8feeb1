"""Conv3D: 3-D convolution over volumes."""

from __future__ import annotations

from .base_conv import BaseConv


class Conv3D(BaseConv):
    """3-D convolution: slide ``filters`` kernels over the three axes of a volume.

    ``output = activation(conv3d(inputs, kernel) + bias)``. The kernel is stored
    in Keras's ``(kernel_d, kernel_h, kernel_w, in_channels // groups, filters)``
    layout.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or ``(depth, height, width)`` of the convolution window.
        strides: Int or ``(sd, sh, sw)``, the step of the window.
        padding: ``"valid"`` (no padding) or ``"same"`` (pad so that the output
            has ``ceil(input / stride)`` positions; an odd total puts the extra
            cell at the end of the axis, as TensorFlow and Keras do).
        data_format: ``"channels_last"`` (``(batch, d, h, w, channels)``) or
            ``"channels_first"``; ``None`` means
            :func:`ketorch.config.image_data_format`.
        dilation_rate: Int or ``(dd, dh, dw)`` for dilated convolution;
            cannot exceed 1 together with ``strides`` > 1.
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
        ``(batch, depth, height, width, channels)`` (channels_last) or
        ``(batch, channels, depth, height, width)`` (channels_first).

    Output shape:
        ``(batch, new_depth, new_height, new_width, filters)`` (channels_last)
        or ``(batch, filters, new_depth, new_height, new_width)``.

    Example:
        >>> import torch
        >>> from ketorch.layers.convolutional.conv3d import Conv3D
        >>> Conv3D(4, 3, padding="same")(torch.ones(2, 8, 8, 8, 1)).shape
        torch.Size([2, 8, 8, 8, 4])
    """

    rank = 3

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1, 1),
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


Convolution3D = Conv3D
