"""``Sum``, ``Mean`` and ``MeanMetricWrapper``: the (weighted) reductions most metrics use.

Example:
    >>> import torch
    >>> m = Mean()
    >>> m.update_state(torch.tensor([1.0, 3.0]), sample_weight=torch.tensor([1.0, 0.0]))
    >>> m.result()
    tensor(1.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ketorch.losses.loss import apply_mask, get_mask, squeeze_or_expand_to_same_rank, to_tensor
from ketorch.losses.serialization import serialize_object
from ketorch.metrics.metric import Metric

__all__ = ["Sum", "Mean", "MeanMetricWrapper", "reduce_to_samplewise_values"]


def _reduce(fn: Callable, x: torch.Tensor, start: int) -> torch.Tensor:
    dims = list(range(start, x.dim()))
    return fn(x, dim=dims) if dims else x


def reduce_to_samplewise_values(
    values: Any, sample_weight: Any, reduce_fn: Callable, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Applies ``sample_weight`` to ``values`` and reduces both to one entry per sample.

    Axes of ``values`` beyond the weight's rank are reduced first, the weight is
    broadcast and multiplied in, then everything past the batch axis is reduced
    with ``reduce_fn`` (``torch.sum`` or ``torch.mean``), as Keras does.

    Returns:
        ``(values, sample_weight)`` with ``values`` of rank <= 1.
    """
    mask = get_mask(values)
    values = to_tensor(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype=dtype, device=values.device)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype, reduction="sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.dim()
        if values.dim() > weight_ndim:
            values = _reduce(reduce_fn, values, weight_ndim)
        sample_weight = torch.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = _reduce(reduce_fn, sample_weight, 1)
    if values.dim() > 1:
        values = _reduce(reduce_fn, values, 1)
    return values, sample_weight


class Sum(Metric):
    """Running (weighted) sum of the values given.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Adds ``sum(values * sample_weight)`` to the total."""
        values, _ = reduce_to_samplewise_values(values, sample_weight, torch.sum, self.torch_dtype)
        self.total.add_(values.sum())

    def result(self) -> torch.Tensor:
        """Returns the total."""
        return self.total.clone()


class Mean(Metric):
    """Running (weighted) mean: ``sum(values * weights) / sum(weights)``.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total")
        self.count = self.add_variable(shape=(), name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Adds the batch's weighted values and weights (or sample count)."""
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, torch.mean, self.torch_dtype
        )
        self.total.add_(values.sum())
        if sample_weight is not None:
            self.count.add_(sample_weight.sum())
        else:
            self.count.add_(values.shape[0] if values.dim() >= 1 else 1)

    def result(self) -> torch.Tensor:
        """Returns ``total / count`` (0 while ``count`` is 0)."""
        count = self.count
        return torch.where(count == 0, 0.0, self.total / torch.where(count == 0, 1.0, count))


class MeanMetricWrapper(Mean):
    """Streaming mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: The per-sample function, e.g. a loss function.
        name: Name of the metric.
        dtype: Dtype of the state.
        **kwargs: Keyword arguments passed to ``fn`` on every update.

    Example:
        >>> import torch
        >>> from ketorch.losses import mean_absolute_error
        >>> m = MeanMetricWrapper(mean_absolute_error, name="mae")
        >>> m(torch.zeros(2, 1), torch.ones(2, 1))
        tensor(1.)
    """

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = None, **kwargs) -> None:
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's per-sample values of ``fn`` (weighted by ``sample_weight``)."""
        mask = get_mask(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            if sample_weight is not None:
                sample_weight = to_tensor(sample_weight, device=values.device)
            sample_weight = apply_mask(sample_weight, mask, self.torch_dtype, reduction="sum")
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        """Returns name, dtype, the serialized ``fn`` and its keyword arguments."""
        config = super().get_config()
        config["fn"] = serialize_object(self._fn, "keras.metrics")
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict) -> MeanMetricWrapper:
        """Rebuilds the wrapper, looking ``fn`` up among the known functions."""
        config = dict(config)
        if "fn" in config:
            from ketorch.metrics import deserialize_function  # noqa: PLC0415 (circular)

            config["fn"] = deserialize_function(config["fn"])
        return cls(**config)
