"""Small tensor helpers shared by the attention layers."""

from __future__ import annotations

import torch

from ... import backend


def large_negative(dtype: torch.dtype) -> float:
    """The value masked attention logits get: -1e9, or -3e4 where float16 would overflow."""
    return -3e4 if dtype == torch.float16 else -1e9


def fused_negative(dtype: torch.dtype) -> float:
    """The additive bias of masked positions in the fused kernel (Keras's torch backend value)."""
    return -0.7 * (65500.0 if dtype == torch.float16 else 3.38953e38)


def causal_mask(q_len: int, k_len: int, device) -> torch.Tensor:
    """Boolean ``(1, q_len, k_len)`` mask, True where key position <= query position."""
    return torch.ones(q_len, k_len, dtype=torch.bool, device=device).tril().unsqueeze(0)


def band_mask(q_len: int, k_len: int, window: int, device) -> torch.Tensor:
    """Boolean ``(1, q_len, k_len)`` mask, True where ``|i - j| < window``."""
    rows = torch.arange(q_len, device=device).unsqueeze(1)
    cols = torch.arange(k_len, device=device).unsqueeze(0)
    return ((rows - cols).abs() < window).unsqueeze(0)


def as_tensor_like(x, ref: torch.Tensor):
    """Convert an array-like (or leave a tensor) and move it to ``ref``'s device."""
    if x is None:
        return None
    return backend.to_tensor(x, device=ref.device)


def as_bool_mask(mask):
    """A boolean view of a mask; non-bool masks keep their non-zero entries."""
    if mask is None or mask.dtype == torch.bool:
        return mask
    return mask != 0


class ShapesDictBuildConfig:
    """``get_build_config``/``build_from_config`` for layers built from a ``query``,
    ``value`` (and ``key``) shape: Keras saves them as ``{"shapes_dict": {...}}``."""

    def get_build_config(self):
        if self._build_shapes_dict is None:
            return None
        return {"shapes_dict": {k: list(v) for k, v in self._build_shapes_dict.items()}}

    def build_from_config(self, config):
        if not config or self.built:
            return
        if "shapes_dict" in config:
            self.build(**{k: tuple(v) for k, v in config["shapes_dict"].items()})
        elif config.get("input_shape") is not None:
            shape = tuple(config["input_shape"])
            self.build(shape, shape)
        self.built = True


class SeededDropout:
    """Dropout of attention weights, reproducible when a seed is given.

    Args:
        rate: Fraction of the attention weights to drop in training.
        seed: Optional integer seed; ``None`` uses torch's global generator.
    """

    def __init__(self, rate: float, seed=None):
        self.rate = float(rate)
        self.seed = seed
        self._generators: dict = {}

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.seed is None:
            return backend.fast_dropout(x, self.rate)
        gen = self._generators.get(x.device)
        if gen is None:
            gen = torch.Generator(device=x.device)
            gen.manual_seed(int(self.seed))
            self._generators[x.device] = gen
        keep = torch.empty_like(x).bernoulli_(1.0 - self.rate, generator=gen)
        return x * keep / (1.0 - self.rate)


def merge_masks(query, value, query_mask, value_mask, key_mask, attention_mask, causal, window):
    """AND of every mask source, broadcastable to ``(batch, T, S)``; None if there is none.

    Args:
        query, value: ``(batch, T, ...)`` and ``(batch, S, ...)`` tensors.
        query_mask, value_mask, key_mask: Optional ``(batch, T)`` / ``(batch, S)`` masks.
        attention_mask: Optional ``(batch, T, S)`` mask.
        causal: Whether to add the causal mask.
        window: Optional sliding-window size (``|i - j| < window``).
    """
    device = query.device
    parts = []
    if query_mask is not None:
        parts.append(as_bool_mask(as_tensor_like(query_mask, query)).unsqueeze(-1))
    for m in (value_mask, key_mask):
        if m is not None:
            parts.append(as_bool_mask(as_tensor_like(m, query)).unsqueeze(-2))
    if causal:
        parts.append(causal_mask(query.shape[1], value.shape[1], device))
    if window is not None:
        parts.append(band_mask(query.shape[1], value.shape[1], window, device))
    if attention_mask is not None:
        parts.append(as_bool_mask(as_tensor_like(attention_mask, query)))
    if not parts:
        return None
    mask = parts[0]
    for p in parts[1:]:
        mask = mask & p
    return mask


def resolve_key_and_masks(
    query, value, key, query_mask, value_mask, key_mask, skip_key_mask_if_value=False
):
    """The start of an attention call: ``value`` and ``key`` as tensors on ``query``'s device
    (``key`` defaults to ``value``) and each mask not passed read from its tensor's
    ``_keras_mask`` (the key's only when a key was given, and with
    ``skip_key_mask_if_value`` not when that key is ``value`` itself).

    Returns:
        ``(value, key, query_mask, value_mask, key_mask)``.
    """
    value = as_tensor_like(value, query)
    key_given = key is not None
    key = value if key is None else as_tensor_like(key, query)
    if query_mask is None:
        query_mask = getattr(query, "_keras_mask", None)
    if value_mask is None:
        value_mask = getattr(value, "_keras_mask", None)
    if key_mask is None and key_given and not (skip_key_mask_if_value and key is value):
        key_mask = getattr(key, "_keras_mask", None)
    return value, key, query_mask, value_mask, key_mask


def call_mask(
    query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask, window
):
    """The attention mask of a call and whether it is purely causal.

    Returns:
        ``(mask, causal_only)``: ``causal_only`` when the causal mask is the only source
        (the fused kernel then takes ``is_causal`` and ``mask`` is None); otherwise the AND
        of every source from :func:`merge_masks` (None if there is none).
    """
    causal_only = (
        use_causal_mask
        and query_mask is None
        and value_mask is None
        and key_mask is None
        and attention_mask is None
        and window is None
    )
    mask = None
    if not causal_only:
        mask = merge_masks(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask, window
        )
    return mask, causal_only
