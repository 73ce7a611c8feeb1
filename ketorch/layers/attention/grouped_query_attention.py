"""GroupedQueryAttention (``keras.layers.GroupQueryAttention``): heads share keys and values."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ... import constraints, initializers, regularizers
from ..core.einsum_dense import EinsumDense
from ..layer import Layer
from ..node import KerasTensor
from . import _ops


def _positive_int(value, arg):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"Argument `{arg}` of GroupQueryAttention must be a positive integer. "
            f"Received: {arg}={value!r}"
        )
    return value


class GroupedQueryAttention(_ops.ShapesDictBuildConfig, Layer):
    """Grouped-query attention (Ainslie et al., 2023): ``num_query_heads`` query heads share
    ``num_key_value_heads`` key/value heads.

    Query head ``h`` attends with key/value head ``h // (num_query_heads //
    num_key_value_heads)``. With as many key/value heads as query heads this
    is multi-head attention; with one it is multi-query attention. The
    projections are :class:`EinsumDense` sublayers named ``query``, ``key``,
    ``value`` (and ``gate``) and ``attention_output``, with Keras's layouts:
    query kernel ``(dim, num_query_heads, head_dim)``, key/value kernels
    ``(dim, num_key_value_heads, head_dim)``, output kernel
    ``(num_query_heads, head_dim, dim)``. Without dropout or returned scores it
    runs torch's fused ``scaled_dot_product_attention`` (grouped heads
    natively).

    Args:
        head_dim: Size of each attention head.
        num_query_heads: Number of query heads.
        num_key_value_heads: Number of key and value heads; must divide
            ``num_query_heads``.
        dropout: Dropout rate on the attention weights (training only).
        use_bias: Whether the projections add biases.
        sliding_window: Optional positive int: a query position sees only keys
            closer than this many positions.
        flash_attention: ``True`` insists on the fused kernel (no dropout, no
            returned scores); ``None``/``False`` let the layer choose.
        kernel_initializer: Initializer of the projection kernels.
        bias_initializer: Initializer of the projection biases.
        kernel_regularizer: Penalty on the kernels.
        bias_regularizer: Penalty on the biases.
        activity_regularizer: Penalty on each projection's output and on the
            layer's output.
        kernel_constraint: Projection of the kernels after each step.
        bias_constraint: Projection of the biases after each step.
        use_gate: If True, a sigmoid gate computed from the query scales the
            heads before the output projection.
        seed: Optional integer seed of the attention dropout.
        **kwargs: Base layer arguments.

    Call arguments:
        query: ``(batch, T, dim)``.
        value: ``(batch, S, dim)``.
        key: Optional ``(batch, S, dim)``; defaults to ``value``.
        query_mask, value_mask, key_mask: Optional boolean ``(batch, T)`` /
            ``(batch, S)`` masks; by default the inputs' Keras masks.
        attention_mask: Optional boolean ``(batch, T, S)``.
        return_attention_scores: If True, return ``(output, scores)`` with
            scores ``(batch, num_query_heads, T, S)``.
        training: Whether dropout is active.
        use_causal_mask: If True, position ``i`` attends only to ``j <= i``.

    Example:
        >>> import torch
        >>> from ketorch.layers import GroupQueryAttention
        >>> gqa = GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
        >>> x = torch.ones(3, 5, 8)
        >>> gqa(x, x).shape
        torch.Size([3, 5, 8])
    """

    # Keras names the class GroupedQueryAttention (so weight files say
    # "grouped_query_attention") but exports and serializes it as GroupQueryAttention.
    _keras_export_name = "GroupQueryAttention"

    def __init__(
        self,
        head_dim,
        num_query_heads,
        num_key_value_heads,
        dropout=0.0,
        use_bias=True,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.head_dim = _positive_int(head_dim, "head_dim")
        self.num_query_heads = _positive_int(num_query_heads, "num_query_heads")
        self.num_key_value_heads = _positive_int(num_key_value_heads, "num_key_value_heads")
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(
                "`num_query_heads` must be divisible by `num_key_value_heads`. Received: "
                f"num_query_heads={num_query_heads}, num_key_value_heads={num_key_value_heads}"
            )
        self.num_repeats = num_query_heads // num_key_value_heads
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float))
            or not 0 <= dropout < 1
        ):
            raise ValueError(
                "Argument `dropout` of GroupQueryAttention must be a float in [0, 1). "
                f"Received: dropout={dropout!r}"
            )
        self.dropout = dropout
        self.use_bias = use_bias
        self.use_gate = use_gate
        if sliding_window is not None and (
            not isinstance(sliding_window, int) or isinstance(sliding_window, bool)
            or sliding_window <= 0
        ):  # fmt: skip
            raise ValueError(
                "`sliding_window` must be `None` or a positive integer. "
                f"Received: sliding_window={sliding_window}"
            )
        self.sliding_window = sliding_window
        self.flash_attention = flash_attention
        if flash_attention and dropout > 0:
            raise ValueError(
                "Dropout is not supported when flash attention is enabled. Please set dropout "
                f"to 0.0 to use flash attention. Received: dropout={dropout!r}"
            )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self.supports_masking = True
        self._scale = 1.0 / math.sqrt(float(self.head_dim))
        self._dropout_fn = _ops.SeededDropout(dropout, seed)
        self._returning_scores = False
        self._build_shapes_dict = None

    # ----------------------------------------------------------------- build
    def _projection(self, equation, output_shape, bias_axes, name, in_shape, activation=None):
        layer = EinsumDense(
            equation,
            output_shape=output_shape,
            bias_axes=bias_axes if self.use_bias else None,
            activation=activation,
            kernel_initializer=initializers.get(initializers.serialize(self.kernel_initializer)),
            bias_initializer=initializers.get(initializers.serialize(self.bias_initializer)),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            name=name,
            dtype=self._dtype,
        )
        layer.build(in_shape)
        return layer

    def build(self, query_shape, value_shape, key_shape=None):
        key_given = key_shape is not None
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self.compute_output_shape(query_shape, value_shape, key_shape)
        for arg, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(
                    f"Layer '{self.name}' (GroupQueryAttention) needs a rank-3 `{arg}` "
                    f"(batch, positions, features) with a known last dimension. "
                    f"Received: {arg}_shape={shape}"
                )
        self.feature_dim = query_shape[-1]
        nq, nkv, hd = self.num_query_heads, self.num_key_value_heads, self.head_dim
        self._query_dense = self._projection("bqm,muh->bquh", (None, nq, hd), "uh", "query",
                                             query_shape)  # fmt: skip
        self._key_dense = self._projection("bkm,mvh->bkvh", (None, nkv, hd), "vh", "key", key_shape)
        self._gate_dense = None
        if self.use_gate:
            self._gate_dense = self._projection("bqm,muh->bquh", (None, nq, hd), "uh", "gate",
                                                query_shape, "sigmoid")  # fmt: skip
        self._value_dense = self._projection("bkm,mvh->bkvh", (None, nkv, hd), "vh", "value",
                                             value_shape)  # fmt: skip
        self._output_dense = self._projection("bquh,uhm->bqm", (None, self.feature_dim), "m",
                                              "attention_output", (None, None, nq, hd))  # fmt: skip
        self._build_shapes_dict = {"query_shape": query_shape, "value_shape": value_shape}
        if key_given:
            self._build_shapes_dict["key_shape"] = key_shape
        self.built = True

    # ------------------------------------------------------------------ call
    def _project(self, layer, x):
        out = layer.call(x)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(out) / out.shape[0])
        return out

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
            query, value, key, query_mask, value_mask, key_mask
        )
        if self.flash_attention and return_attention_scores:
            raise ValueError(
                "Returning attention scores is not supported when flash attention is enabled. "
                "Please disable flash attention to access attention scores."
            )
        mask, causal_only = _ops.call_mask(query, value, query_mask, value_mask, key_mask,
                                           attention_mask, use_causal_mask,
                                           self.sliding_window)  # fmt: skip
        gate = self._project(self._gate_dense, query) if self._gate_dense is not None else None
        q = self._project(self._query_dense, query)  # (batch, T, heads, head_dim)
        k = self._project(self._key_dense, key)  # (batch, S, kv_heads, head_dim)
        v = self._project(self._value_dense, value)
        out, scores = self._attend(q, k, v, mask, causal_only, training, return_attention_scores)
        if gate is not None:
            out = out * gate
        output = self._project(self._output_dense, out)
        self._returning_scores = bool(return_attention_scores)
        if return_attention_scores:
            return output, scores
        return output

    def _attend(self, q, k, v, mask, causal_only, training, return_scores):
        """Attention on ``(batch, positions, heads, head_dim)`` projections."""
        qh, kh, vh = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        if mask is not None:
            while mask.ndim < 4:  # (batch, T, S) -> (batch, 1, T, S)
                mask = mask.unsqueeze(-3)
        if not return_scores and self.dropout == 0:
            # Keras's fused path: masked positions get a large negative bias, so a fully
            # masked query row attends uniformly rather than producing NaNs.
            bias = None
            if mask is not None:
                bias = torch.zeros(mask.shape, dtype=qh.dtype, device=qh.device)
                bias = bias.masked_fill_(~mask, _ops.fused_negative(qh.dtype))
            out = F.scaled_dot_product_attention(
                qh, kh, vh, attn_mask=bias, is_causal=causal_only, scale=self._scale,
                enable_gqa=self.num_repeats > 1,
            )  # fmt: skip
            return out.transpose(1, 2), None
        if self.num_repeats > 1:
            kh = kh.repeat_interleave(self.num_repeats, dim=1)
            vh = vh.repeat_interleave(self.num_repeats, dim=1)
        logits = torch.matmul(qh * self._scale, kh.transpose(-1, -2))
        if causal_only:
            mask = _ops.causal_mask(logits.shape[-2], logits.shape[-1], logits.device)
            mask = mask.unsqueeze(0)
        if mask is None:
            scores = torch.softmax(logits, dim=-1)
        else:
            logits = logits.masked_fill(~mask, _ops.large_negative(logits.dtype))
            scores = torch.softmax(logits, dim=-1).masked_fill(~mask, 0.0)
        probs = self._dropout_fn(scores) if training and self.dropout > 0 else scores
        out = torch.matmul(probs, vh)
        return out.transpose(1, 2), scores

    # ---------------------------------------------------------------- shapes
    def compute_mask(self, inputs, mask=None):
        if self._returning_scores and mask is not None:
            return [mask, None]
        return mask

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                "The last dimension of `query_shape` and `value_shape` must be equal, but are "
                f"{query_shape[-1]}, {value_shape[-1]}. Received: query_shape={query_shape}, "
                f"value_shape={value_shape}"
            )
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        return query_shape

    def compute_output_spec(self, query, value, key=None, return_attention_scores=False, **kwargs):
        key_shape = None if key is None else key.shape
        out = KerasTensor(
            self.compute_output_shape(query.shape, value.shape, key_shape), self.compute_dtype
        )
        if not return_attention_scores:
            return out
        kv_len = value.shape[1] if key is None else key.shape[1]
        scores = KerasTensor(
            (query.shape[0], self.num_query_heads, query.shape[1], kv_len), self.compute_dtype
        )
        return out, scores

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "head_dim": self.head_dim,
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads,
                "use_bias": self.use_bias,
                "use_gate": self.use_gate,
                "sliding_window": self.sliding_window,
                "dropout": self.dropout,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "seed": self.seed,
            }
        )
        return config


GroupQueryAttention = GroupedQueryAttention
