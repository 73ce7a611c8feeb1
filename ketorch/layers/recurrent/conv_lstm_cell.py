"""The cell of the ConvLSTM layers: an LSTM whose gates are convolutions."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ... import activations, constraints, initializers, regularizers
from ..convolutional.base_conv import ConvGeometry, check_positive_int, resolve_same_padding
from ..regularization._random import seeded_generator


class ConvLSTMCell(ConvGeometry):
    """One step of a ``rank``-D convolutional LSTM (Shi et al., 2015), in Keras's layout.

    Weights: ``kernel`` ``(*kernel_size, channels, 4 * filters)``,
    ``recurrent_kernel`` ``(*kernel_size, filters, 4 * filters)`` and
    ``bias`` ``(4 * filters,)``, gate blocks ``i, f, c, o``. The input
    convolution uses the layer's ``strides``/``padding``/``dilation_rate``;
    the recurrent one is a stride-1 "same" convolution. See
    :class:`ketorch.layers.ConvLSTM2D` for the arguments.
    """

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if rank not in (1, 2, 3):
            raise ValueError(f"ConvLSTM supports ranks 1, 2 and 3. Received: rank={rank}")
        self.rank = rank
        self._init_geometry(kernel_size, strides, padding, data_format, dilation_rate)
        self.filters = check_positive_int(filters, "filters", f"ConvLSTM{rank}D")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, dropout))
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        self.seed = seed
        self.state_size = -1  # states are feature maps; see ConvLSTM.compute_output_shape
        self.bias = None

    # ----------------------------------------------------------------- build
    def build(self, input_shape, states_shape=None):
        """Create the weights for one step's input ``(batch, *spatial, channels)``."""
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        if None in spatial:
            raise ValueError(
                "ConvLSTM layers only support static input shapes for the spatial dimension. "
                f"Received invalid input shape: input_shape={input_shape}"
            )
        channels = self._input_channels(input_shape)
        self.spatial_dims = tuple(spatial)
        self.input_dim = channels
        self._output_spatial(input_shape)  # raises if the output would be empty
        f4 = 4 * self.filters
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels, f4),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(*self.kernel_size, self.filters, f4),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(f4,),
                initializer=self._forget_bias_init
                if self.unit_forget_bias
                else self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self._set_channel_spec(channels)
        self.built = True

    def _forget_bias_init(self, shape, dtype=None):
        n, init = self.filters, self.bias_initializer
        parts = [init((n,), dtype=dtype), torch.ones(n, dtype=dtype), init((2 * n,), dtype=dtype)]
        return torch.cat([torch.as_tensor(p, dtype=dtype) for p in parts])

    # --------------------------------------------------------------- kernels
    def torch_kernels(self):
        """``(kernel, recurrent_kernel)`` as torch ``(out, in, *k)`` views."""
        perm = self._kernel_to_torch
        return self.kernel.permute(perm), self.recurrent_kernel.permute(perm)

    def input_conv(self, x, kernel, bias=None):
        """The input convolution on channels-first ``x``."""
        return self._conv_torch(x, kernel, bias, 1)

    def recurrent_conv(self, h, kernel):
        """The stride-1 "same" recurrent convolution on channels-first ``h``."""
        ones = (1,) * self.rank
        sym, pad = resolve_same_padding(tuple(h.shape[2:]), self.kernel_size, ones, ones)
        if pad is not None:
            h = F.pad(h, pad)
        return self._conv(h, kernel, None, 1, sym, 1, 1)

    def gates(self, z, c):
        """New ``(h, c)`` from the summed pre-activations ``z`` (channels-first)."""
        i, f, g, o = z.chunk(4, dim=1)
        ract, act = self.recurrent_activation, self.activation
        c = ract(f) * c + ract(i) * act(g)
        return ract(o) * act(c), c

    def dropout_masks(self, like, rate):
        """Four ``{0, 1/(1-rate)}`` masks shaped like ``like`` (one per gate)."""
        gen = seeded_generator(self, like.device)
        keep = torch.empty((4, *like.shape), dtype=like.dtype, device=like.device)
        keep.bernoulli_(1.0 - rate, generator=gen)
        return keep.div_(1.0 - rate).unbind(0)

    # ------------------------------------------------------------------ step
    def call(self, inputs, states, training=False):
        """One step on Keras-layout tensors: returns ``(h, [h, c])``."""
        x = self._to_torch(inputs)
        h, c = (self._to_torch(s) for s in states[:2])
        kernel, rkernel = self.torch_kernels()
        xz = self.input_conv(x, kernel, self.bias)
        h, c = self.gates(xz + self.recurrent_conv(h, rkernel), c)
        h, c = self._from_torch(h), self._from_torch(c)
        return h, [h, c]

    def compute_output_shape(self, inputs_shape, states_shape=None):
        inputs_shape = tuple(inputs_shape)
        out = self._with_channels(inputs_shape[0], self._output_spatial(inputs_shape), self.filters)
        return out, [out, out]

    def get_initial_state(self, batch_size=None):
        """Zero ``[h, c]`` feature maps for one step's output."""
        if self._channels_last:
            shape = (batch_size, *self.spatial_dims, self.input_dim)
        else:
            shape = (batch_size, self.input_dim, *self.spatial_dims)
        state = self.compute_output_shape(shape)[0]
        return [torch.zeros(state, device=self.kernel.device) for _ in range(2)]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                **self._geometry_config(),
                "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "unit_forget_bias": self.unit_forget_bias,
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed,
            }
        )
        return config
