"""Metrics with Keras 3 names and numerics; state is kept in device tensors.

``get`` follows Keras: class names, their snake_case forms and the aliases
``mse``/``mae``/``mape``/``msle``/``bce`` give a new metric instance.
:func:`resolve_metric` is what ``compile`` uses: it also maps
``"accuracy"``/``"acc"`` and ``"crossentropy"``/``"ce"`` to the binary, sparse
or categorical variant chosen from the target and prediction shapes, and names
the metric after the exact string given.

Example:
    >>> from ketorch import metrics
    >>> m = metrics.resolve_metric("acc", (32, 1), (32, 10))
    >>> type(m).__name__, m.name
    ('SparseCategoricalAccuracy', 'acc')
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ketorch import losses as _losses
from ketorch.losses import is_binary_or_sparse
from ketorch.losses.loss import snake_case
from ketorch.losses.serialization import _unknown_message, deserialize_object, serialize_object
from ketorch.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from ketorch.metrics.confusion_metrics import AUC, Precision, Recall
from ketorch.metrics.correlation_metrics import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from ketorch.metrics.f_score_metrics import F1Score, FBetaScore
from ketorch.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from ketorch.metrics.loss_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from ketorch.metrics.metric import Metric, MetricVariable
from ketorch.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from ketorch.metrics.regression_metrics import CosineSimilarity, R2Score
from ketorch.metrics.threshold_metrics import (
    FalseNegatives,
    FalsePositives,
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)

# Keras exports these loss functions from keras.metrics too.
binary_crossentropy = _losses.binary_crossentropy
binary_focal_crossentropy = _losses.binary_focal_crossentropy
categorical_crossentropy = _losses.categorical_crossentropy
categorical_focal_crossentropy = _losses.categorical_focal_crossentropy
categorical_hinge = _losses.categorical_hinge
hinge = _losses.hinge
huber = _losses.huber
kl_divergence = _losses.kl_divergence
log_cosh = _losses.log_cosh
mean_absolute_error = _losses.mean_absolute_error
mean_absolute_percentage_error = _losses.mean_absolute_percentage_error
mean_squared_error = _losses.mean_squared_error
mean_squared_logarithmic_error = _losses.mean_squared_logarithmic_error
poisson = _losses.poisson
sparse_categorical_crossentropy = _losses.sparse_categorical_crossentropy
squared_hinge = _losses.squared_hinge

__all__ = [
    "Metric",
    "MetricVariable",
    "Mean",
    "Sum",
    "MeanMetricWrapper",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "LogCoshError",
    "KLDivergence",
    "Poisson",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "Precision",
    "Recall",
    "AUC",
    "TruePositives",
    "FalsePositives",
    "TrueNegatives",
    "FalseNegatives",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "F1Score",
    "FBetaScore",
    "IoU",
    "BinaryIoU",
    "MeanIoU",
    "OneHotIoU",
    "OneHotMeanIoU",
    "R2Score",
    "CosineSimilarity",
    "PearsonCorrelation",
    "ConcordanceCorrelation",
    "pearson_correlation",
    "concordance_correlation",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "get",
    "serialize",
    "deserialize",
    "deserialize_function",
    "resolve_metric",
]

_CLASSES = (
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    LogCoshError,
    KLDivergence,
    Poisson,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Precision,
    Recall,
    AUC,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    PrecisionAtRecall,
    RecallAtPrecision,
    F1Score,
    FBetaScore,
    IoU,
    BinaryIoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
    R2Score,
    CosineSimilarity,
    PearsonCorrelation,
    ConcordanceCorrelation,
)
ALL_OBJECTS: dict[str, Any] = {c.__name__: c for c in _CLASSES}
ALL_OBJECTS.update({snake_case(c.__name__): c for c in _CLASSES})
ALL_OBJECTS.update(
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
    }
)

# Per-sample functions a MeanMetricWrapper config may name.
_FUNCTIONS: dict[str, Callable] = {
    f.__name__: f
    for f in (
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        pearson_correlation,
        concordance_correlation,
    )
}
_FUNCTIONS.update({k: v for k, v in _losses.ALL_OBJECTS.items() if inspect.isfunction(v)})


def serialize(metric: Any) -> Any:
    """Returns the Keras serialization dict of a metric (or function).

    Args:
        metric: A :class:`Metric` instance, a function, a string or ``None``.

    Returns:
        A Keras-style dict (strings and ``None`` are returned as they are).
    """
    return serialize_object(metric, "keras.metrics")


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuilds a metric from :func:`serialize` output or a name.

    Args:
        config: A Keras-style dict or a name.
        custom_objects: Extra name -> class or function entries.

    Returns:
        A :class:`Metric` instance, a metric class (for names) or a function.
    """
    return deserialize_object(config, ALL_OBJECTS, "metric", custom_objects)


