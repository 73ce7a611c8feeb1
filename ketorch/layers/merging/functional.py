"""Function forms of the merge layers: ``add([x1, x2])`` == ``Add()([x1, x2])``."""

from __future__ import annotations

from .add import Add
from .average import Average
from .concatenate import Concatenate
from .dot import Dot
from .maximum import Maximum
from .minimum import Minimum
from .multiply import Multiply
from .subtract import Subtract


def add(inputs, **kwargs):
    """Element-wise sum of a list of tensors; see :class:`Add`.

    Args:
        inputs: A list of tensors (or KerasTensors).
        **kwargs: Layer arguments such as ``name``.

    Returns:
        The sum, shaped like the (broadcast) inputs.
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``inputs[0] - inputs[1]``; see :class:`Subtract`.

    Args:
        inputs: A list of exactly two tensors.
        **kwargs: Layer arguments such as ``name``.

    Returns:
        The difference.
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Element-wise product of a list of tensors; see :class:`Multiply`.

    Args:
        inputs: A list of tensors.
        **kwargs: Layer arguments such as ``name``.

    Returns:
        The product.
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Element-wise mean of a list of tensors; see :class:`Average`.

    Args:
        inputs: A list of tensors.
        **kwargs: Layer arguments such as ``name``.

    Returns:
        The mean.
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Element-wise maximum of a list of tensors; see :class:`Maximum`.

    Args:
        inputs: A list of tensors.
        **kwargs: Layer arguments such as ``name``.

    Returns:
        The maximum.
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Element-wise minimum of a list of tensors; see :class:`Minimum`.

    Args:
        inputs: A list of tensors.
        **kwargs: Layer arguments such as ``name``.

    Returns:
        The minimum.
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Join a list of tensors along ``axis``; see :class:`Concatenate`.

    Args:
        inputs: A list of tensors.
        axis: The axis to join along.
        **kwargs: Layer arguments such as ``name``.

    Returns:
        The concatenation.

    Example:
        >>> import ketorch
        >>> from ketorch.layers.merging.functional import concatenate
        >>> a, b = ketorch.Input((3,)), ketorch.Input((4,))
        >>> concatenate([a, b]).shape
        (None, 7)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Batch-wise dot product of two tensors; see :class:`Dot`.

    Args:
        inputs: A list of two tensors.
        axes: Int or pair of ints, the axes to contract (the last axis by default).
        normalize: L2-normalize along those axes first (cosine similarity).
        **kwargs: Layer arguments such as ``name``.

    Returns:
        The dot product.
    """
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
