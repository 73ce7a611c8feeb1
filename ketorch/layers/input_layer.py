"""``Input`` and ``InputLayer``: the entry points of a Functional model.

Example:
    >>> from ketorch import Input
    >>> x = Input(shape=(784,), name="pixels")
    >>> x.shape
    (None, 784)
"""

from __future__ import annotations

import numbers
import warnings

from .layer import Layer
from .node import KerasTensor, Node


class InputLayer(Layer):
    """A layer with no computation that holds a model input's shape and dtype.

    Args:
        shape: Input shape without the batch axis (``None`` for unknown sizes).
        batch_size: Optional fixed batch size.
        dtype: Input dtype name (``"float32"`` by default; ``"int32"`` for tokens).
        sparse: Accepted for compatibility; must be falsy.
        batch_shape: The full shape including the batch axis (instead of
            ``shape`` and ``batch_size``).
        input_tensor: Optional existing KerasTensor to wrap.
        optional: Whether the input may be ``None``.
        name: Layer name (``input_layer``, ``input_layer_1``, ... by default).
    """

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        sparse=None,
        batch_shape=None,
        input_tensor=None,
        optional=False,
        name=None,
        **kwargs,
    ):
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        kwargs.pop("ragged", None)
        super().__init__(name=name, dtype=dtype or "float32", **kwargs)  # not the policy
        if sparse:
            raise ValueError(
                f"Sparse inputs are not supported by ketorch. Received: sparse={sparse}"
            )
        if shape is not None and batch_shape is not None:
            raise ValueError(
                "You cannot pass both `shape` and `batch_shape` at the same time. "
                f"Received: shape={shape}, batch_shape={batch_shape}"
            )
        if batch_shape is None:
            if shape is None:
                if input_tensor is None:
                    raise ValueError(
                        "You must pass a `shape` argument to Input (the shape of one sample, "
                        "without the batch axis, e.g. `Input(shape=(784,))`). Received: shape=None"
                    )
                batch_shape = input_tensor.shape
            else:
                if isinstance(shape, int):
                    shape = (shape,)
                if not isinstance(shape, (tuple, list)) or not all(
                    d is None or (isinstance(d, int) and d >= 0) for d in shape
                ):
                    raise ValueError(
                        "Input `shape` must be a tuple of non-negative ints or None, such as "
                        f"(784,) or (None, 128). Received: shape={shape!r}"
                    )
                if batch_size is not None and (
                    isinstance(batch_size, bool)
                    or not isinstance(batch_size, numbers.Integral)
                    or batch_size <= 0
                ):
                    raise ValueError(
                        "Input `batch_size` must be None or a positive integer. "
                        f"Received: batch_size={batch_size!r}"
                    )
                batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.sparse = False
        self.optional = optional
        self.built = True
        tensor = KerasTensor(self.batch_shape, self.dtype, name=self.name, history=(self, 0, 0))
        self._inbound_nodes.append(Node(self, (), {}, [], tensor))
        self.output_tensor = tensor

    @property
    def dtype(self):
        return self._dtype

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return self.batch_shape

    def get_config(self):
        return {
            "batch_shape": list(self.batch_shape),
            "dtype": self._dtype,
            "sparse": False,
            "ragged": False,
            "name": self.name,
            "optional": self.optional,
        }


def Input(
    shape=None,
    batch_size=None,
    dtype=None,
    sparse=None,
    batch_shape=None,
    name=None,
    tensor=None,
    optional=False,
    **kwargs,
) -> KerasTensor:
    """Create a symbolic model input.

    Args:
        shape: Shape of one sample, without the batch axis, e.g. ``(784,)``.
        batch_size: Optional fixed batch size.
        dtype: Dtype name; ``"float32"`` by default (use ``"int32"`` for token ids).
        sparse: Not supported (must be falsy).
        batch_shape: Full shape including the batch axis.
        name: Input name, used to match dict inputs in ``fit``/``predict``.
        tensor: Optional KerasTensor to wrap.
        optional: Whether the input may be ``None``.

    Returns:
        A :class:`KerasTensor` to call layers on.
    """
    if "input_shape" in kwargs or "batch_input_shape" in kwargs:
        warnings.warn("Input(input_shape=...) is deprecated; use Input(shape=...).", stacklevel=2)
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        batch_shape=batch_shape,
        input_tensor=tensor,
        optional=optional,
        name=name,
        **kwargs,
    )
    return layer.output_tensor
