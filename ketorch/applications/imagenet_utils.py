"""ImageNet helpers shared by the applications: input preprocessing, decoding of
predictions into class names, and the input-shape rules the architectures follow.

`preprocess_input` knows three conventions, named as Keras names them:

- ``"caffe"``: RGB to BGR, then subtract the ImageNet mean of each channel (0-255 scale);
- ``"tf"``: scale to [-1, 1];
- ``"torch"``: scale to [0, 1], then standardize each channel with ImageNet's mean and std.

It takes NumPy arrays (a float array is modified in place, as in Keras), torch tensors
and the symbolic tensors of the Functional API, so it can be the first step of a model.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

import numpy as np

from ketorch import activations, backend, ops
from ketorch.utils.file_utils import get_file

__all__ = ["preprocess_input", "decode_predictions"]

CLASS_INDEX_FILE = "imagenet_class_index.json"
CLASS_INDEX_ORIGIN = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)

# Parsed class index files, keyed by (path, size, mtime): a test or user that points
# KERAS_HOME elsewhere gets that folder's file, not a stale one.
_CLASS_INDEX_CACHE: dict[tuple, dict] = {}


def _data_format(data_format: str | None) -> str:
    if data_format is None:
        return backend.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "Expected data_format to be one of `channels_first` or `channels_last`. "
            f"Received: data_format={data_format}"
        )
    return data_format


def preprocess_input(x: Any, data_format: str | None = None, mode: str = "caffe") -> Any:
    """Prepares a batch of images (values in [0, 255]) for an ImageNet model.

    Args:
        x: A 3D or 4D NumPy array, torch tensor or symbolic tensor with 3 color channels.
            A floating-point NumPy array is overwritten with the result (use
            ``numpy.copy(x)`` to keep it); tensors are never modified.
        data_format: ``"channels_last"`` or ``"channels_first"``; by default
            ``keras.backend.image_data_format()``.
        mode: ``"caffe"``, ``"tf"`` or ``"torch"`` (see the module docstring).

    Returns:
        The preprocessed images, as floating point.

    Raises:
        ValueError: For an unknown `mode` or `data_format`.

    Example:

    >>> import numpy as np
    >>> preprocess_input(np.full((1, 2, 2, 3), 255.0), mode="tf")[0, 0, 0]
    array([1., 1., 1.])
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(
            f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}"
        )
    data_format = _data_format(data_format)
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if isinstance(x, np.ndarray):
        return _preprocess_array(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _channel_axis(ndim: int, data_format: str) -> int:
    if data_format == "channels_last":
        return ndim - 1
    return 0 if ndim == 3 else 1


def _preprocess_array(x: np.ndarray, data_format: str, mode: str) -> np.ndarray:
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    axis = _channel_axis(x.ndim, data_format)
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        x = np.flip(x, axis=axis)  # RGB -> BGR (a view, as Keras returns)
        mean, std = _CAFFE_MEAN_BGR, None
    index: list[Any] = [slice(None)] * x.ndim
    for c in range(3):
        index[axis] = c
        x[tuple(index)] -= mean[c]
        if std is not None:
            x[tuple(index)] /= std[c]
    return x


def _preprocess_tensor(x: Any, data_format: str, mode: str) -> Any:

    if not backend.is_float_dtype(getattr(x, "dtype", None)):
        x = ops.cast(x, backend.floatx())
    if mode == "tf":
        return x / 127.5 - 1.0
    ndim = len(x.shape)
    axis = _channel_axis(ndim, data_format)
    shape = [1] * ndim
    shape[axis] = 3
    if data_format == "channels_first" and ndim == 4:
        shape[0] = 1
    if mode == "torch":
        mean = ops.reshape(ops.convert_to_tensor(np.array(_TORCH_MEAN), dtype=x.dtype), shape)
        std = ops.reshape(ops.convert_to_tensor(np.array(_TORCH_STD), dtype=x.dtype), shape)
        return (x / 255.0 - mean) / std
    x = ops.flip(x, axis=axis)
    mean = ops.reshape(ops.convert_to_tensor(np.array(_CAFFE_MEAN_BGR), dtype=x.dtype), shape)
    return x - mean


def _class_index() -> dict:

    path = get_file(
        CLASS_INDEX_FILE,
        CLASS_INDEX_ORIGIN,
        cache_subdir="models",
        file_hash=CLASS_INDEX_HASH,
    )
    stat = os.stat(path)
    key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _CLASS_INDEX_CACHE:
        try:
            with open(path, encoding="utf-8") as f:
                index = json.load(f)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(
                f"The ImageNet class index {path} cannot be read ({e}); delete it so that "
                f"it is downloaded again from {CLASS_INDEX_ORIGIN}."
            ) from e
        if not isinstance(index, dict):
            raise ValueError(f"The ImageNet class index {path} is not a JSON object.")
        _CLASS_INDEX_CACHE[key] = index
    return _CLASS_INDEX_CACHE[key]


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple]]:
    """Turns ImageNet class scores into ``(class_id, class_name, score)`` tuples.

    The class names come from ``imagenet_class_index.json`` in Keras's cache folder
    (``~/.keras/models/`` or ``$KERAS_HOME/models/``), downloaded on first use.

    Args:
        preds: Scores of shape ``(samples, 1000)`` (NumPy array or tensor).
        top: How many classes to return per sample, best first.

    Returns:
        One list of `top` tuples per sample.

    Raises:
        ValueError: If `preds` is not of shape ``(samples, 1000)``.
    """
    shape = tuple(preds.shape)
    if len(shape) != 2 or shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
            f"(samples, 1000)). Received array with shape: {shape}"
        )
    index = _class_index()

    preds = np.asarray(ops.convert_to_numpy(preds))
    results = []
    for row in preds:
        best = row.argsort()[-top:][::-1] if top > 0 else []
        entries = [tuple(index[str(i)]) + (row[i],) for i in best]
        entries.sort(key=lambda entry: entry[2], reverse=True)
        results.append(entries)
    return results


