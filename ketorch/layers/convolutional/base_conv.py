"""Shared machinery of the N-D convolution layers, plus argument and padding helpers.

Keras stores a convolution kernel as ``(*kernel_size, in_channels // groups,
filters)`` and feeds images channels-last; torch wants ``(filters, in_channels //
groups, *kernel_size)`` and channels-first. Both conversions are free permuted
views here, so ``get_weights`` keeps Keras's layout and no data is copied.
"""

from __future__ import annotations

import torch.nn.functional as F

from ... import activations, constraints, initializers, regularizers
from ... import config as _config
from ..core.lora import LoRAMixin
from ..input_spec import InputSpec, check_input_spec
from ..layer import Layer

_CONV_FNS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def normalize_tuple(value, n: int, name: str, layer: str) -> tuple[int, ...]:
    """An int or a length-``n`` sequence of positive ints, as a tuple of ``n`` ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            out = ()
    if len(out) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in out):
        raise ValueError(
            f"Argument `{name}` of {layer} must be an integer or a tuple of {n} integers. "
            f"Received: {name}={value!r}"
        )
    if any(v <= 0 for v in out):
        raise ValueError(
            f"Argument `{name}` of {layer} must contain only positive integers. "
            f"Received: {name}={value!r}"
        )
    return out


def normalize_padding(padding, layer: str, allow_causal: bool = False) -> str:
    """``"valid"`` or ``"same"`` (case-insensitive), plus ``"causal"`` if allowed."""
    value = padding.lower() if isinstance(padding, str) else padding
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    if value not in allowed:
        names = " or ".join(repr(a) for a in allowed)
        raise ValueError(
            f"Argument `padding` of {layer} must be {names}. Received: padding={padding!r}"
        )
    return value


def normalize_data_format(data_format, layer: str) -> str:
    """``None`` means :func:`ketorch.config.image_data_format`."""
    if data_format is None:
        return _config.image_data_format()
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"Argument `data_format` of {layer} must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return value


def same_padding(length: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's "same" padding for one axis: ``(before, after)``, the extra one after."""
    span = (kernel - 1) * dilation + 1
    out = -(-length // stride)
    total = max(0, (out - 1) * stride + span - length)
    return total // 2, total - total // 2


def resolve_same_padding(spatial, kernel, strides, dilation):
    """Pick how to realise "same" padding for these spatial sizes.

    Returns:
        ``(sym, pad)``: ``sym`` is the per-axis symmetric padding to hand to the
        torch op; ``pad`` is ``None`` or the ``F.pad`` tuple to apply first
        (only when the padding is asymmetric and the extra cell is really used).
    """
    pairs = [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation)]
    usable = True
    for n, k, s, d, (lo, hi) in zip(spatial, kernel, strides, dilation, pairs):
        if lo != hi:
            # With only `lo` cells on both sides the op may still produce every
            # output position; then the extra trailing cell is never read.
            span = (k - 1) * d + 1
            if (n + 2 * lo - span) // s + 1 != -(-n // s):
                usable = False
    if usable:
        return tuple(lo for lo, _ in pairs), None
    flat = []
    for lo, hi in reversed(pairs):
        flat.extend((lo, hi))
    return (0,) * len(pairs), tuple(flat)


def conv_output_length(length, kernel, stride, padding, dilation=1):
    """Output size of one spatial axis, ``None`` when the input size is unknown."""
    if length is None:
        return None
    if padding in ("same", "causal"):
        return (length - 1) // stride + 1
    return (length - (kernel - 1) * dilation - 1) // stride + 1


