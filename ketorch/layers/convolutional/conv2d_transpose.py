"""Conv2DTranspose: 2-D transposed convolution (learned upsampling)."""

from __future__ import annotations

from .base_conv_transpose import BaseConvTranspose


class Conv2DTranspose(BaseConvTranspose):
    """2-D transposed convolution, the gradient of a 2-D convolution.

    Each input position scatters a ``filters``-channel copy of the kernel into
    the output, ``strides`` apart; it is used to upsample images (decoders, GAN generators, segmentation heads). The kernel is
    stored in Keras's ``(*kernel_size, filters, in_channels)`` layout.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or ``(kh, kw)``, the window size.
        strides: Int or one int per axis, the upsampling factor.
        padding: ``"valid"`` (output ``(n - 1) * stride + max(k, stride)``)
            or ``"same"`` (output ``n * stride``). Keras's rules, including
            dilation, are followed exactly.
        output_padding: ``None`` or an int / one int per axis, each smaller
            than the stride, fixing the output size to
            ``(n - 1) * stride + k + output_padding`` ("valid") or
            ``(n - 1) * stride + k % 2 + output_padding`` ("same").
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        dilation_rate: Int or one int per axis; cannot exceed 1 together with
            ``strides`` > 1.
        activation: Activation name or callable; ``None`` means linear.
        use_bias: Whether to add a ``(filters,)`` bias.
        kernel_initializer: Initializer of the kernel.
        bias_initializer: Initializer of the bias.
        kernel_regularizer: Penalty on the kernel, added to the loss.
        bias_regularizer: Penalty on the bias.
        activity_regularizer: Penalty on the output.
        kernel_constraint: Projection applied to the kernel after each step.
        bias_constraint: Projection applied to the bias after each step.
        **kwargs: Base layer arguments (``name``, ``input_shape``, ...).

    Input shape:
        ``(batch, height, width, channels)`` (channels_last) or
        ``(batch, channels, height, width)``.

    Output shape:
        ``(batch, new_height, new_width, filters)`` (channels_last) or
        ``(batch, filters, new_height, new_width)``.

    Example:
        >>> import torch
        >>> from ketorch.layers.convolutional.conv2d_transpose import Conv2DTranspose
        >>> Conv2DTranspose(8, 3, strides=2, padding="same")(torch.ones(2, 7, 7, 16)).shape
        torch.Size([2, 14, 14, 8])
    """

    rank = 2

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=(1, 1),
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
            output_padding=output_padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
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


Convolution2DTranspose = Conv2DTranspose
