"""StringLookup: map strings to integer indices (or back) through a vocabulary."""

from __future__ import annotations

import numpy as np
import torch

from ..node import KerasTensor
from .index_lookup import IndexLookup, stable_string_bucket


def to_string_array(inputs, encoding: str = "utf-8") -> np.ndarray:
    """Any string container (list, numpy str/bytes/object array) as an object array of ``str``."""
    if isinstance(inputs, KerasTensor):
        raise TypeError(
            "String preprocessing layers run on Python strings, not on symbolic model inputs: "
            "apply the layer to the raw data before the model (e.g. `x = layer(texts)`), or in a "
            f"data pipeline. Received: {inputs!r}"
        )
    if isinstance(inputs, torch.Tensor):
        raise TypeError(
            f"Expected strings (a list or numpy array of str/bytes). Received: a torch tensor of dtype {inputs.dtype}"
        )
    array = np.asarray(inputs, dtype=object)
    flat = array.reshape(-1)
    for i, item in enumerate(flat):
        if isinstance(item, (bytes, np.bytes_)):
            flat[i] = bytes(item).decode(encoding)
        elif not isinstance(item, str):
            flat[i] = str(item)
    return flat.reshape(array.shape)


class StringLookup(IndexLookup):
    """Map string tokens to integer indices through a vocabulary.

    The vocabulary comes from ``vocabulary`` or from ``adapt(data)`` (most
    frequent first, ties by token in reverse order). Indices are laid out as
    ``[mask_token] [oov indices] [vocabulary]``; the mask slot exists only
    when ``mask_token`` is set and ``output_mode="int"``. The layer works on
    Python strings (lists, numpy arrays of str/bytes), outside the model, and
    returns torch tensors (``invert=True`` returns a numpy array of str).

    Args:
        max_tokens: Maximum vocabulary size, special slots included.
        num_oov_indices: Number of out-of-vocabulary slots. With more than
            one, an unknown string goes to a slot chosen by a stable hash
            (not TensorFlow's farmhash, so the slot differs from Keras's).
        mask_token: Token mapped to index 0 (int mode), or ignored by the
            encoded modes. None for no mask.
        oov_token: The token that ``invert`` returns for unknown indices.
        vocabulary: Optional list/array of strings or a file path.
        idf_weights: IDF weights for ``output_mode="tf_idf"`` with a vocabulary.
        invert: If True, map indices back to strings.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"``
            or ``"tf_idf"``.
        pad_to_max_tokens: Encode to width ``max_tokens`` rather than the
            vocabulary size.
        sparse: Must be False on torch.
        encoding: Text encoding of bytes inputs.
        **kwargs: Base layer arguments.

    Example:
        >>> layer = StringLookup(vocabulary=["a", "b", "c"])
        >>> layer([["a", "c"], ["d", "b"]])
        tensor([[1, 3],
                [0, 2]])
        >>> StringLookup(vocabulary=["a", "b", "c"], invert=True)([[1, 3]]).tolist()
        [['a', 'c']]
    """

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token="[UNK]",
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        pad_to_max_tokens=False,
        sparse=False,
        encoding="utf-8",
        **kwargs,
    ):
        self.encoding = encoding
        kwargs.pop("salt", None)
        kwargs.pop("oov_method", None)
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
        if isinstance(item, (bytes, np.bytes_)):
            return bytes(item).decode(self.encoding)
        return str(item) if item is not None else item

    def _oov_bucket(self, token) -> int:
        return stable_string_bucket(token, self.num_oov_indices)

    def __call__(self, inputs, **kwargs):
        return self.call(inputs)

    def call(self, inputs):
        if self.invert:
            return self._invert(inputs)
        strings = to_string_array(inputs, self.encoding)
        ids = np.array([self._lookup_python(s) for s in strings.reshape(-1)], dtype=np.int64)
        return self._encode(torch.from_numpy(ids.reshape(strings.shape)))

    def _invert(self, inputs) -> np.ndarray:
        if isinstance(inputs, torch.Tensor):
            inputs = inputs.detach().cpu().numpy()
        ids = np.asarray(inputs, dtype=np.int64)
        start = self._token_start_index()
        out = np.empty(ids.shape, dtype=object)
        flat, result = ids.reshape(-1), out.reshape(-1)
        for i, index in enumerate(flat):
            if self.mask_token is not None and index == 0:
                result[i] = self.mask_token
            elif start <= index < start + len(self._tokens):
                result[i] = self._tokens[index - start]
            else:
                result[i] = self.oov_token
        return out.astype(str) if out.size else out

    def get_config(self):
        config = super().get_config()
        config["encoding"] = self.encoding
        return config