def deserialize_function(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Looks up a per-sample function (accuracy or loss function) by name or function record."""
    return deserialize_object(config, _FUNCTIONS, "metric", custom_objects)


def get(identifier: Any) -> Metric | Callable | None:
    """Resolves a metric identifier the way ``keras.metrics.get`` does.

    Args:
        identifier: ``None``; a class name, its snake_case form or an alias (gives a
            new instance with default arguments); a config dict; a callable or
            :class:`Metric` instance (returned as is).

    Returns:
        A :class:`Metric` instance, a callable, or ``None``.

    Raises:
        ValueError: If the identifier is unknown.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Mapping):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        if identifier not in ALL_OBJECTS:
            raise ValueError(_unknown_message(identifier, ALL_OBJECTS, "metric"))
        obj = ALL_OBJECTS[identifier]
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if not callable(obj) and not isinstance(obj, Metric):
        raise ValueError(_unknown_message(identifier, ALL_OBJECTS, "metric"))
    return obj


def resolve_metric(
    identifier: Any, y_true_shape: Any, y_pred_shape: Any, name: str | None = None
) -> Metric:
    """Turns a ``compile(metrics=...)`` entry into a :class:`Metric`, as Keras 3 does.

    ``"accuracy"``/``"acc"`` (any case) become ``BinaryAccuracy`` when the
    prediction's last axis is 1, else ``SparseCategoricalAccuracy`` when the
    targets have lower rank or a last axis of 1, else ``CategoricalAccuracy``;
    ``"crossentropy"``/``"ce"`` pick the crossentropy metric the same way. Other
    strings go through :func:`get`. Plain functions are wrapped in
    :class:`MeanMetricWrapper`. A string names the metric exactly as given, so
    ``"acc"`` logs as ``"acc"``.

    Args:
        identifier: A string, :class:`Metric`, callable or config dict.
        y_true_shape: Shape of the targets (a batch is fine).
        y_pred_shape: Shape of the model output.
        name: Optional name overriding the one chosen above.

    Returns:
        A :class:`Metric`.
    """
    if identifier is None:
        raise ValueError("Argument `metric` must not be None. Received: metric=None")
    key = identifier.lower() if isinstance(identifier, str) else None
    if key in ("accuracy", "acc", "crossentropy", "ce"):
        is_binary, is_sparse = is_binary_or_sparse(y_true_shape, y_pred_shape)
        if key in ("accuracy", "acc"):
            choices = (BinaryAccuracy, SparseCategoricalAccuracy, CategoricalAccuracy)
        else:
            choices = (BinaryCrossentropy, SparseCategoricalCrossentropy, CategoricalCrossentropy)
        cls = choices[0] if is_binary else choices[1] if is_sparse else choices[2]
        metric: Any = cls(name=identifier)
    else:
        metric = get(identifier)
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric, name=getattr(metric, "__name__", None))
    if name is not None:
        metric.name = name
    elif isinstance(identifier, str):
        metric.name = identifier
    return metric
