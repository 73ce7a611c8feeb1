"""IntegerLookup: map arbitrary integers to contiguous indices (or back)."""

from __future__ import annotations

import numpy as np
import torch

from ..node import KerasTensor
from .index_lookup import _IGNORED, IndexLookup


class IntegerLookup(IndexLookup):
    """Map integer tokens (e.g. raw ids) to contiguous indices through a vocabulary.

    Indices are laid out as ``[mask_token] [oov indices] [vocabulary]``, the
    mask slot existing only when ``mask_token`` is set and
    ``output_mode="int"``. Lookups are torch ops (sorted keys and
    ``searchsorted``), so the layer also works inside a model on any device.

    Args:
        max_tokens: Maximum vocabulary size, special slots included.
        num_oov_indices: Number of out-of-vocabulary slots; with more than one,
            an unknown value ``v`` goes to slot ``v mod num_oov_indices``.
        mask_token: Integer mapped to index 0 (int mode), or ignored by the
            encoded modes. None for no mask.
        oov_token: The value ``invert`` returns for unknown indices.
        vocabulary: Optional list/array of integers or a file path.
        vocabulary_dtype: Only ``"int64"``.
        idf_weights: IDF weights for ``output_mode="tf_idf"`` with a vocabulary.
        invert: If True, map indices back to the original integers.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"``
            or ``"tf_idf"``.
        sparse: Must be False on torch.
        pad_to_max_tokens: Encode to width ``max_tokens``.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer(torch.tensor([[12, 1138, 42], [42, 1000, 36]]))
        tensor([[1, 3, 4],
                [4, 0, 2]])
    """

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=-1,
        vocabulary=None,
        vocabulary_dtype="int64",
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        **kwargs,
    ):
        if vocabulary_dtype != "int64":
            raise ValueError(
                "IntegerLookup supports only vocabulary_dtype='int64'. "
                f"Received: vocabulary_dtype={vocabulary_dtype!r}"
            )
        oov_method = kwargs.pop("oov_method", "floormod")
        kwargs.pop("salt", None)
        if oov_method != "floormod":
            raise ValueError(
                f"IntegerLookup supports only oov_method='floormod' on torch. Received: oov_method={oov_method!r}"
            )
        self._device_tables: dict = {}
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            **kwargs,
        )

    def _as_token(self, item):
        return None if item is None else int(item)

    def _parse_asset_line(self, line: str):
        return int(line)

    def _on_vocabulary_change(self) -> None:
        self._device_tables = {}

    def _tables(self, device):
        """Sorted keys, their indices, and the tokens in index order, on ``device``."""
        tables = self._device_tables.get(device)
        if tables is None:
            tokens = torch.tensor(self._tokens, dtype=torch.int64)
            keys, order = torch.sort(tokens)
            tables = (
                keys.to(device),
                (order + self._token_start_index()).to(device),
                tokens.to(device),
            )
            self._device_tables[device] = tables
        return tables

    def call(self, inputs):
        x = torch.as_tensor(inputs) if not isinstance(inputs, torch.Tensor) else inputs
        x = x.long()
        if self.invert:
            return self._invert(x)
        keys, indices, _ = self._tables(x.device)
        start = self._oov_start_index()
        if self.num_oov_indices > 1:
            missing = torch.remainder(x, self.num_oov_indices) + start
        else:
            missing = torch.full_like(x, start)
        if len(self._tokens):
            pos = torch.searchsorted(keys, x.contiguous()).clamp_(max=len(self._tokens) - 1)
            found = keys[pos] == x
            ids = torch.where(found, indices[pos], missing)
        else:
            found = torch.zeros_like(x, dtype=torch.bool)
            ids = missing
        if self.mask_token is not None:
            is_mask = x == self.mask_token
            found = found | is_mask
            ids = torch.where(
                is_mask, torch.full_like(ids, 0 if self.output_mode == "int" else _IGNORED), ids
            )
        if self.num_oov_indices == 0 and not bool(
            found.all()
        ):  # host sync only in this strict mode
            unknown = torch.unique(x[~found]).tolist()
            raise ValueError(
                "IntegerLookup has num_oov_indices=0, so every input must be in the vocabulary; "
                f"set num_oov_indices=1 to map unknown values. Received: out-of-vocabulary values {unknown}"
            )
        return self._encode(ids)

    def _invert(self, ids: torch.Tensor) -> torch.Tensor:
        _, _, tokens = self._tables(ids.device)
        start, count = self._token_start_index(), len(self._tokens)
        out = torch.full_like(ids, self.oov_token if self.oov_token is not None else -1)
        if count:
            in_vocab = (ids >= start) & (ids < start + count)
            out = torch.where(in_vocab, tokens[(ids - start).clamp(0, count - 1)], out)
        if self.mask_token is not None:
            out = torch.where(ids == 0, torch.full_like(out, self.mask_token), out)
        return out

    def compute_output_spec(self, inputs, **kwargs):
        dtype = "int64" if self.output_mode == "int" else "float32"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    def get_config(self):
        config = super().get_config()
        config["vocabulary_dtype"] = "int64"
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in np.asarray(config["vocabulary"]).reshape(-1)]
        return config
