"""Attention: Luong-style dot-product attention between a query and a value sequence."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..layer import Layer
from ..node import KerasTensor
from . import _ops


class Attention(Layer):
    """Dot-product (Luong) attention.

    For each query step the layer scores every key step, turns the scores into
    a softmax distribution over the key steps and returns the matching
    weighted sum of the value steps. With ``score_mode="dot"`` the score is
    ``query . key`` (times the learned scalar ``scale`` if ``use_scale``); with
    ``"concat"`` it is ``concat_score_weight * sum(tanh(scale * (query + key)))``.

    Args:
        use_scale: If True, learn a scalar ``scale`` applied to the scores.
        score_mode: ``"dot"`` or ``"concat"``.
        dropout: Dropout rate on the attention distribution (training only).
        seed: Optional integer seed of that dropout.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]`` with query
            ``(batch, Tq, dim)`` and value/key ``(batch, Tv, dim)``; key
            defaults to value.
        mask: Optional ``[query_mask, value_mask]`` booleans ``(batch, Tq)``
            and ``(batch, Tv)``; by default the inputs' Keras masks. Masked
            value steps get no weight; masked query steps output zeros.
        training: Whether dropout is active.
        return_attention_scores: If True, also return the distribution
            ``(batch, Tq, Tv)``.
        use_causal_mask: If True, query step ``i`` only sees key steps ``j <= i``.

    Returns:
        ``(batch, Tq, dim)``, or ``(output, scores)``.

    Example:
        >>> import torch
        >>> from ketorch.layers import Attention
        >>> q, v = torch.ones(2, 3, 4), torch.ones(2, 5, 4)
        >>> Attention()([q, v]).shape
        torch.Size([2, 3, 4])
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                "Argument `score_mode` must be one of 'dot', 'concat'. "
                f"Received: score_mode={score_mode!r}"
            )
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float))
            or not 0 <= dropout < 1
        ):
            raise ValueError(
                f"Argument `dropout` must be a float in [0, 1). Received: dropout={dropout!r}"
            )
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self._dropout_fn = _ops.SeededDropout(self.dropout, seed)
        self.supports_masking = True
        self.scale = None
        self.concat_score_weight = None

    def _check_inputs(self, inputs, mask=None):
        name = type(self).__name__
        single = not isinstance(inputs, (list, tuple)) or any(
            x is None or isinstance(x, int) for x in inputs
        )  # a tensor, or the shape of a single tensor
        if single:
            raise ValueError(
                f"{name} layer expects a list of inputs: [query, value] or [query, value, key]. "
                f"Received: inputs={_describe(inputs)}"
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{name} layer expects 2 or 3 inputs ([query, value] or [query, value, key]). "
                f"Received: len(inputs)={len(inputs)}"
            )
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(
                    f"{name} layer expects `mask` as a list [query_mask, value_mask]. "
                    f"Received: mask={type(mask).__name__}"
                )
            if not 2 <= len(mask) <= 3:
                raise ValueError(
                    f"{name} layer expects a `mask` list of length 2 or 3. "
                    f"Received: len(mask)={len(mask)}"
                )

    def build(self, input_shape):
        self._check_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                name="concat_score_weight", shape=(), initializer="ones"
            )
        self.built = True

    def _scores(self, query, key):
        """Attention logits ``(batch, Tq, Tv)``."""
        if self.score_mode == "dot":
            scores = torch.matmul(query, key.transpose(-1, -2))
            return scores * self.scale if self.scale is not None else scores
        pair = query.unsqueeze(-2) + key.unsqueeze(-3)
        if self.scale is not None:
            pair = self.scale * pair
        return self.concat_score_weight * torch.tanh(pair).sum(-1)

    @staticmethod
    def _masks_from(inputs, mask):
        if mask is None:
            mask = [getattr(t, "_keras_mask", None) for t in inputs]
        q_mask = mask[0] if len(mask) > 0 else None
        v_mask = mask[1] if len(mask) > 1 else None
        return q_mask, v_mask

    def call(
        self,
        inputs,
        mask=None,
        training=None,
        return_attention_scores=False,
        use_causal_mask=False,
    ):
        self._check_inputs(inputs, mask)
        query = inputs[0] if isinstance(inputs[0], torch.Tensor) else torch.as_tensor(inputs[0])
        value = _ops.as_tensor_like(inputs[1], query)
        key = _ops.as_tensor_like(inputs[2], query) if len(inputs) > 2 else value
        q_mask, v_mask = self._masks_from(inputs, mask)
        q_mask = _ops.as_bool_mask(_ops.as_tensor_like(q_mask, query))
        v_mask = _ops.as_bool_mask(_ops.as_tensor_like(v_mask, query))
        score_mask = None if v_mask is None else v_mask.unsqueeze(-2)
        if use_causal_mask:
            causal = _ops.causal_mask(query.shape[-2], key.shape[-2], query.device)
            score_mask = causal if score_mask is None else score_mask & causal
        drop = bool(training) and self.dropout > 0
        if self.score_mode == "dot" and not return_attention_scores and not drop:
            # Fused path: fold the learned scale into the query, additive mask like Keras's.
            q = query * self.scale if self.scale is not None else query
            bias = None
            if score_mask is not None:
                shape = torch.broadcast_shapes(score_mask.shape, (1, query.shape[-2], 1))
                bias = torch.zeros(shape, dtype=query.dtype, device=query.device)
                bias = bias.masked_fill_(~score_mask, -_big(query.dtype))
            output = F.scaled_dot_product_attention(q, key, value, attn_mask=bias, scale=1.0)
            weights = None
        else:
            scores = self._scores(query, key)
            if score_mask is not None:
                scores = torch.where(score_mask, scores, scores - _big(scores.dtype))
            weights = torch.softmax(scores, dim=-1)
            probs = self._dropout_fn(weights) if drop else weights
            output = torch.matmul(probs, value)
        if q_mask is not None:
            output = output.masked_fill(~q_mask.unsqueeze(-1), 0.0)
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs, mask=None):
        self._check_inputs(inputs, mask)
        q_mask, _ = self._masks_from(inputs, mask)
        return q_mask

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape)
        return (*tuple(input_shape[0])[:-1], tuple(input_shape[1])[-1])

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False, **kwargs):
        self._check_inputs(inputs, mask)
        shapes = [tuple(t.shape) for t in inputs]
        out = KerasTensor(self.compute_output_shape(shapes), self.compute_dtype)
        if not return_attention_scores:
            return out
        key_shape = shapes[2] if len(shapes) > 2 else shapes[1]
        return out, KerasTensor((*shapes[0][:-1], key_shape[-2]), self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "use_scale": self.use_scale,
                "score_mode": self.score_mode,
                "dropout": self.dropout,
                "seed": self.seed,
            }
        )
        return config


def _big(dtype) -> float:
    """Keras's masking offset: the float16 maximum or 1e9."""
    return 65504.0 if dtype == torch.float16 else 1.0e9


def _describe(x) -> str:
    shape = getattr(x, "shape", None)
    if shape is not None:
        return f"{type(x).__name__} of shape {tuple(shape)}"
    return repr(x)