# ------------------------------------------------------------ rules shared by the builders
def obtain_input_shape(
    input_shape: Any,
    default_size: int,
    min_size: int,
    data_format: str,
    require_flatten: bool,
    weights: Any = None,
) -> tuple:
    """The image shape an architecture is built for, checked against its constraints.

    Without `input_shape`, the default size (``require_flatten``: the head needs a fixed
    size) or an open ``(None, None, 3)``. With ImageNet weights and the classifier head
    the shape must be the default one; the spatial size must be at least `min_size`.

    Example:

    >>> obtain_input_shape(None, 224, 32, "channels_last", require_flatten=False)
    (None, None, 3)
    >>> obtain_input_shape((64, 64, 3), 224, 32, "channels_last", require_flatten=True)
    (64, 64, 3)
    """
    channels_first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed "
                f"an input_shape with {channels} input channels.",
                stacklevel=3,
            )
        spatial = (default_size, default_size)
        default_shape = (channels, *spatial) if channels_first else (*spatial, channels)
    else:
        spatial = (default_size, default_size)
        default_shape = (3, *spatial) if channels_first else (*spatial, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, "
                f"`input_shape` should be {default_shape}.  Received: input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels = input_shape[0] if channels_first else input_shape[-1]
        rows, cols = input_shape[1:] if channels_first else input_shape[:2]
        if channels != 3 and weights == "imagenet":
            raise ValueError(
                f"The input must have 3 channels; Received `input_shape={input_shape}`"
            )
        if (rows is not None and rows < min_size) or (cols is not None and cols < min_size):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}; Received: "
                f"input_shape={input_shape}"
            )
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape


def correct_pad(inputs: Any, kernel_size: int | tuple) -> tuple:
    """Zero padding ``((top, bottom), (left, right))`` that makes a strided 'valid'
    convolution behave like TensorFlow's 'same' one (pad more after than before)."""

    first = 2 if backend.image_data_format() == "channels_first" else 1
    rows, cols = inputs.shape[first : first + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation: Any, weights: Any) -> None:
    """With pretrained weights the classifier may only end in softmax or nothing."""
    if weights is None:
        return

    fn = activations.get(classifier_activation)
    if fn not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the "
            "`classifier_activation` argument when using pretrained weights, with "
            f"`include_top=True`; Received: classifier_activation={classifier_activation}"
        )
