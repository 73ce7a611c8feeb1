"""Quantizer objects: callables that turn a float tensor into ``(quantized, scale)``."""

from __future__ import annotations

from .functions import _EPSILON, abs_max_quantize


class Quantizer:
    """Base class of quantizers (``keras.Quantizer``).

    A subclass implements ``__call__`` (tensor in, quantized tensor out) and
    ``get_config``; ``from_config(get_config())`` must rebuild an equal quantizer.

    Args:
        output_dtype: Dtype of the quantized values.

    Example:
        >>> from ketorch.quantizers import Quantizer
        >>> Quantizer()(3.5)
        3.5
    """

    def __init__(self, output_dtype: str = "int8") -> None:
        self.output_dtype = output_dtype

    def __call__(self, x):
        """Quantize ``x``; the base class returns it unchanged."""
        return x

    @classmethod
    def from_config(cls, config: dict) -> Quantizer:
        """Create a quantizer from :meth:`get_config` output."""
        return cls(**config)

    def get_config(self) -> dict:
        """The constructor arguments; subclasses must implement it."""
        raise NotImplementedError(f"{self} does not implement get_config()")


class AbsMaxQuantizer(Quantizer):
    """Symmetric abs-max quantizer: see :func:`~ketorch.quantizers.abs_max_quantize`.

    Args:
        axis: Default reduction axis (deprecated in Keras in favour of the call's
            ``axis``); ``None`` means ``-1``.
        value_range: ``(low, high)`` integer range.
        epsilon: Added to ``max|x|``.
        output_dtype: Dtype of the quantized values.

    Raises:
        ValueError: If ``output_dtype="int8"`` and ``value_range`` leaves ``[-128, 127]``.

    Example:
        >>> import torch
        >>> from ketorch.quantizers import AbsMaxQuantizer
        >>> q, scale = AbsMaxQuantizer()(torch.tensor([[0.5, -1.0]]))
        >>> q.tolist()
        [[63, -127]]
    """

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=_EPSILON, output_dtype="int8"):
        super().__init__(output_dtype=output_dtype)
        self.axis = None if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        self.value_range = tuple(value_range)
        self.epsilon = epsilon
        if output_dtype == "int8" and (self.value_range[0] < -128 or self.value_range[1] > 127):
            raise ValueError(
                "Quantizer with output_dtype='int8' requires value_range to be within the "
                f"interval [-128, 127]. Received: value_range={value_range}"
            )

    def __call__(self, x, axis=None, to_numpy=False):
        """``(quantized, scale)`` of ``x`` reduced over ``axis`` (else the default axis)."""
        if axis is None:
            axis = self.axis if self.axis is not None else -1
        return abs_max_quantize(
            x, axis, self.value_range, self.output_dtype, self.epsilon, to_numpy
        )

    def get_config(self) -> dict:
        config = {
            "value_range": self.value_range,
            "epsilon": self.epsilon,
            "output_dtype": self.output_dtype,
        }
        if self.axis is not None:
            config["axis"] = self.axis
        return config