class ConvGeometry(Layer):
    """Window geometry shared by the convolution layers (no weights of its own).

    Holds ``kernel_size``/``strides``/``padding``/``data_format``/``dilation_rate``
    and runs a torch convolution on Keras-layout inputs through free permuted
    views. Subclasses fix ``rank`` and call :meth:`_init_geometry` after
    ``Layer.__init__``.
    """

    rank = 2

    def _init_geometry(
        self,
        kernel_size,
        strides,
        padding,
        data_format,
        dilation_rate,
        allow_causal: bool = False,
        strided_dilation: bool = False,
    ) -> None:
        cls, n = type(self).__name__, self.rank
        self.kernel_size = normalize_tuple(kernel_size, n, "kernel_size", cls)
        self.strides = normalize_tuple(strides, n, "strides", cls)
        self.dilation_rate = normalize_tuple(dilation_rate, n, "dilation_rate", cls)
        if not strided_dilation and max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls} does not support `strides` > 1 together with `dilation_rate` > 1. "
                f"Received: strides={self.strides}, dilation_rate={self.dilation_rate}"
            )
        self.padding = normalize_padding(padding, cls, allow_causal=allow_causal)
        self.data_format = normalize_data_format(data_format, cls)
        self.input_spec = InputSpec(ndim=n + 2)
        self._channels_last = self.data_format == "channels_last"
        # Free views between Keras's and torch's layouts.
        self._to_channels_first = (0, n + 1, *range(1, n + 1))
        self._to_channels_last = (0, *range(2, n + 2), 1)
        self._kernel_to_torch = (n + 1, n, *range(n))
        self._conv = _CONV_FNS[n]
        self._pad_cache: dict = {}

    def _input_channels(self, input_shape, action: str = "create its kernel") -> int:
        check_input_spec(self, self.input_spec, tuple(input_shape))
        axis = -1 if self._channels_last else 1
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) needs a known channel dimension "
                f"(axis {axis}) to {action}. Received: input_shape={tuple(input_shape)}"
            )
        return channels

    def _set_channel_spec(self, channels: int) -> None:
        axis = -1 if self._channels_last else 1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})

    def _same_padding(self, spatial):
        plan = self._pad_cache.get(spatial)
        if plan is None:
            plan = resolve_same_padding(spatial, self.kernel_size, self.strides, self.dilation_rate)
            self._pad_cache[spatial] = plan
        return plan

    def _to_torch(self, inputs):
        """Float, channels-first view of a Keras-layout input."""
        x = inputs if inputs.is_floating_point() else inputs.float()
        if self._channels_last:
            # A permuted view: its strides are torch's channels_last memory format,
            # which the CPU (oneDNN) and cuDNN kernels consume without a copy.
            x = x.permute(self._to_channels_first)
        return x

    def _from_torch(self, y):
        return y.permute(self._to_channels_last) if self._channels_last else y

    def _conv_torch(self, x, kernel, bias, groups: int):
        """Convolve a channels-first ``x`` with a torch-layout ``kernel``."""
        padding = 0
        if self.padding == "same":
            padding, explicit = self._same_padding(tuple(x.shape[2:]))
            if explicit is not None:
                x = F.pad(x, explicit)
        elif self.padding == "causal":
            x = F.pad(x, ((self.kernel_size[0] - 1) * self.dilation_rate[0], 0))
        return self._conv(x, kernel, bias, self.strides, padding, self.dilation_rate, groups)

    def _output_spatial(self, input_shape):
        """Spatial output sizes (``None`` where unknown); raises if one would be empty."""
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        out = tuple(
            conv_output_length(n, k, s, self.padding, d)
            for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the output would be empty. "
                f"Received: input_shape={input_shape}, kernel_size={self.kernel_size}, "
                f"strides={self.strides}, dilation_rate={self.dilation_rate}, "
                f"padding={self.padding!r}"
            )
        return out

    def _with_channels(self, batch, spatial, channels):
        if self._channels_last:
            return (batch, *spatial, channels)
        return (batch, channels, *spatial)

    def _geometry_config(self) -> dict:
        return {
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        }


def check_positive_int(value, arg: str, layer: str) -> int:
    """Raise unless ``value`` is a positive (non-bool) int."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"Argument `{arg}` of {layer} must be a positive integer. Received: {arg}={value!r}"
        )
    return value


class BaseConv(LoRAMixin, ConvGeometry):
    """A ``rank``-D convolution in Keras's weight layout, computed by ``F.conv{rank}d``.

    Subclasses fix ``rank``; see :class:`~ketorch.layers.Conv2D` for the arguments.
    """

    rank = 2
    _allow_causal = False

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
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        self.filters = check_positive_int(filters, "filters", cls)
        self.groups = check_positive_int(groups, "groups", cls)
        if filters % groups:
            raise ValueError(
                f"Argument `filters` of {cls} must be divisible by `groups`. "
                f"Received: filters={filters}, groups={groups}"
            )
        self._init_geometry(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            allow_causal=self._allow_causal,
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
        self._init_lora(lora_rank, lora_alpha)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the number of input channels must "
                f"be divisible by `groups`. Received: groups={self.groups}, "
                f"input_shape={tuple(input_shape)}"
            )
        self.compute_output_shape(input_shape)  # raises if the output would be empty
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels // self.groups, self.filters),
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
        self._build_lora()

    def call(self, inputs):
        kernel = self._lora_merged() if self.lora_enabled else self.kernel
        kernel = kernel.permute(self._kernel_to_torch)
        y = self._conv_torch(self._to_torch(inputs), kernel, self.bias, self.groups)
        y = self._from_torch(y)
        return y if self._linear_act else activations.apply_to_fresh(self.activation, y)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        return self._with_channels(input_shape[0], self._output_spatial(input_shape), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                **self._geometry_config(),
                "groups": self.groups,
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
        return self._lora_config(config)
