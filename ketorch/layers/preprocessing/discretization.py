"""Discretization: bucket continuous values by boundaries (given, or learnt by ``adapt``)."""

from __future__ import annotations

import numpy as np
import torch

from ..layer import Layer
from ..node import KerasTensor
from .hashing import categorical_output_shape, encode_categorical_inputs

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


# ------------------------------------------------------------- quantile summaries
# adapt() keeps an approximate quantile summary: a (2, n) array of sorted values and the
# weight (number of samples) each stands for, merged batch by batch and compressed to about
# 1 / epsilon entries; the bin boundaries are its num_bins-quantiles.
def _summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size * epsilon, 1)
    picked = values[int(step - 1) :: int(step)]
    return np.stack([picked, np.full_like(picked, step)])


def _compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_percents = cum_weights / cum_weights[-1]
    new_values = np.interp(percents, cum_percents, summary[0])
    new_cum = np.interp(percents, cum_percents, cum_weights)
    new_weights = new_cum - np.concatenate(([0.0], new_cum[:-1]))
    return np.stack((new_values, new_weights)).astype("float32")


def _merge(first, second, epsilon):
    merged = np.concatenate((first, second), axis=1)
    merged = merged[:, np.argsort(merged[0])]
    return _compress(merged, epsilon)


class Discretization(Layer):
    """Map each value to the index of the bucket it falls in.

    With boundaries ``[b0, b1, ...]`` the buckets are ``(-inf, b0), [b0, b1), ...,
    [b_last, inf)``: value ``x`` gets the number of boundaries ``<= x``. Give the
    boundaries, or ``num_bins`` and call :meth:`adapt` on data to place them at its
    quantiles.

    Args:
        bin_boundaries: Sorted list of boundaries, or ``None`` to learn them.
        num_bins: Number of buckets to learn with :meth:`adapt`.
        epsilon: Error tolerance of the quantile summary (smaller: more exact, more memory).
        output_mode: ``"int"`` (bucket indices, int32), ``"one_hot"``, ``"multi_hot"`` or
            ``"count"``.
        sparse: Must be ``False`` (no sparse outputs on torch).
        dtype: The float dtype of encoded outputs.
        name: Layer name.

    Example:
        >>> from ketorch import layers
        >>> layer = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
        >>> layer([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]]).tolist()
        [[0, 2, 3, 1], [1, 3, 2, 1]]
    """

    def __init__(
        self,
        bin_boundaries=None,
        num_bins=None,
        epsilon=0.01,
        output_mode="int",
        sparse=False,
        dtype=None,
        name=None,
    ):
        super().__init__(name=name, dtype=dtype)
        if sparse:
            raise ValueError("`sparse=True` cannot be used with backend torch")
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"Unknown value for `output_mode`. Allowed values are {list(OUTPUT_MODES)}. "
                f"Received: output_mode={output_mode!r}"
            )
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Both `num_bins` and `bin_boundaries` should not be set. Received: "
                f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.summary = None if bin_boundaries else np.array([[], []], dtype="float32")
        self.built = True

    @property
    def input_dtype(self):
        return "float32"

    @property
    def output_dtype(self):
        return self.compute_dtype if self.output_mode != "int" else "int32"

    # ----------------------------------------------------------------- adapt
    def adapt(self, data, steps=None):
        """Learn ``num_bins`` boundaries at the quantiles of ``data`` (an array, or an
        iterable of batches such as a dataset; ``steps`` limits the batches read)."""
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with "
                "`bin_boundaries`, use `num_bins` instead."
            )
        self.reset_state()
        if isinstance(data, (np.ndarray, torch.Tensor)) or not hasattr(data, "__iter__"):
            self.update_state(data)
        else:
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        data = np.array(data).astype("float32")
        self.summary = _merge(_summarize(data, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1]
        self.bin_boundaries = boundaries.tolist()

    def reset_state(self):
        if self.num_bins is None:
            return
        self.summary = np.array([[], []], dtype="float32")

    # ------------------------------------------------------------------ call
    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at construction time or "
                "call `adapt(dataset)` before you can start using the `Discretization` layer."
            )
        x = inputs if isinstance(inputs, torch.Tensor) else torch.as_tensor(np.asarray(inputs))
        x = x if x.is_floating_point() else x.to(torch.float32)
        boundaries = torch.as_tensor(self.bin_boundaries, dtype=x.dtype, device=x.device)
        ids = torch.bucketize(x, boundaries, right=True)
        depth = len(self.bin_boundaries) + 1
        return encode_categorical_inputs(ids, self.output_mode, depth, self.output_dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        return categorical_output_shape(input_shape, self.output_mode, depth)

    def compute_output_spec(self, inputs, **kwargs):
        return KerasTensor(self.compute_output_shape(tuple(inputs.shape)), self.output_dtype)

    def get_config(self):
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            # An adapted layer: its boundaries come back, and it can still be re-adapted.
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)
