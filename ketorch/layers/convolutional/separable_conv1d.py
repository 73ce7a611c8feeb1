"""SeparableConv1D: 1-D depthwise-separable convolution."""

from __future__ import annotations

from .base_separable_conv import BaseSeparableConv


class SeparableConv1D(BaseSeparableConv):
    """A depthwise convolution followed by a pointwise (1x1) convolution.

    Cheaper than a full convolution: each input channel is first filtered on
    its own (``depth_multiplier`` kernels each), then a 1x1 convolution mixes
    the ``in_channels * depth_multiplier`` results into ``filters`` channels.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or ``(k,)``, the depthwise window size.
        strides: Int or one int per axis, the step of the depthwise window.
        padding: ``"valid"`` or ``"same"`` (``ceil(input / stride)``
            outputs, the extra padding cell at the end, as Keras).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        dilation_rate: Int or one int per axis, for dilated convolution.
        depth_multiplier: Positive int, the depthwise kernels per input channel.
        activation: Activation name or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        depthwise_initializer: Initializer of the depthwise kernel.
        pointwise_initializer: Initializer of the pointwise kernel.
        bias_initializer: Initializer of the ``(filters,)`` bias.
        depthwise_regularizer: Penalty on the depthwise kernel.
        pointwise_regularizer: Penalty on the pointwise kernel.
        bias_regularizer: Penalty on the bias.
        activity_regularizer: Penalty on the output.
        depthwise_constraint: Projection applied to the depthwise kernel.
        pointwise_constraint: Projection applied to the pointwise kernel.
        bias_constraint: Projection applied to the bias.
        **kwargs: Base layer arguments (``name``, ``input_shape``, ...).

    Weights:
        ``depthwise_kernel`` ``(*kernel_size, in_channels, depth_multiplier)``,
        ``pointwise_kernel`` ``(1, in_channels * depth_multiplier, filters)``
        and ``bias`` ``(filters,)``.

    Input shape:
        ``(batch, steps, channels)`` (channels_last) or ``(batch, channels, steps)``.

    Example:
        >>> import torch
        >>> from ketorch.layers.convolutional.separable_conv1d import SeparableConv1D
        >>> SeparableConv1D(16, 3)(torch.ones(2, 10, 4)).shape
        torch.Size([2, 8, 16])
    """

    rank = 1

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
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
            depth_multiplier=depth_multiplier,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


SeparableConvolution1D = SeparableConv1D
