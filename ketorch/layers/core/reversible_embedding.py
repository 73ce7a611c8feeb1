"""ReversibleEmbedding: an embedding that can also project vectors back to token logits."""

from __future__ import annotations

import torch

from ... import backend
from ..node import KerasTensor
from .embedding import Embedding


class ReversibleEmbedding(Embedding):
    """An :class:`Embedding` whose ``call(x, reverse=True)`` maps vectors to vocabulary logits.

    Forward (``reverse=False``) it looks up token ids as :class:`Embedding`.
    Reversed, it multiplies ``(..., output_dim)`` vectors by the transposed
    embedding table (``tie_weights=True``) or by its own
    ``reverse_embeddings`` ``(output_dim, input_dim)`` weight, giving
    ``(..., input_dim)`` logits: the usual tied input/output embedding of a
    language model.

    Args:
        input_dim: Vocabulary size.
        output_dim: Size of each vector.
        tie_weights: Whether the reverse projection reuses the embedding table.
        embeddings_initializer: Initializer of the table(s).
        embeddings_regularizer: Penalty on the table.
        embeddings_constraint: Projection applied after each step.
        mask_zero: If True, index 0 is padding (forward only).
        reverse_dtype: Optional dtype of the reverse matmul (e.g.
            ``"float32"`` under mixed precision).
        logit_soft_cap: Optional float ``c``: reversed logits become
            ``c * tanh(logits / c)``.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import ReversibleEmbedding
        >>> layer = ReversibleEmbedding(10, 4)
        >>> h = layer(torch.tensor([[1, 2, 3]]))
        >>> layer(h, reverse=True).shape
        torch.Size([1, 3, 10])
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        tie_weights=True,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        reverse_dtype=None,
        logit_soft_cap=None,
        **kwargs,
    ):
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        self.tie_weights = tie_weights
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                name="reverse_embeddings",
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
            )
        self.built = True

    def call(self, inputs, reverse=False):
        if not reverse:
            result = super().call(inputs)
            if self.mask_zero:
                try:
                    result._keras_mask = inputs != 0
                except (AttributeError, RuntimeError):
                    pass
            return result
        kernel = self.embeddings.T if self.tie_weights else self.reverse_embeddings
        x = inputs
        if self.reverse_dtype is not None:
            dtype = backend.torch_dtype(backend.standardize_dtype(self.reverse_dtype))
            x, kernel = x.to(dtype), kernel.to(dtype)
        elif not x.is_floating_point():
            x = x.to(kernel.dtype)
        logits = torch.matmul(x, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = torch.tanh(logits / cap) * cap
        return logits

    def compute_mask(self, inputs, mask=None):
        return None  # set in call(), where the direction is known

    def compute_output_shape(self, input_shape, reverse=False):
        shape = list(input_shape)
        if reverse:
            shape[-1] = self.input_dim
        else:
            shape.append(self.output_dim)
        return tuple(shape)

    def compute_output_spec(self, inputs, reverse=False):
        dtype = self.reverse_dtype if reverse and self.reverse_dtype else self.compute_dtype
        return KerasTensor(self.compute_output_shape(inputs.shape, reverse), dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype,
                "logit_soft_cap": self.logit_soft_cap,
            }
        )
        return config
