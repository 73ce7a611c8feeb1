"""Embedding: map integer ids to dense vectors."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ... import constraints, initializers, regularizers
from ..layer import Layer
from ..node import KerasTensor
from . import _quantized_layers
from ._quantized import QuantizeMixin, read_quantization_config
from .lora import LoRAMixin


class Embedding(QuantizeMixin, LoRAMixin, Layer):
    """Look up rows of an ``(input_dim, output_dim)`` table by integer index.

    Args:
        input_dim: Vocabulary size (largest index + 1).
        output_dim: Size of each vector.
        embeddings_initializer: Initializer of the table (Keras's ``"uniform"``:
            U(-0.05, 0.05)).
        embeddings_regularizer: Penalty on the table.
        embeddings_constraint: Projection applied after each step.
        mask_zero: If True, index 0 is padding and an output mask is produced
            for downstream layers (LSTM, pooling, attention).
        weights: Optional initial table as a list ``[array]`` (Keras 2 style).
        input_length: Keras 2 argument: the sequence length. On the first
            layer of a ``Sequential`` it defines the model's input shape.
        lora_rank: If set, build with LoRA enabled at this rank (see :meth:`enable_lora`):
            the table is frozen and ``lora_embeddings_a``/``lora_embeddings_b`` are trained.
        lora_alpha: LoRA scale numerator (the update is scaled by ``lora_alpha / lora_rank``);
            defaults to ``lora_rank``.
        **kwargs: Base layer arguments.

    Input shape:
        ``(batch, ...)`` of integer ids.

    Output shape:
        ``(batch, ..., output_dim)``.

    Example:
        >>> import torch
        >>> from ketorch.layers import Embedding
        >>> Embedding(10, 4)(torch.tensor([[1, 2, 3]])).shape
        torch.Size([1, 3, 4])
    """

    _quant_owner = True
    _quant_modes = ("int8", "int4")
    _quant_spec = {
        "int8": ("embeddings", "embeddings_scale"),
        "int4": ("embeddings", "embeddings_scale", "embeddings_zero", "g_idx"),
    }
    _lora_base = "embeddings"
    _lora_prefix = "lora_embeddings"
    _lora_penalty = "embeddings_regularizer"
    _lora_projection = "embeddings_constraint"

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        # Keras 2's input_length: on the first layer of a Sequential it defines the input
        # shape (Keras 3 ignores it and leaves such models unbuilt until data arrives).
        input_length = kwargs.pop("input_length", None)
        if input_length is not None and not any(
            k in kwargs for k in ("input_shape", "batch_input_shape")
        ):
            if isinstance(input_length, int) and input_length > 0:
                kwargs["input_shape"] = (input_length,)
            elif input_length is not None:
                raise ValueError(
                    "Argument `input_length` must be a positive integer. "
                    f"Received: input_length={input_length!r}"
                )
        self.quantization_config = read_quantization_config(kwargs)
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for arg, val in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(val, int) or isinstance(val, bool) or val <= 0:
                raise ValueError(
                    f"Argument `{arg}` of Embedding must be a positive integer. "
                    f"Received: {arg}={val!r}"
                )
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self._init_lora(lora_rank, lora_alpha)
        if weights is not None:
            self._initial_weights = weights if isinstance(weights, (list, tuple)) else [weights]
        self.input_length = input_length
        self._batch_input_dtype = "int32"

    def build(self, input_shape=None):
        if self.quantization_mode is not None:  # a quantized model being loaded
            self._quantized_build_with(_quantized_layers.embedding_build)
        else:
            self.embeddings = self.add_weight(
                name="embeddings",
                shape=(self.input_dim, self.output_dim),
                initializer=self.embeddings_initializer,
                regularizer=self.embeddings_regularizer,
                constraint=self.embeddings_constraint,
            )
        self.built = True
        self._build_lora()

    def call(self, inputs):
        if self.quantization_mode is not None:
            return _quantized_layers.embedding_call(self, inputs)
        if inputs.dtype is not torch.int64 and inputs.dtype is not torch.int32:
            inputs = inputs.long()
        try:
            out = F.embedding(inputs, self.embeddings)
            if self.lora_enabled:
                # Look up rows of the first factor: cheaper than merging the whole table.
                a, b = self._lora_factors()
                out = out + (self._lora_scale() * (F.embedding(inputs, a) @ b)).to(out.dtype)
            return out
        except IndexError as e:
            lo, hi = int(inputs.min()), int(inputs.max())
            raise ValueError(
                f"Layer '{self.name}' (Embedding) got token ids outside [0, {self.input_dim}) "
                f"(its input_dim is {self.input_dim}). Received ids in [{lo}, {hi}]. Increase "
                "input_dim or fix the vocabulary."
            ) from e

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), "float32")

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero,
            }
        )
        return self._quant_config_entry(self._lora_config(config))

    def _quantize_weights(self, mode, config):
        _quantized_layers.embedding_quantize(self, mode, config)
