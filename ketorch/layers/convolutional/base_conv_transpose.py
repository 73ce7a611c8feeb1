"""Shared machinery of the N-D transposed convolution layers.

Keras stores the kernel as ``(*kernel_size, filters, in_channels)``; torch's
``conv_transpose`` wants ``(in_channels, filters, *kernel_size)``, a free
permuted view. Output sizes follow Keras (the TensorFlow/JAX rule):

* ``"valid"``: ``(n - 1) * stride + k_eff + output_padding``, where a missing
  ``output_padding`` means ``max(k_eff, stride) - k_eff``;
* ``"same"``: ``n * stride`` without ``output_padding``, else
  ``(n - 1) * stride + k_eff % 2 + output_padding``;

with ``k_eff = (k - 1) * dilation + 1``. Which window of the full transposed
convolution is kept is also Keras's; it maps onto torch's symmetric
``padding`` plus trailing ``output_padding``, with at most one trailing cell
sliced off (a view).
"""

from __future__ import annotations

import torch.nn.functional as F

from ... import activations, constraints, initializers, regularizers
from .base_conv import ConvGeometry, check_positive_int

_CONV_T_FNS = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _keras_pads(kernel: int, stride: int, dilation: int, padding: str, output_padding):
    """Keras's (before, after) padding of the dilated input, for one axis."""
    k_eff = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        return k_eff - 1, k_eff - 1 + extra
    if output_padding is None:
        total = stride + k_eff - 2
    else:
        total = k_eff + k_eff % 2 - 2 + output_padding
    before = min(total // 2 + total % 2, k_eff - 1)
    return before, total - before


def _normalize_output_padding(value, n: int, layer: str) -> tuple[int, ...]:
    """An int or ``n`` ints, each ``>= 0``, as a tuple."""
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            out = ()
    if len(out) != n or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in out
    ):
        raise ValueError(
            f"Argument `output_padding` of {layer} must be a non-negative integer or a tuple "
            f"of {n} non-negative integers. Received: output_padding={value!r}"
        )
    return out


def transpose_output_length(length, kernel, stride, padding, output_padding, dilation):
    """Keras's output size of one axis of a transposed convolution (``None`` if unknown)."""
    if length is None:
        return None
    k_eff = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        return (length - 1) * stride + k_eff + extra
    if output_padding is None:
        return length * stride
    return (length - 1) * stride + k_eff % 2 + output_padding


class BaseConvTranspose(ConvGeometry):
    """A ``rank``-D transposed convolution; subclasses fix ``rank``.

    See :class:`~ketorch.layers.Conv2DTranspose` for the arguments.
    """

    rank = 2

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
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
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        self.filters = check_positive_int(filters, "filters", cls)
        self._init_geometry(kernel_size, strides, padding, data_format, dilation_rate)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = _normalize_output_padding(output_padding, self.rank, cls)
            if any(op >= s for op, s in zip(self.output_padding, self.strides)):
                raise ValueError(
                    f"Argument `output_padding` of {cls} must be smaller than `strides` on "
                    f"every axis. Received: output_padding={self.output_padding}, "
                    f"strides={self.strides}"
                )
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._linear_act = self.activation is activations.linear
        self._conv_t = _CONV_T_FNS[self.rank]
        self._plan_torch_window()

    def _plan_torch_window(self) -> None:
        """Express Keras's kept window as torch ``padding``/``output_padding`` + a crop."""
        pads, out_pads, crops = [], [], []
        ops = self.output_padding or (None,) * self.rank
        for k, s, d, op in zip(self.kernel_size, self.strides, self.dilation_rate, ops):
            k_eff = (k - 1) * d + 1
            before, after = _keras_pads(k, s, d, self.padding, op)
            # Cells cut from each end of torch's full output (negative: zeros added).
            cut_lo, cut_hi = k_eff - 1 - before, k_eff - 1 - after
            pads.append(cut_lo)
            out_pads.append(max(0, cut_lo - cut_hi))
            crops.append(max(0, cut_hi - cut_lo))
            if cut_lo < 0 or out_pads[-1] >= max(s, d):  # unreachable for validated args
                raise ValueError(
                    f"{type(self).__name__} cannot realise this padding with torch. Received: "
                    f"kernel_size={self.kernel_size}, strides={self.strides}, "
                    f"output_padding={self.output_padding}, dilation_rate={self.dilation_rate}"
                )
        self._torch_padding = tuple(pads)
        self._torch_output_padding = tuple(out_pads)
        self._crop = None
        if any(crops):
            self._crop = (slice(None), slice(None), *(slice(0, -c if c else None) for c in crops))

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)  # raises if the output would be empty
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, self.filters, channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
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
        self._set_channel_spec(channels)
        self.built = True

    def call(self, inputs):
        kernel = self.kernel.permute(self._kernel_to_torch)
        y = self._conv_t(
            self._to_torch(inputs),
            kernel,
            self.bias,
            self.strides,
            self._torch_padding,
            self._torch_output_padding,
            1,
            self.dilation_rate,
        )
        if self._crop is not None:
            y = y[self._crop]
        y = self._from_torch(y)
        return y if self._linear_act else self.activation(y)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        ops = self.output_padding or (None,) * self.rank
        out = tuple(
            transpose_output_length(n, k, s, self.padding, op, d)
            for n, k, s, op, d in zip(
                spatial, self.kernel_size, self.strides, ops, self.dilation_rate
            )
        )
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the output would be empty. "
                f"Received: input_shape={input_shape}, kernel_size={self.kernel_size}, "
                f"strides={self.strides}, output_padding={self.output_padding}, "
                f"padding={self.padding!r}"
            )
        return self._with_channels(input_shape[0], out, self.filters)

    def get_config(self):
        config = super().get_config()
        geometry = self._geometry_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": geometry["kernel_size"],
                "strides": geometry["strides"],
                "padding": geometry["padding"],
                "output_padding": self.output_padding,
                "data_format": geometry["data_format"],
                "dilation_rate": geometry["dilation_rate"],
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
            }
        )
        return config
