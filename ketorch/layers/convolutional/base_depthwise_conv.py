"""Shared machinery of the depthwise and separable convolution layers.

A depthwise kernel is stored as Keras's ``(*kernel_size, in_channels,
depth_multiplier)``. Reshaped (a free view of the contiguous parameter) to
``(*kernel_size, 1, in_channels * depth_multiplier)`` it is an ordinary kernel
for a grouped convolution with ``groups = in_channels``; output channel
``c * depth_multiplier + m`` comes from input channel ``c``, as in Keras.
"""

from __future__ import annotations

from ... import activations, constraints, initializers, regularizers
from .base_conv import ConvGeometry, check_positive_int


class BaseDepthwiseConv(ConvGeometry):
    """Convolve each input channel with its own ``depth_multiplier`` kernels.

    Subclasses fix ``rank``; see :class:`~ketorch.layers.DepthwiseConv2D`.
    """

    rank = 2

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=1,
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
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        self.depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier", cls)
        self._init_geometry(
            kernel_size, strides, padding, data_format, dilation_rate, strided_dilation=True
        )
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._linear_act = self.activation is activations.linear
        self._channels = None

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)  # raises if the output would be empty
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(channels * self.depth_multiplier,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self._channels = channels
        self._set_channel_spec(channels)
        self.built = True

    def _depthwise_torch(self, kernel):
        """``kernel`` ``(*k, C, mult)`` as a torch grouped-conv weight ``(C*mult, 1, *k)``."""
        flat = kernel.reshape(*self.kernel_size, 1, -1)
        return flat.permute(self._kernel_to_torch)

    def call(self, inputs):
        kernel = self._depthwise_torch(self.kernel)
        y = self._conv_torch(self._to_torch(inputs), kernel, self.bias, self._channels)
        y = self._from_torch(y)
        return y if self._linear_act else self.activation(y)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = input_shape[-1 if self._channels_last else 1]
        out_channels = None if channels is None else channels * self.depth_multiplier
        return self._with_channels(input_shape[0], self._output_spatial(input_shape), out_channels)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "depth_multiplier": self.depth_multiplier,
                **self._geometry_config(),
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
            }
        )
        return config
