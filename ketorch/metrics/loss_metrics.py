"""Streaming means of the loss functions: regression, probabilistic and hinge metrics.

Each class is a :class:`MeanMetricWrapper` around the loss function of the same
name, so ``result()`` is the (sample-weighted) mean of the per-sample loss over
every batch seen since the last reset.

Example:
    >>> import torch
    >>> m = RootMeanSquaredError()
    >>> m(torch.tensor([[0.0], [0.0]]), torch.tensor([[3.0], [4.0]]))
    tensor(3.5355)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ketorch import losses as _losses
from ketorch.losses.loss import squeeze_or_expand_to_same_rank, to_tensor
from ketorch.metrics.reduction_metrics import Mean, MeanMetricWrapper

__all__ = [
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
]


class _FixedFunctionMetric(MeanMetricWrapper):
    """Mean of a fixed loss function; config holds only name, dtype and the options."""

    _fn: Callable
    _default_name: str
    _options: tuple[str, ...] = ()

    def __init__(self, name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(type(self)._fn, name=name or self._default_name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self) -> dict:
        config = {"name": self.name, "dtype": self.dtype}
        config.update({key: self._fn_kwargs[key] for key in self._options})
        return config


class MeanSquaredError(_FixedFunctionMetric):
    """Mean squared error. Args: ``name``, ``dtype``."""

    _fn = staticmethod(_losses.mean_squared_error)
    _default_name = "mean_squared_error"


class MeanAbsoluteError(_FixedFunctionMetric):
    """Mean absolute error. Args: ``name``, ``dtype``."""

    _fn = staticmethod(_losses.mean_absolute_error)
    _default_name = "mean_absolute_error"


class MeanAbsolutePercentageError(_FixedFunctionMetric):
    """Mean absolute percentage error. Args: ``name``, ``dtype``."""

    _fn = staticmethod(_losses.mean_absolute_percentage_error)
    _default_name = "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(_FixedFunctionMetric):
    """Mean squared logarithmic error. Args: ``name``, ``dtype``."""

    _fn = staticmethod(_losses.mean_squared_logarithmic_error)
    _default_name = "mean_squared_logarithmic_error"


class LogCoshError(_FixedFunctionMetric):
    """Mean log-cosh error. Args: ``name``, ``dtype``."""

    _fn = staticmethod(_losses.log_cosh)
    _default_name = "logcosh"


class KLDivergence(_FixedFunctionMetric):
    """Mean Kullback-Leibler divergence. Args: ``name``, ``dtype``."""

    _fn = staticmethod(_losses.kl_divergence)
    _default_name = "kl_divergence"


class Poisson(_FixedFunctionMetric):
    """Mean Poisson loss. Args: ``name``, ``dtype``."""

    _fn = staticmethod(_losses.poisson)
    _default_name = "poisson"


class Hinge(_FixedFunctionMetric):
    """Mean hinge loss. Args: ``name``, ``dtype``."""

    _fn = staticmethod(_losses.hinge)
    _default_name = "hinge"


class SquaredHinge(_FixedFunctionMetric):
    """Mean squared hinge loss. Args: ``name``, ``dtype``."""

    _fn = staticmethod(_losses.squared_hinge)
    _default_name = "squared_hinge"


class CategoricalHinge(_FixedFunctionMetric):
    """Mean categorical hinge loss. Args: ``name``, ``dtype``."""

    _fn = staticmethod(_losses.categorical_hinge)
    _default_name = "categorical_hinge"


class RootMeanSquaredError(Mean):
    """Square root of the (weighted) mean of squared errors over all elements.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's squared errors."""
        y_pred = to_tensor(y_pred, dtype=self.torch_dtype)
        y_true = to_tensor(y_true, dtype=self.torch_dtype, device=y_pred.device)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(torch.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> torch.Tensor:
        """Returns ``sqrt(mean squared error)``."""
        return torch.sqrt(super().result())


class BinaryCrossentropy(_FixedFunctionMetric):
    """Mean binary crossentropy.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        from_logits: Whether predictions are logits.
        label_smoothing: Moves targets towards 0.5 by this fraction.
    """

    _fn = staticmethod(_losses.binary_crossentropy)
    _default_name = "binary_crossentropy"
    _options = ("from_logits", "label_smoothing")

    def __init__(self, name=None, dtype=None, from_logits: bool = False, label_smoothing=0):
        super().__init__(
            name=name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing
        )


class CategoricalCrossentropy(_FixedFunctionMetric):
    """Mean categorical crossentropy.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        from_logits: Whether predictions are logits.
        label_smoothing: Mixes targets with the uniform distribution by this fraction.
        axis: The class axis.
    """

    _fn = staticmethod(_losses.categorical_crossentropy)
    _default_name = "categorical_crossentropy"
    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self, name=None, dtype=None, from_logits: bool = False, label_smoothing=0, axis: int = -1
    ) -> None:
        super().__init__(
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(_FixedFunctionMetric):
    """Mean sparse categorical crossentropy.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        from_logits: Whether predictions are logits.
        ignore_class: A label value left out of the mean.
        axis: The class axis.
    """

    _fn = staticmethod(_losses.sparse_categorical_crossentropy)
    _default_name = "sparse_categorical_crossentropy"
    _options = ("from_logits", "ignore_class", "axis")

    def __init__(
        self, name=None, dtype=None, from_logits: bool = False, ignore_class=None, axis: int = -1
    ) -> None:
        super().__init__(
            name=name, dtype=dtype, from_logits=from_logits, ignore_class=ignore_class, axis=axis
        )
