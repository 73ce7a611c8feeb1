"""Losses with Keras 3 names and numerics, on torch tensors.

``get`` follows Keras: a function name or alias (``"mse"``, ``"bce"``, ...)
gives the plain per-sample function ``(y_true, y_pred) -> loss per sample``; a
class name gives a :class:`Loss` instance built with defaults. ``resolve``
always gives a :class:`Loss` (functions are wrapped in
:class:`LossFunctionWrapper` named after the string given), which is what a
trainer wants.

Example:
    >>> import torch
    >>> from ketorch import losses
    >>> losses.get("mse") is losses.mean_squared_error
    True
    >>> loss = losses.resolve("mse")
    >>> loss.name, loss(torch.zeros(2, 1), torch.ones(2, 1))
    ('mse', tensor(1.))
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ketorch.losses.circle import Circle, circle
from ketorch.losses.classes import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from ketorch.losses.ctc import CTC, ctc
from ketorch.losses.focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
)
from ketorch.losses.hinge import categorical_hinge, hinge, squared_hinge
from ketorch.losses.loss import Loss, reduce_weighted_values
from ketorch.losses.overlap import Dice, Tversky, dice, tversky
from ketorch.losses.probabilistic import (
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from ketorch.losses.regression import (
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from ketorch.losses.serialization import _unknown_message, deserialize_object, serialize_object

_CLASSES = (
    Loss,
    LossFunctionWrapper,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    Huber,
    LogCosh,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    Dice,
    Tversky,
    Circle,
    CTC,
)
_FUNCTIONS = (
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    huber,
    log_cosh,
    hinge,
    squared_hinge,
    categorical_hinge,
    kl_divergence,
    poisson,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    dice,
    tversky,
    circle,
    ctc,
)
_ALIASES = {
    "mse": mean_squared_error,
    "MSE": mean_squared_error,
    "mae": mean_absolute_error,
    "MAE": mean_absolute_error,
    "mape": mean_absolute_percentage_error,
    "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error,
    "MSLE": mean_squared_logarithmic_error,
    "kld": kl_divergence,
    "KLD": kl_divergence,
    "bce": binary_crossentropy,
    "BCE": binary_crossentropy,
}
ALL_OBJECTS: dict[str, Any] = {c.__name__: c for c in _CLASSES}
ALL_OBJECTS.update({f.__name__: f for f in _FUNCTIONS})
ALL_OBJECTS.update(_ALIASES)

__all__ = [
    "Loss",
    "LossFunctionWrapper",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "CosineSimilarity",
    "Huber",
    "LogCosh",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "KLDivergence",
    "Poisson",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "Dice",
    "Tversky",
    "Circle",
    "CTC",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "cosine_similarity",
    "huber",
    "log_cosh",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "kl_divergence",
    "poisson",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "dice",
    "tversky",
    "circle",
    "ctc",
    "get",
    "serialize",
    "deserialize",
    "resolve",
    "is_binary_or_sparse",
    "reduce_weighted_values",
]


def serialize(loss: Any) -> Any:
    """Returns the Keras serialization of a loss object or function.

    Args:
        loss: A :class:`Loss` instance, a loss function, a string or ``None``.

    Returns:
        A Keras-style dict (strings and ``None`` are returned as they are).
    """
    return serialize_object(loss, "keras.losses")


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuilds a loss from :func:`serialize` output or a name.

    Args:
        config: A Keras-style dict or a name.
        custom_objects: Extra name -> class or function entries.

    Returns:
        A :class:`Loss` instance (class configs) or a function (function records, names).
    """
    return deserialize_object(config, ALL_OBJECTS, "loss", custom_objects)


def get(identifier: Any) -> Callable | Loss | None:
    """Resolves a loss identifier the way ``keras.losses.get`` does.

    Args:
        identifier: ``None``; a function name or alias (gives the function); a class
            name (gives an instance with default arguments); a config dict; a
            callable or :class:`Loss` instance (returned as is).

    Returns:
        A per-sample loss function, a :class:`Loss` instance, or ``None``.

    Raises:
        ValueError: If the identifier is unknown.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Mapping):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        if identifier not in ALL_OBJECTS:
            raise ValueError(_unknown_message(identifier, ALL_OBJECTS, "loss"))
        obj = ALL_OBJECTS[identifier]
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if not callable(obj):
        raise ValueError(_unknown_message(identifier, ALL_OBJECTS, "loss"))
    return obj


def is_binary_or_sparse(y_true_shape: Any, y_pred_shape: Any) -> tuple[bool, bool]:
    """Keras 3's shape test behind ``"accuracy"`` and ``"crossentropy"`` strings.

    Args:
        y_true_shape: Shape of the targets.
        y_pred_shape: Shape of the predictions.

    Returns:
        ``(is_binary, is_sparse)``: binary when the prediction's last axis is 1;
        sparse when the targets have lower rank, or a last axis of 1 against a
        wider prediction. Neither means categorical (one-hot).
    """
    t_shape, p_shape = tuple(y_true_shape), tuple(y_pred_shape)
    t_last = t_shape[-1] if t_shape else None
    p_last = p_shape[-1] if p_shape else None
    is_binary = p_last == 1
    is_sparse = len(t_shape) < len(p_shape) or (t_last == 1 and p_last is not None and p_last > 1)
    return is_binary, is_sparse


def resolve(
    identifier: Any,
    name: str | None = None,
    y_true_shape: Any = None,
    y_pred_shape: Any = None,
) -> Loss:
    """Like :func:`get`, but always returns a :class:`Loss`.

    A function is wrapped in :class:`LossFunctionWrapper`, named after the string
    given (``"mse"`` stays ``"mse"``) or else after the function. The strings
    ``"crossentropy"``/``"ce"`` pick binary, sparse or categorical crossentropy
    from the shapes, as Keras's ``compile`` does.

    Args:
        identifier: Anything :func:`get` accepts (not ``None``), or ``"crossentropy"``/``"ce"``.
        name: Optional name overriding the one chosen above (for wrapped functions).
        y_true_shape: Target shape, needed only for ``"crossentropy"``/``"ce"``.
        y_pred_shape: Prediction shape, needed only for ``"crossentropy"``/``"ce"``.

    Returns:
        A :class:`Loss` instance.
    """
    if identifier is None:
        raise ValueError("Argument `loss` must not be None. Received: loss=None")
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        if y_true_shape is None or y_pred_shape is None:
            raise ValueError(
                f"Loss {identifier!r} is chosen from the target and prediction shapes; pass "
                f"`y_true_shape` and `y_pred_shape`. Received: loss={identifier!r}"
            )
        is_binary, is_sparse = is_binary_or_sparse(y_true_shape, y_pred_shape)
        if is_binary:
            obj = binary_crossentropy
        elif is_sparse:
            obj = sparse_categorical_crossentropy
        else:
            obj = categorical_crossentropy
    else:
        obj = get(identifier)
    if isinstance(obj, Loss):
        return obj
    if name is None:
        name = identifier if isinstance(identifier, str) else getattr(obj, "__name__", None)
    return LossFunctionWrapper(obj, name=name)
