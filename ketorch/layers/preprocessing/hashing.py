"""Hashing: map values (strings or numbers) to a fixed number of hash bins."""

from __future__ import annotations

import numpy as np
import torch

from ... import backend
from ... import config as _config
from ..layer import Layer
from ..node import KerasTensor, has_keras_tensor
from .hash_functions import fingerprint64, siphash

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def encode_categorical_inputs(ids: torch.Tensor, output_mode: str, depth: int, dtype):
    """Encode integer ids as Keras does (ids outside ``[0, depth)`` encode as zeros).

    ``"int"`` casts; ``"one_hot"`` adds a last axis of size ``depth`` (replacing a trailing
    axis of size 1); ``"multi_hot"``/``"count"`` one-hot encode and reduce axis 1 (axis 0
    for a rank-1 input, which is one sample).
    """
    tdtype = backend.torch_dtype(dtype)
    if output_mode == "int":
        return ids.to(tdtype)
    if ids.ndim == 0:
        ids = ids.unsqueeze(-1)
    if output_mode == "one_hot" and ids.ndim > 1 and ids.shape[-1] == 1:
        ids = ids.squeeze(-1)
    ids = ids.long()
    valid = (ids >= 0) & (ids < depth)
    onehot = torch.nn.functional.one_hot(torch.where(valid, ids, 0), depth)
    onehot = (onehot * valid.unsqueeze(-1)).to(tdtype)
    if output_mode == "one_hot":
        return onehot
    axis = 1 if ids.ndim > 1 else 0
    if output_mode == "multi_hot":
        return onehot.amax(dim=axis)
    return onehot.sum(dim=axis)


def categorical_output_shape(input_shape, output_mode, depth):
    """The output shape of :func:`encode_categorical_inputs` for ``input_shape``."""
    shape = tuple(input_shape)
    if output_mode == "int":
        return shape
    if not shape:
        return (depth,)
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            shape = shape[:-1]
        return shape + (depth,)
    if len(shape) == 1:
        return (depth,)
    return (shape[0],) + shape[2:] + (depth,)


def is_string_input(inputs) -> bool:
    """Whether ``inputs`` holds strings (which cannot become torch tensors)."""
    if isinstance(inputs, (str, bytes)):
        return True
    if isinstance(inputs, np.ndarray):
        return inputs.dtype.kind in "USO"
    if isinstance(inputs, (list, tuple)):
        try:
            return np.asarray(inputs, dtype=object).dtype.kind in "USO" and any(
                isinstance(v, (str, bytes, np.str_, np.bytes_))
                for v in np.asarray(inputs, dtype=object).reshape(-1)
            )
        except ValueError:
            return False
    return False


def as_value_array(inputs) -> np.ndarray:
    """Inputs as a NumPy array (object arrays for strings)."""
    if isinstance(inputs, torch.Tensor):
        return inputs.detach().cpu().numpy()
    if isinstance(inputs, (str, bytes)):
        return np.asarray(inputs, dtype=object)
    array = np.asarray(inputs)
    if array.dtype.kind in "US":
        array = array.astype(object)
    return array


def value_bytes(value) -> bytes:
    """The bytes TensorFlow hashes for one value: UTF-8 text, or an integer's decimal form
    (floats are truncated to integers first)."""
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value)
    if isinstance(value, (str, np.str_)):
        return str(value).encode("utf-8")
    if isinstance(value, (float, np.floating)):
        value = int(np.int64(value))
    return str(int(value)).encode("ascii")


class Hashing(Layer):
    """Hash values into ``num_bins`` bins (TensorFlow's hashes, so bins equal Keras's).

    Strings are hashed as UTF-8, integers by their decimal text, floats after truncation to
    integers. Without ``salt`` the hash is FarmHash's 64-bit fingerprint; with ``salt`` it is
    SipHash-2-4 keyed by the salt (slower, resists crafted collisions). With ``mask_value``,
    that value goes to bin 0 and the others to bins ``1 .. num_bins - 1``.

    The layer runs on Python strings, NumPy arrays, lists and integer tensors, and returns
    torch tensors; integer inputs also work on symbolic model inputs.

    Args:
        num_bins: Number of hash bins (including the mask bin when ``mask_value`` is set).
        mask_value: A value to map to bin 0, or ``None``.
        salt: An int or a pair of ints keying SipHash; ``None`` uses FarmHash.
        output_mode: ``"int"`` (bin indices), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: Sparse outputs are not supported on torch; must be ``False``.
        **kwargs: Base layer arguments; ``dtype`` defaults to ``"int64"`` for
            ``output_mode="int"`` and to floatx otherwise.

    Example:
        >>> from ketorch import layers
        >>> layers.Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]]).tolist()
        [[1], [0], [1], [1], [2]]
    """

    _jit_unfriendly = "hashes values in Python on the host"

    def __init__(
        self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs
    ):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else _config.floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                "The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                f"Received: num_bins={num_bins}."
            )
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(
                "When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or "
                f"'int64'. Received: dtype={kwargs['dtype']}"
            )
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of "
                f"{OUTPUT_MODES}. Received: output_mode={output_mode}"
            )
        if sparse and output_mode == "int":
            raise ValueError(
                '`sparse` may only be true if `output_mode` is `"one_hot"`, `"multi_hot"`, or '
                f'`"count"`. Received: sparse={sparse} and output_mode={output_mode}'
            )
        if sparse:
            raise ValueError("`sparse=True` cannot be used with the torch backend.")
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int) and not isinstance(salt, bool):
                self.salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `Hashing` can only be a tuple of size 2 integers, "
                    f"or a single integer. Received: salt={salt}."
                )
        self.built = True

    def __call__(self, inputs, **kwargs):
        if has_keras_tensor(inputs) or isinstance(inputs, torch.Tensor):
            return super().__call__(inputs, **kwargs)
        return self.call(inputs)

    def _hash(self, value, bins: int) -> int:
        data = value_bytes(value)
        if self.salt is not None:
            return siphash((self.salt[0], self.salt[1]), data) % bins
        return fingerprint64(data) % bins

    def _bins(self, values: np.ndarray) -> np.ndarray:
        bins = self.num_bins
        masking = self.mask_value is not None and bins > 1
        if masking:
            bins -= 1
        flat = values.reshape(-1)
        cache: dict = {}
        out = np.empty(flat.shape, dtype=np.int64)
        for i, value in enumerate(flat.tolist()):
            key = value
            index = cache.get(key)
            if index is None:
                index = self._hash(value, bins)
                if masking:
                    index = 0 if _equal(value, self.mask_value) else index + 1
                cache[key] = index
            out[i] = index
        return out.reshape(values.shape)

    def call(self, inputs):
        values = as_value_array(inputs)
        device = inputs.device if isinstance(inputs, torch.Tensor) else None
        ids = torch.from_numpy(self._bins(values))
        if device is not None:
            ids = ids.to(device)
        if self.output_mode == "one_hot" and ids.ndim > 0 and ids.shape[-1] == 1:
            ids = ids.squeeze(-1)
        return encode_categorical_inputs(ids, self.output_mode, self.num_bins, self.dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def compute_output_spec(self, inputs, **kwargs):
        return KerasTensor(self.compute_output_shape(tuple(inputs.shape)), self.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_bins": self.num_bins,
                "salt": self.salt,
                "mask_value": self.mask_value,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
            }
        )
        return config


def _equal(value, mask_value) -> bool:
    if isinstance(value, (bytes, np.bytes_)) and isinstance(mask_value, str):
        return bytes(value) == mask_value.encode("utf-8")
    try:
        return bool(value == mask_value)
    except (TypeError, ValueError):
        return False
