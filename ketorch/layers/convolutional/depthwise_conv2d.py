"""DepthwiseConv2D: 2-D depthwise convolution."""

from __future__ import annotations

from .base_depthwise_conv import BaseDepthwiseConv


class DepthwiseConv2D(BaseDepthwiseConv):
    """Convolve every input channel separately with ``depth_multiplier`` kernels.

    The output has ``in_channels * depth_multiplier`` channels; channel
    ``c * depth_multiplier + m`` is input channel ``c`` convolved with kernel
    ``m``. Computed as one grouped ``F.conv2d`` with ``groups = in_channels``.

    Args:
        kernel_size: Int or ``(kh, kw)``, the window size.
        strides: Int or one int per axis, the step of the window.
        padding: ``"valid"`` or ``"same"`` (``ceil(input / stride)``
            outputs, the extra padding cell at the end, as Keras).
        depth_multiplier: Positive int, the kernels per input channel.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        dilation_rate: Int or one int per axis, for dilated convolution.
        activation: Activation name or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        depthwise_initializer: Initializer of the depthwise kernel.
        bias_initializer: Initializer of the ``(in_channels * depth_multiplier,)`` bias.
        depthwise_regularizer: Penalty on the depthwise kernel.
        bias_regularizer: Penalty on the bias.
        activity_regularizer: Penalty on the output.
        depthwise_constraint: Projection applied to the kernel after each step.
        bias_constraint: Projection applied to the bias after each step.
        **kwargs: Base layer arguments (``name``, ``input_shape``, ...).

    Weights:
        ``kernel`` ``(*kernel_size, in_channels, depth_multiplier)`` and
        ``bias`` ``(in_channels * depth_multiplier,)``.

    Input shape:
        ``(batch, height, width, channels)`` (channels_last) or
        ``(batch, channels, height, width)``.

    Example:
        >>> import torch
        >>> from ketorch.layers.convolutional.depthwise_conv2d import DepthwiseConv2D
        >>> DepthwiseConv2D(3, depth_multiplier=2, padding="same")(torch.ones(2, 8, 8, 4)).shape
        torch.Size([2, 8, 8, 8])
    """

    rank = 2

    def __init__(
        self,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=(1, 1),
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size,
            strides=strides,
            padding=padding,
            depth_multiplier=depth_multiplier,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
