"""AdditiveAttention: Bahdanau-style attention between a query and a value sequence."""

from __future__ import annotations

import torch

from .attention import Attention


class AdditiveAttention(Attention):
    """Additive (Bahdanau) attention.

    The score of query step ``i`` against key step ``j`` is
    ``sum(scale * tanh(query[i] + key[j]))`` over the features, where
    ``scale`` is a learned ``(dim,)`` vector when ``use_scale`` is True. The
    scores are masked, softmax-normalized over the key steps and used to
    average the value steps, exactly like :class:`Attention`.

    Args:
        use_scale: If True, learn the ``(dim,)`` vector ``scale``.
        dropout: Dropout rate on the attention distribution (training only).
        **kwargs: Base layer arguments (and ``seed``).

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``.
        mask: Optional ``[query_mask, value_mask]``.
        training: Whether dropout is active.
        return_attention_scores: If True, also return the distribution.
        use_causal_mask: If True, query step ``i`` only sees key steps ``j <= i``.

    Returns:
        ``(batch, Tq, dim)``, or ``(output, scores)``.

    Example:
        >>> import torch
        >>> from ketorch.layers import AdditiveAttention
        >>> q, v = torch.ones(2, 3, 4), torch.ones(2, 5, 4)
        >>> AdditiveAttention()([q, v]).shape
        torch.Size([2, 3, 4])
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)
        self.score_mode = "additive"

    def build(self, input_shape):
        self._check_inputs(input_shape)
        dim = tuple(input_shape[0])[-1]
        if self.use_scale:
            if dim is None:
                raise ValueError(
                    f"Layer '{self.name}' (AdditiveAttention) needs a known last dimension of "
                    f"the query to create `scale`. Received: input_shape={input_shape}"
                )
            self.scale = self.add_weight(name="scale", shape=(dim,), initializer="glorot_uniform")
        self.built = True

    def _scores(self, query, key):
        features = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        if self.scale is not None:
            return torch.matmul(features, self.scale)
        return features.sum(-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
