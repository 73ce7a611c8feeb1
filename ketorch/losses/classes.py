"""``LossFunctionWrapper`` and the Keras loss classes built on the per-sample functions.

Example:
    >>> import torch
    >>> loss = BinaryCrossentropy(from_logits=True)
    >>> loss(torch.tensor([[1.0], [0.0]]), torch.tensor([[2.0], [-2.0]]))
    tensor(0.1269)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ketorch.losses import hinge as _hinge
from ketorch.losses import probabilistic as _prob
from ketorch.losses import regression as _reg
from ketorch.losses.loss import Loss, squeeze_or_expand_to_same_rank
from ketorch.losses.serialization import serialize_object

__all__ = [
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
]

_REDUCTION = "sum_over_batch_size"


class LossFunctionWrapper(Loss):
    """Turns a per-sample function ``fn(y_true, y_pred, **kwargs)`` into a :class:`Loss`.

    ``y_true`` and ``y_pred`` are brought to the same rank (a trailing size-1
    axis is squeezed or added) before ``fn`` sees them.

    Args:
        fn: The per-sample loss function.
        reduction: See :class:`Loss`.
        name: Name of the loss.
        dtype: Computation dtype.
        **kwargs: Extra keyword arguments passed to ``fn`` on every call.

    Example:
        >>> import torch
        >>> from ketorch.losses import huber
        >>> LossFunctionWrapper(huber, name="h", delta=0.5)(torch.zeros(2, 1), torch.ones(2, 1))
        tensor(0.3750)
    """

    def __init__(
        self,
        fn: Callable,
        reduction: str | None = _REDUCTION,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        """Aligns ranks, then returns ``fn(y_true, y_pred, **kwargs)``."""
        if isinstance(y_true, torch.Tensor) and isinstance(y_pred, torch.Tensor):
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        """Returns name, reduction, the serialized ``fn`` and its keyword arguments."""
        config = super().get_config()
        config["fn"] = serialize_object(self.fn, "keras.losses")
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict) -> LossFunctionWrapper:
        """Rebuilds the wrapper, looking ``fn`` up among the known loss functions."""
        config = dict(config)
        if "fn" in config:
            from ketorch.losses import deserialize  # noqa: PLC0415 (circular at import time)

            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


class _FixedFunctionLoss(LossFunctionWrapper):
    """A wrapper whose function is fixed by the class; config holds only its options."""

    _fn: Callable
    _default_name: str
    _options: tuple[str, ...] = ()

    def __init__(
        self, reduction: str | None = _REDUCTION, name: str | None = None, dtype: Any = None, **kw
    ):
        super().__init__(
            type(self)._fn, reduction=reduction, name=name or self._default_name, dtype=dtype, **kw
        )
        for key, value in kw.items():
            setattr(self, key, value)

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update({key: self._fn_kwargs[key] for key in self._options})
        return config


class MeanSquaredError(_FixedFunctionLoss):
    """Mean of squared errors (``"mse"``). Args: ``reduction``, ``name``, ``dtype`` as in :class:`Loss`."""

    _fn = staticmethod(_reg.mean_squared_error)
    _default_name = "mean_squared_error"


class MeanAbsoluteError(_FixedFunctionLoss):
    """Mean of absolute errors (``"mae"``). Args as in :class:`Loss`."""

    _fn = staticmethod(_reg.mean_absolute_error)
    _default_name = "mean_absolute_error"


class MeanAbsolutePercentageError(_FixedFunctionLoss):
    """Mean absolute percentage error (``"mape"``). Args as in :class:`Loss`."""

    _fn = staticmethod(_reg.mean_absolute_percentage_error)
    _default_name = "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(_FixedFunctionLoss):
    """Mean squared logarithmic error (``"msle"``). Args as in :class:`Loss`."""

    _fn = staticmethod(_reg.mean_squared_logarithmic_error)
    _default_name = "mean_squared_logarithmic_error"


class LogCosh(_FixedFunctionLoss):
    """Mean log-cosh of the error. Args as in :class:`Loss`."""

    _fn = staticmethod(_reg.log_cosh)
    _default_name = "log_cosh"


class Hinge(_FixedFunctionLoss):
    """Hinge loss for ``{-1, 1}`` (or ``{0, 1}``) labels. Args as in :class:`Loss`."""

    _fn = staticmethod(_hinge.hinge)
    _default_name = "hinge"


class SquaredHinge(_FixedFunctionLoss):
    """Squared hinge loss. Args as in :class:`Loss`."""

    _fn = staticmethod(_hinge.squared_hinge)
    _default_name = "squared_hinge"


class CategoricalHinge(_FixedFunctionLoss):
    """Categorical hinge loss for one-hot targets. Args as in :class:`Loss`."""

    _fn = staticmethod(_hinge.categorical_hinge)
    _default_name = "categorical_hinge"


class KLDivergence(_FixedFunctionLoss):
    """Kullback-Leibler divergence (``"kld"``). Args as in :class:`Loss`."""

    _fn = staticmethod(_prob.kl_divergence)
    _default_name = "kl_divergence"


class Poisson(_FixedFunctionLoss):
    """Poisson loss. Args as in :class:`Loss`."""

    _fn = staticmethod(_prob.poisson)
    _default_name = "poisson"


class CosineSimilarity(_FixedFunctionLoss):
    """Negative cosine similarity between targets and predictions.

    Args:
        axis: Axis along which the similarity is computed.
        reduction: See :class:`Loss`.
        name: Name of the loss.
        dtype: Computation dtype.
    """

    _fn = staticmethod(_reg.cosine_similarity)
    _default_name = "cosine_similarity"
    _options = ("axis",)

    def __init__(self, axis: int = -1, reduction=_REDUCTION, name=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)


class Huber(_FixedFunctionLoss):
    """Huber loss: quadratic for small errors, linear for large ones.

    Args:
        delta: Where the loss switches from quadratic to linear.
        reduction: See :class:`Loss`.
        name: Name of the loss (Keras's default is ``"huber_loss"``).
        dtype: Computation dtype.
    """

    _fn = staticmethod(_reg.huber)
    _default_name = "huber_loss"
    _options = ("delta",)

    def __init__(self, delta: float = 1.0, reduction=_REDUCTION, name=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, delta=delta)


class BinaryCrossentropy(_FixedFunctionLoss):
    """Binary crossentropy between targets in ``[0, 1]`` and probabilities or logits.

    Args:
        from_logits: Whether predictions are logits (default: probabilities).
        label_smoothing: Moves targets towards 0.5 by this fraction.
        axis: Axis averaged over.
        reduction: See :class:`Loss`.
        name: Name of the loss.
        dtype: Computation dtype.
    """

    _fn = staticmethod(_prob.binary_crossentropy)
    _default_name = "binary_crossentropy"
    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = _REDUCTION,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalCrossentropy(_FixedFunctionLoss):
    """Crossentropy between one-hot targets and class probabilities or logits.

    Args:
        from_logits: Whether predictions are logits (default: probabilities).
        label_smoothing: Mixes targets with the uniform distribution by this fraction.
        axis: The class axis.
        reduction: See :class:`Loss`.
        name: Name of the loss.
        dtype: Computation dtype.
    """

    _fn = staticmethod(_prob.categorical_crossentropy)
    _default_name = "categorical_crossentropy"
    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = _REDUCTION,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(_FixedFunctionLoss):
    """Crossentropy between integer labels and class probabilities or logits.

    Args:
        from_logits: Whether predictions are logits (default: probabilities).
        ignore_class: A label value left out of the loss and of the average.
        reduction: See :class:`Loss`.
        axis: The class axis.
        name: Name of the loss.
        dtype: Computation dtype.
    """

    _fn = staticmethod(_prob.sparse_categorical_crossentropy)
    _default_name = "sparse_categorical_crossentropy"
    _options = ("from_logits", "ignore_class", "axis")

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = _REDUCTION,
        axis: int = -1,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
