"""Normalization: standardize features with a stored mean and variance."""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np
import torch

from ... import config as _config
from ..input_spec import format_shape
from ..layer import Layer


def _first_of_tuple(batch):
    """``(x, y)`` or ``(x, y, sample_weight)`` batches contribute only ``x``."""
    return batch[0] if isinstance(batch, tuple) else batch


def _as_float64(batch):
    if isinstance(batch, torch.Tensor):
        return batch.detach().to(torch.float64)
    if hasattr(batch, "to_numpy"):  # pandas
        batch = batch.to_numpy()
    return torch.as_tensor(np.asarray(batch, dtype=np.float64))


class Normalization(Layer):
    """Shift and scale inputs to zero mean and unit variance per feature.

    Computes ``(inputs - mean) / sqrt(variance)`` (``sqrt(variance)`` floored
    at ``epsilon``), or the inverse with ``invert=True``. The statistics are
    either given as ``mean``/``variance`` or learned from data with
    :meth:`adapt`, which stores them as non-trainable weights
    ``[mean, variance, count]`` (Keras's layout; ``count`` is kept at 0 for
    compatibility).

    Args:
        axis: The axis or axes that keep separate statistics (``-1``: one mean
            per feature); every other axis is averaged over. ``None`` means a
            single scalar mean and variance.
        mean: Optional mean (scalar or array broadcast to the kept axes).
        variance: Optional variance, given together with ``mean``.
        invert: If True, map normalized values back: ``mean + x * std``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch.layers import Normalization
        >>> layer = Normalization()
        >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]], dtype="float32"))
        >>> layer(np.array([[1.0, 20.0]], dtype="float32"))
        tensor([[0., 0.]])
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        given_axis = axis
        if axis is None:
            axis = ()
        elif isinstance(axis, int) and not isinstance(axis, bool):
            axis = (axis,)
        else:
            try:
                axis = tuple(axis)
            except TypeError:
                axis = None
            if axis is None or not all(
                isinstance(a, int) and not isinstance(a, bool) for a in axis
            ):
                raise ValueError(
                    "Argument `axis` of Normalization must be an int, a tuple of ints or None. "
                    f"Received: axis={given_axis!r}"
                )
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization needs both `mean` and `variance` when either is given. "
                f"Received: mean={mean!r}, variance={variance!r}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "Arguments `mean` and `variance` of Normalization must have the same shape. "
                    f"Received: mean shape {np.shape(mean)}, variance shape {np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    f"Argument `mean` of Normalization has rank {len(np.shape(mean))}, more than "
                    f"the number of kept axes ({len(self.axis)}). Received: mean shape "
                    f"{np.shape(mean)} with axis={self.axis}"
                )
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        self.mean = None
        self.variance = None
        self._build_input_shape = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        bad = [a for a in self.axis if not -ndim <= a < ndim]
        if bad:
            raise ValueError(
                f"Layer '{self.name}' (Normalization): every `axis` must be in [-{ndim}, {ndim}) "
                f"for inputs of shape {format_shape(input_shape)}. Received: axis={self.axis}"
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        unknown = [d for d in keep if input_shape[d] is None]
        if unknown:
            raise ValueError(
                f"Layer '{self.name}' (Normalization) needs known sizes on the kept axes, but "
                f"axis {unknown[0]} of the input shape {format_shape(input_shape)} is unknown. "
                f"Received: axis={self.axis}"
            )
        self._build_input_shape = input_shape
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = tuple(input_shape[d] if d in keep else 1 for d in range(ndim))
        stats_shape = tuple(input_shape[d] for d in keep)
        self._stats_shape = stats_shape
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                name="mean", shape=stats_shape, initializer="zeros", trainable=False
            )
            self.adapt_variance = self.add_weight(
                name="variance", shape=stats_shape, initializer="ones", trainable=False
            )
            self.count = self.add_weight(
                name="count", shape=(), dtype="int32", initializer="zeros", trainable=False
            )
        else:
            mean = self._fixed_stat(self.input_mean)
            variance = self._fixed_stat(self.input_variance)
            self.register_buffer("_fixed_mean", mean, persistent=False)
            self.register_buffer("_fixed_variance", variance, persistent=False)
        self.built = True

    def _fixed_stat(self, value):
        """A given mean/variance broadcast to the input rank (aligned to the kept axes)."""
        t = torch.as_tensor(np.asarray(value), dtype=torch.float32)
        shape = [1] * len(self._broadcast_shape)
        for i in range(1, t.ndim + 1):
            shape[self._keep_axis[-i]] = t.shape[-i]
        return t.reshape(shape).expand(self._broadcast_shape).clone()

    def _stats(self):
        if self.input_mean is not None:
            return self._fixed_mean, self._fixed_variance
        return (
            self.adapt_mean.reshape(self._broadcast_shape),
            self.adapt_variance.reshape(self._broadcast_shape),
        )

    def adapt(self, data) -> None:
        """Compute the mean and variance of ``data`` and store them.

        Args:
            data: A numpy array, a tensor, or an iterable of batches (a list of
                arrays, a generator, a ``PyDataset`` or a ``DataLoader``;
                ``(x, y)`` batches use ``x``). Statistics are taken over every
                axis except ``axis`` (population variance), merging batches
                exactly.
        """
        if self.input_mean is not None:
            raise ValueError(
                f"Layer '{self.name}' (Normalization) was given `mean` and `variance`, so it "
                "cannot be adapted. Create it without them to learn the statistics with "
                f"adapt(). Received: mean={self.input_mean!r}"
            )
        batches = self._adapt_batches(data)
        first = next(batches, None)
        if first is None:
            raise ValueError(
                "Normalization.adapt() received no data (an empty iterable). Pass an array or "
                f"a non-empty iterable of batches. Received: data={data!r}"
            )
        first = _as_float64(first)
        shape = tuple(first.shape)
        if not self.built:
            self.build(shape)
        total_mean = total_var = None
        total_count = 0
        for batch in itertools.chain([first], (_as_float64(b) for b in batches)):
            self._check_adapt_shape(tuple(batch.shape))
            count = math.prod(batch.shape[d] for d in self._reduce_axis)
            if count == 0:
                continue
            mean = batch.mean(dim=self._reduce_axis) if self._reduce_axis else batch
            var = batch.var(dim=self._reduce_axis, correction=0) if self._reduce_axis else 0 * batch
            if total_mean is None:
                total_mean, total_var, total_count = mean, var, count
                continue
            # Merge the batch into the running statistics (exact pooled variance).
            new_count = total_count + count
            w = count / new_count
            new_mean = total_mean * (1 - w) + mean * w
            total_var = (total_var + (total_mean - new_mean) ** 2) * (1 - w) + (
                var + (mean - new_mean) ** 2
            ) * w
            total_mean, total_count = new_mean, new_count
        if total_mean is None:
            raise ValueError(
                f"Normalization.adapt() received only empty batches. Received: data={data!r}"
            )
        with torch.no_grad():
            self.adapt_mean.copy_(total_mean.reshape(self._stats_shape))
            self.adapt_variance.copy_(total_var.reshape(self._stats_shape))

    def _adapt_batches(self, data):
        if isinstance(data, (np.ndarray, torch.Tensor)) or hasattr(data, "to_numpy"):
            return iter([data])
        if isinstance(data, (list, tuple)) and data and isinstance(data[0], numbers.Number):
            return iter([np.asarray(data)])  # a flat list of numbers is one batch
        if (
            hasattr(data, "__getitem__")
            and hasattr(data, "__len__")
            and not isinstance(data, (list, tuple))
        ):  # PyDataset / Sequence: indexable batches
            return (_first_of_tuple(data[i]) for i in range(len(data)))
        if hasattr(data, "__iter__"):
            return (_first_of_tuple(b) for b in data)
        raise TypeError(
            "Normalization.adapt() expects a numpy array, a tensor or an iterable of batches. "
            f"Received: data of type {type(data).__name__}"
        )

    def _check_adapt_shape(self, shape):
        built = self._build_input_shape
        if len(shape) != len(built) or any(shape[d] != built[d] for d in self._keep_axis):
            raise ValueError(
                f"Layer '{self.name}' (Normalization) was built for inputs of shape "
                f"{format_shape(built)}, but adapt() got data of shape {format_shape(shape)}; "
                f"the sizes on the kept axes {self._keep_axis} must match. "
                f"Received: data.shape={format_shape(shape)}"
            )

    def call(self, inputs):
        mean, variance = self._stats()
        x = inputs.to(mean.dtype)
        std = torch.sqrt(variance).clamp_min(_config.epsilon())
        try:
            if self.invert:
                return mean + x * std
            return (x - mean) / std
        except RuntimeError as e:
            raise ValueError(
                f"Layer '{self.name}' (Normalization) was built for inputs of shape "
                f"{format_shape(self._build_input_shape)}; its statistics do not broadcast to "
                f"the input. Received: inputs.shape={format_shape(tuple(inputs.shape))}"
            ) from e

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(),
                "variance": np.array(self.input_variance).tolist(),
            }
        )
        return config

    def get_build_config(self):
        if self._build_input_shape is None:
            return None
        return {"input_shape": list(self._build_input_shape)}

    def build_from_config(self, config):
        if config and config.get("input_shape") is not None and not self.built:
            self.build(tuple(config["input_shape"]))
