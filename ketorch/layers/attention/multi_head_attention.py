"""MultiHeadAttention: scaled dot-product attention over several learned heads."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ... import constraints, initializers, regularizers
from ..input_spec import InputSpec
from ..layer import Layer
from ..node import KerasTensor
from . import _ops
from ._head_projection import HeadProjection


def _positive_int(value, arg, allow_none=False):
    if value is None and allow_none:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        expected = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(
            f"Argument `{arg}` of MultiHeadAttention must be {expected}. Received: {arg}={value!r}"
        )
    return value


class MultiHeadAttention(_ops.ShapesDictBuildConfig, Layer):
    """Multi-head attention ("Attention Is All You Need", Vaswani et al., 2017).

    ``query``, ``key`` and ``value`` are each projected to ``num_heads`` heads;
    every head computes ``softmax(q k^T / sqrt(key_dim)) v``; the heads are
    then projected back to the query's feature size (or ``output_shape``).
    Calling ``mha(x, x)`` is self-attention.

    The weights live in four sublayers, ``query``, ``key``, ``value`` and
    ``attention_output``, with Keras's layouts: projection kernels
    ``(dim, num_heads, head_dim)`` with biases ``(num_heads, head_dim)``, and
    an output kernel ``(num_heads, value_dim, *output_shape)`` with bias
    ``output_shape``. ``get_weights()`` lists them in that order.

    Args:
        num_heads: Number of attention heads.
        key_dim: Size of each head for query and key.
        value_dim: Size of each head for value; defaults to ``key_dim``.
        dropout: Dropout rate on the attention weights (training only).
        use_bias: Whether the projections add biases.
        output_shape: Size (int) or shape (tuple) of the output's trailing
            axes; defaults to the query's last dimension.
        attention_axes: Axes (of the input, besides batch and features) that
            attention runs over; ``None`` means all of them.
        flash_attention: ``True`` insists on the fused kernel (no dropout, no
            returned scores); ``None``/``False`` let the layer choose.
        kernel_initializer: Initializer of the projection kernels.
        bias_initializer: Initializer of the projection biases.
        kernel_regularizer: Penalty on the kernels.
        bias_regularizer: Penalty on the biases.
        activity_regularizer: Penalty on each projection's output.
        kernel_constraint: Projection of the kernels after each step.
        bias_constraint: Projection of the biases after each step.
        seed: Optional integer seed of the attention dropout.
        sliding_window: Optional positive int: each query position only sees
            keys closer than this many positions.
        use_gate: If True, a sigmoid gate computed from the query scales the
            heads before the output projection (adds a ``gate`` sublayer).
        **kwargs: Base layer arguments.

    Call arguments:
        query: ``(batch, T, dim)``.
        value: ``(batch, S, dim_v)``.
        key: Optional ``(batch, S, dim_k)``; defaults to ``value``.
        query_mask, value_mask, key_mask: Optional boolean ``(batch, T)`` /
            ``(batch, S)`` masks; by default taken from the inputs' Keras
            masks (e.g. from ``Embedding(mask_zero=True)``).
        attention_mask: Optional boolean ``(batch, T, S)``: True where a
            query position may attend to a key position.
        return_attention_scores: If True, return ``(output, scores)`` with
            scores ``(batch, num_heads, T, S)``.
        training: Whether dropout is active.
        use_causal_mask: If True, position ``i`` attends only to ``j <= i``.

    Returns:
        ``(batch, T, output_dim)``, or ``(output, scores)``.

    Example:
        >>> import torch
        >>> from ketorch.layers import MultiHeadAttention
        >>> mha = MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = torch.ones(3, 5, 8)
        >>> mha(x, x).shape
        torch.Size([3, 5, 8])
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        seed=None,
        sliding_window=None,
        use_gate=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = _positive_int(num_heads, "num_heads")
        self.key_dim = _positive_int(key_dim, "key_dim")
        self.value_dim = _positive_int(value_dim, "value_dim", allow_none=True) or key_dim
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float))
            or not 0 <= dropout < 1
        ):
            raise ValueError(
                "Argument `dropout` of MultiHeadAttention must be a float in [0, 1). "
                f"Received: dropout={dropout!r}"
            )
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self._output_shape = self._check_output_shape(output_shape)
        self.attention_axes = self._check_axes(attention_axes)
        self.sliding_window = _positive_int(sliding_window, "sliding_window", allow_none=True)
        self.flash_attention = flash_attention
        if flash_attention and self.dropout > 0:
            raise ValueError(
                "MultiHeadAttention cannot apply dropout when `flash_attention=True`; set "
                f"dropout=0.0 or leave flash_attention unset. Received: dropout={dropout!r}"
            )
        self.use_gate = bool(use_gate)
        self.seed = seed
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        # As in Keras, the activity penalty applies to each projection's output.
        self.projection_activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True
        self._scale = 1.0 / math.sqrt(float(self.key_dim))
        self._dropout_fn = _ops.SeededDropout(self.dropout, seed)
        self._returning_scores = False
        self._build_shapes_dict = None

    @staticmethod
    def _check_output_shape(output_shape):
        if output_shape is None:
            return None
        shape = (output_shape,) if isinstance(output_shape, int) else output_shape
        if (
            not isinstance(shape, (tuple, list))
            or not shape
            or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
        ):
            raise ValueError(
                "Argument `output_shape` of MultiHeadAttention must be a positive int or a "
                f"tuple/list of positive ints. Received: output_shape={output_shape!r}"
            )
        return tuple(shape)

    @staticmethod
    def _check_axes(axes):
        if axes is None:
            return None
        axes = (axes,) if isinstance(axes, int) else axes
        if not isinstance(axes, (tuple, list)) or not all(
            isinstance(a, int) and not isinstance(a, bool) for a in axes
        ):
            raise ValueError(
                "Argument `attention_axes` of MultiHeadAttention must be an int, a list or a "
                f"tuple of ints. Received: attention_axes={axes!r}"
            )
        return tuple(axes)

    # ----------------------------------------------------------------- build
    def build(self, query_shape, value_shape, key_shape=None):
        key_given = key_shape is not None
        key_shape = value_shape if key_shape is None else key_shape
        query_shape, value_shape, key_shape = (
            tuple(query_shape),
            tuple(value_shape),
            tuple(key_shape),
        )
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(
                f"Layer '{self.name}' (MultiHeadAttention): `value` and `key` must agree on all "
                f"axes but the last. Received: value_shape={value_shape}, key_shape={key_shape}"
            )
        if len(query_shape) < 3 or len(value_shape) != len(query_shape):
            raise ValueError(
                f"Layer '{self.name}' (MultiHeadAttention) needs `query` and `value` of the same "
                "rank, at least 3 (batch, positions..., features). Received: "
                f"query_shape={query_shape}, value_shape={value_shape}"
            )
        for arg, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if shape[-1] is None:
                raise ValueError(
                    f"Layer '{self.name}' (MultiHeadAttention) needs a known last dimension of "
                    f"`{arg}`. Received: {arg}_shape={shape}"
                )
        rank = len(query_shape)
        self._axes = self._resolve_axes(rank)
        # Projected tensors are (batch, positions..., heads, channels); attention works on
        # them permuted to (batch dims..., heads, attended positions..., channels).
        proj_rank = rank + 1
        batch_axes = [i for i in range(proj_rank - 1) if i not in self._axes]
        self._perm = tuple(batch_axes) + self._axes + (proj_rank - 1,)
        self._inv_perm = tuple(self._perm.index(i) for i in range(proj_rank))
        self._num_batch_axes = len(batch_axes)

        n, kd, vd = self.num_heads, self.key_dim, self.value_dim
        self._query_dense = self._projection("query", (n, kd), query_shape[-1])
        self._key_dense = self._projection("key", (n, kd), key_shape[-1])
        self._gate_dense = None
        if self.use_gate:
            self._gate_dense = self._projection("gate", (n, vd), query_shape[-1], torch.sigmoid)
        self._value_dense = self._projection("value", (n, vd), value_shape[-1])
        out_shape = self._output_shape or (query_shape[-1],)
        self._output_dense = self._projection("attention_output", out_shape, (n, vd))
        self.input_spec = InputSpec(min_ndim=3, axes={-1: query_shape[-1]})
        self._build_shapes_dict = {"query_shape": query_shape, "value_shape": value_shape}
        if key_given:
            self._build_shapes_dict["key_shape"] = key_shape
        self.built = True

    def _resolve_axes(self, rank):
        if self.attention_axes is None:
            return tuple(range(1, rank - 1))
        axes = tuple(a if a >= 0 else rank + a for a in self.attention_axes)
        if not all(1 <= a <= rank - 2 for a in axes) or len(set(axes)) != len(axes):
            raise ValueError(
                f"Layer '{self.name}' (MultiHeadAttention): `attention_axes` must name distinct "
                f"axes of the input other than the batch and feature axes (1 to {rank - 2} for "
                f"rank-{rank} inputs). Received: attention_axes={self.attention_axes}"
            )
        return axes

    def _projection(self, name, out_shape, in_shape, activation=None):
        layer = HeadProjection(
            out_shape,
            use_bias=self.use_bias,
            activation=activation,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            name=name,
            dtype=self._dtype,
        )
        layer.build((in_shape,) if isinstance(in_shape, int) else in_shape)
        return layer

    @property
    def query_dense(self):
        return self._query_dense

    @property
    def key_dense(self):
        return self._key_dense

    @property
    def value_dense(self):
        return self._value_dense

    @property
    def output_dense(self):
        return self._output_dense

    # ------------------------------------------------------------------ call
    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        value, key, query_mask, value_mask, key_mask = _ops.resolve_key_and_masks(
            query, value, key, query_mask, value_mask, key_mask, skip_key_mask_if_value=True
        )
        if self.flash_attention and return_attention_scores:
            raise ValueError(
                f"Layer '{self.name}' (MultiHeadAttention) cannot return attention scores with "
                "`flash_attention=True`. Received: return_attention_scores=True"
            )
        mask, causal_only = _ops.call_mask(query, value, query_mask, value_mask, key_mask,
                                           attention_mask, use_causal_mask,
                                           self.sliding_window)  # fmt: skip

        reg = self.projection_activity_regularizer
        q = self._query_dense.project(query, reg)
        k = self._key_dense.project(key, reg)
        gate = self._gate_dense.project(query, reg) if self._gate_dense is not None else None
        v = self._value_dense.project(value, reg)

        out, scores = self._attend(q, k, v, mask, causal_only, training, return_attention_scores)
        if gate is not None:
            out = out * gate
        output = self._output_dense.project(out, reg)
        self._returning_scores = bool(return_attention_scores)
        if query_mask is not None:
            output._keras_mask = query_mask
        if return_attention_scores:
            return output, scores
        return output

    def _attend(self, q, k, v, mask, causal_only, training, return_scores):
        """Attention on projected ``(batch, positions..., heads, channels)`` tensors."""
        nb = self._num_batch_axes
        qp, kp, vp = q.permute(self._perm), k.permute(self._perm), v.permute(self._perm)
        q_pos, k_pos = qp.shape[nb:-1], kp.shape[nb:-1]
        qp = qp.reshape(*qp.shape[:nb], -1, qp.shape[-1])
        kp = kp.reshape(*kp.shape[:nb], -1, kp.shape[-1])
        vp = vp.reshape(*vp.shape[:nb], -1, vp.shape[-1])
        n_axes = len(self._axes)
        drop = bool(training) and self.dropout > 0
        if mask is not None:
            # (batch, T, S) -> (batch, 1 (heads), T, S), and so on for other ranks.
            while mask.ndim < nb + 2 * n_axes:
                mask = mask.unsqueeze(-2 * n_axes - 1)
        # Like Keras: the fused kernel when nothing needs the explicit weights. The paths differ
        # on fully masked query rows (fused: uniform weights; explicit: all-zero weights).
        fused = not return_scores and self.dropout == 0 and n_axes == 1 and qp.ndim == 4
        if fused:
            attn_bias = None
            if mask is not None:
                attn_bias = torch.zeros(mask.shape, dtype=qp.dtype, device=qp.device)
                attn_bias = attn_bias.masked_fill_(~mask, _ops.fused_negative(qp.dtype))
            out = F.scaled_dot_product_attention(
                qp, kp, vp, attn_mask=attn_bias, is_causal=causal_only, scale=self._scale
            )
            return out.transpose(1, 2), None
        logits = torch.matmul(qp * self._scale, kp.transpose(-1, -2))
        if causal_only:
            mask = _ops.causal_mask(logits.shape[-2], logits.shape[-1], logits.device)
            mask = mask.reshape((1,) * (logits.ndim - 2) + mask.shape[-2:])
        if mask is None:
            probs = torch.softmax(logits, dim=-1)
            scores = probs.reshape(*probs.shape[:-2], *q_pos, *k_pos) if return_scores else None
        else:
            logits = logits.reshape(*logits.shape[:-2], *q_pos, *k_pos)  # Keras's layout
            logits = logits.masked_fill(~mask, _ops.large_negative(logits.dtype))
            probs = torch.softmax(logits.reshape(*logits.shape[:nb], *qp.shape[-2:-1], -1), -1)
            scores = probs.reshape(logits.shape).masked_fill(~mask, 0.0)
            probs = scores.reshape(probs.shape)
        if drop:
            probs = self._dropout_fn(probs)
        out = torch.matmul(probs, vp)
        out = out.reshape(*out.shape[:nb], *q_pos, out.shape[-1])
        return out.permute(self._inv_perm), scores

    # ---------------------------------------------------------------- shapes
    def compute_mask(self, inputs, mask=None):
        if self._returning_scores and mask is not None:
            return [mask, None]
        return mask

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"Layer '{self.name}' (MultiHeadAttention): `value` and `key` must agree on all "
                f"axes but the last. Received: value_shape={value_shape}, key_shape={key_shape}"
            )
        if self._output_shape:
            return query_shape[:-1] + self._output_shape
        return query_shape

    def compute_output_spec(self, query, value, key=None, return_attention_scores=False, **kwargs):
        key_shape = None if key is None else key.shape
        out = KerasTensor(
            self.compute_output_shape(query.shape, value.shape, key_shape), self.compute_dtype
        )
        if not return_attention_scores:
            return out
        rank = len(query.shape)
        axes = self._axes if self.built else self._resolve_axes(rank)
        batch = [query.shape[i] for i in range(rank - 1) if i not in axes] + [self.num_heads]
        scores_shape = (
            *batch,
            *(query.shape[a] for a in axes),
            *(value.shape[a] for a in axes),
        )
        return out, KerasTensor(scores_shape, self.compute_dtype)

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "key_dim": self.key_dim,
                "value_dim": self.value_dim,
                "dropout": self.dropout,
                "use_bias": self.use_bias,
                "use_gate": self.use_gate,
                "output_shape": self._output_shape,
                "attention_axes": self.attention_axes,
                "sliding_window": self.sliding_window,
                "flash_attention": self.flash_attention,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(
                    self.projection_activity_regularizer
                ),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "seed": self.seed,
            }
        )
        return config
