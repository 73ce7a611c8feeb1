"""Shared machinery of the separable convolution layers."""

from __future__ import annotations

from ... import constraints, initializers, regularizers
from .base_conv import check_positive_int
from .base_depthwise_conv import BaseDepthwiseConv


class BaseSeparableConv(BaseDepthwiseConv):
    """A depthwise convolution followed by a 1x1 ("pointwise") convolution.

    Weights, in Keras's order: ``depthwise_kernel`` ``(*k, C, mult)``,
    ``pointwise_kernel`` ``(1, ..., 1, C * mult, filters)`` and ``bias``
    ``(filters,)``. Subclasses fix ``rank``; see
    :class:`~ketorch.layers.SeparableConv2D`.
    """

    rank = 2

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
        self.filters = check_positive_int(filters, "filters", type(self).__name__)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)  # raises if the output would be empty
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel",
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self._channels = channels
        self._set_channel_spec(channels)
        self.built = True

    def call(self, inputs):
        depthwise = self._depthwise_torch(self.depthwise_kernel)
        y = self._conv_torch(self._to_torch(inputs), depthwise, None, self._channels)
        pointwise = self.pointwise_kernel.permute(self._kernel_to_torch)
        y = self._from_torch(self._conv(y, pointwise, self.bias))
        return y if self._linear_act else self.activation(y)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        return self._with_channels(input_shape[0], self._output_spatial(input_shape), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
                "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
            }
        )
        return config
