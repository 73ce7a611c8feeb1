"""HashedCrossing: hash the cross of categorical features into bins."""

from __future__ import annotations

import numpy as np
import torch

from ..layer import Layer
from ..node import KerasTensor, has_keras_tensor
from .hash_functions import fingerprint64, fingerprint_cat64
from .hashing import as_value_array, encode_categorical_inputs

# The key TensorFlow's hashed feature crosses start from.
_HASH_KEY = 0xDECAFCAFFE
_UINT64 = (1 << 64) - 1


def _feature_hash(value) -> int:
    """Strings are fingerprinted; integers enter the cross as their own 64-bit pattern."""
    if isinstance(value, (bytes, np.bytes_)):
        return fingerprint64(bytes(value))
    if isinstance(value, (str, np.str_)):
        return fingerprint64(str(value).encode("utf-8"))
    return int(value) & _UINT64


class HashedCrossing(Layer):
    """Cross categorical features (all combinations, one value from each) by hashing.

    Each sample's crossed value is hashed into ``num_bins`` bins with the same hash
    TensorFlow's ``tf.sparse.cross_hashed`` uses, so the bins equal Keras's. Integer
    features enter the cross as their values, strings through FarmHash fingerprints.

    Args:
        num_bins: Number of hash bins.
        output_mode: ``"int"`` (bin indices) or ``"one_hot"``.
        sparse: Must be ``False`` (sparse outputs need TensorFlow).
        name: Layer name.
        dtype: Output dtype (``"int64"`` by default for ``"int"``, floatx for one-hot).

    Call arguments:
        inputs: A list or tuple of at least two features of equal shape ``()``,
            ``(batch,)`` or ``(batch, 1)``, of integers or strings.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> feat1 = np.array(["A", "B", "A", "B", "A"])
        >>> feat2 = np.array([101, 101, 101, 102, 102])
        >>> layers.HashedCrossing(num_bins=5)((feat1, feat2)).tolist()
        [1, 4, 1, 1, 3]
    """

    _jit_unfriendly = "hashes values in Python on the host"

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                "Unknown value for `output_mode`. Allowed values are ['int', 'one_hot']. "
                f"Received: output_mode={output_mode!r}"
            )
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse
        self.built = True

    def __call__(self, inputs, **kwargs):
        if has_keras_tensor(inputs):
            return super().__call__(inputs, **kwargs)
        return self.call(inputs)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "`HashedCrossing` should be called on a list or tuple of inputs. "
                f"Received: inputs={inputs}"
            )
        if len(inputs) < 2:
            raise ValueError(
                f"`HashedCrossing` should be called on at least two inputs. Received: inputs={inputs}"
            )
        device = next((x.device for x in inputs if isinstance(x, torch.Tensor)), None)
        arrays = [as_value_array(x) for x in inputs]
        shape = arrays[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(
                "All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                f"`(batch_size, 1)`. Received: inputs={inputs}"
            )
        if any(a.shape != shape for a in arrays[1:]):
            raise ValueError(
                f"All `HashedCrossing` inputs should have equal shape. Received: inputs={inputs}"
            )
        for a in arrays:
            if a.dtype.kind not in "iuO" or (
                a.dtype.kind == "O" and not all(isinstance(v, (str, bytes)) for v in a.flat)
            ):
                raise ValueError(
                    "All `HashedCrossing` inputs should have an integer or string dtype. "
                    f"Received: inputs={inputs}"
                )
        columns = [a.reshape(-1).tolist() for a in arrays]
        bins = np.empty(len(columns[0]), dtype=np.int64)
        for i, values in enumerate(zip(*columns)):
            h = _HASH_KEY
            for value in values:
                h = fingerprint_cat64(h, _feature_hash(value))
            bins[i] = h % self.num_bins
        ids = torch.from_numpy(bins.reshape(shape))
        if device is not None:
            ids = ids.to(device)
        if self.output_mode == "int":
            return ids.to(torch.int64 if self.dtype == "int64" else torch.int32)
        return encode_categorical_inputs(ids, "one_hot", self.num_bins, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        if (
            len(input_shape) != 2
            or not isinstance(input_shape[0], (tuple, list))
            or not isinstance(input_shape[1], (tuple, list))
        ):
            raise ValueError(
                f"Expected as input a list/tuple of 2 tensors. Received input_shape={input_shape}"
            )
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] != 1:
            return first + (self.num_bins,)
        return first[:-1] + (self.num_bins,)

    def compute_output_spec(self, inputs, **kwargs):
        shapes = [tuple(x.shape) for x in inputs]
        dtype = self.dtype if self.output_mode == "int" else self.compute_dtype
        return KerasTensor(self.compute_output_shape(shapes), dtype)

    def get_config(self):
        return {
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }
