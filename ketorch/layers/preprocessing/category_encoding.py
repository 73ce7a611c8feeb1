"""CategoryEncoding: one-hot, multi-hot or count encoding of integer ids."""

from __future__ import annotations

import torch

from ... import backend
from ..layer import Layer
from ..node import KerasTensor

_MODES = ("one_hot", "multi_hot", "count")


class CategoryEncoding(Layer):
    """Encode integer ids in ``[0, num_tokens)`` as dense vectors.

    * ``"one_hot"``: each id becomes a one-hot vector; an input of shape
      ``(batch,)`` or ``(batch, 1)`` gives ``(batch, num_tokens)``.
    * ``"multi_hot"``: each sample (the last input axis) becomes one vector
      with a 1 for every id present; ``(batch, n)`` gives
      ``(batch, num_tokens)``. A rank-1 input is one sample.
    * ``"count"``: like multi_hot, but counting occurrences (or summing
      ``count_weights``).

    Ids outside ``[0, num_tokens)`` contribute nothing (no error is raised,
    to avoid a device sync per call).

    Args:
        num_tokens: The number of categories (largest id + 1).
        output_mode: ``"multi_hot"`` (default), ``"one_hot"`` or ``"count"``
            (``"binary"`` is accepted as the old name of multi_hot).
        sparse: Must be False: sparse outputs are not supported on torch.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: Integer ids.
        count_weights: Optional weights, shaped like ``inputs``, summed
            instead of counting 1 per id (``output_mode="count"`` only).

    Example:
        >>> import torch
        >>> from ketorch.layers import CategoryEncoding
        >>> CategoryEncoding(4, output_mode="count")(torch.tensor([[0, 1, 1, 3]]))
        tensor([[1., 2., 0., 1.]])
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in _MODES:
            raise ValueError(
                f"Argument `output_mode` of CategoryEncoding must be one of {_MODES}. "
                f"Received: output_mode={output_mode!r}"
            )
        if num_tokens is None:
            raise ValueError(
                "Argument `num_tokens` of CategoryEncoding must be set (the number of "
                "categories); for an unknown vocabulary use IntegerLookup. Received: num_tokens=None"
            )
        if not isinstance(num_tokens, int) or isinstance(num_tokens, bool) or num_tokens < 1:
            raise ValueError(
                "Argument `num_tokens` of CategoryEncoding must be an integer >= 1. "
                f"Received: num_tokens={num_tokens!r}"
            )
        if sparse:
            raise ValueError(
                "CategoryEncoding cannot produce sparse outputs on the torch backend. "
                f"Received: sparse={sparse!r}"
            )
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = False
        self._batch_input_dtype = "int32"
        self.built = True

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(
                "`count_weights` can only be used with output_mode='count'. Received: "
                f"output_mode={self.output_mode!r} with count_weights given"
            )
        dtype = backend.torch_dtype(self.compute_dtype)
        ids = inputs if inputs.dtype in (torch.int64, torch.int32) else inputs.long()
        ids = ids.long()
        if ids.ndim == 0:
            ids = ids.reshape(1)
        depth = self.num_tokens
        valid = (ids >= 0) & (ids < depth)
        safe = torch.where(valid, ids, torch.zeros((), dtype=ids.dtype, device=ids.device))
        if self.output_mode == "one_hot":
            if ids.ndim > 1 and ids.shape[-1] == 1:
                safe, valid = safe.squeeze(-1), valid.squeeze(-1)
            out = torch.zeros((*safe.shape, depth), dtype=dtype, device=safe.device)
            return out.scatter_(-1, safe.unsqueeze(-1), valid.unsqueeze(-1).to(dtype))
        out_shape = (*safe.shape[:-1], depth)
        if self.output_mode == "multi_hot":
            out = torch.zeros(out_shape, dtype=dtype, device=safe.device)
            return out.scatter_reduce_(-1, safe, valid.to(dtype), reduce="amax")
        if count_weights is not None:
            weights = torch.as_tensor(count_weights, device=safe.device)
            if not weights.is_floating_point():
                weights = weights.to(dtype)
            dtype = weights.dtype
            src = torch.where(
                valid, weights.reshape(safe.shape), torch.zeros((), dtype=dtype, device=safe.device)
            )
        else:
            src = valid.to(dtype)
        out = torch.zeros(out_shape, dtype=dtype, device=safe.device)
        return out.scatter_add_(-1, safe, src)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if not input_shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (len(input_shape) == 1 or input_shape[-1] != 1):
            return input_shape + (self.num_tokens,)
        return input_shape[:-1] + (self.num_tokens,)

    def compute_output_spec(self, inputs, count_weights=None):
        return KerasTensor(self.compute_output_shape(inputs.shape), self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"num_tokens": self.num_tokens, "output_mode": self.output_mode, "sparse": self.sparse}
        )
        return config
