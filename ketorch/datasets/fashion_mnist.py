"""Fashion-MNIST: 70,000 28x28 grayscale images of 10 kinds of clothing (IDX ``.gz`` files)."""

from __future__ import annotations

import gzip
import os

import numpy as np

from ketorch.datasets._splits import TF_KERAS_DATASETS
from ketorch.utils.file_utils import get_file

__all__ = ["load_data"]

FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")

# IDX magic numbers: unsigned bytes, with 1 (labels) or 3 (images) dimensions.
_LABELS_MAGIC, _IMAGES_MAGIC = 0x801, 0x803


def _read_idx(path: str, magic: int) -> np.ndarray:
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(
            f"{path!r} is not a valid gzip file ({e}); delete it to download it again."
        ) from e
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) >= header and int.from_bytes(raw[:4], "big") == magic:
        shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
        if int(np.prod(shape)) == len(raw) - header:
            return np.frombuffer(raw, np.uint8, offset=header).reshape(shape).copy()
    raise ValueError(
        f"{path!r} is not an IDX file of {ndim}-d unsigned bytes, or it is truncated; "
        "delete it to download it again."
    )


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads Fashion-MNIST, downloading it into Keras's cache if it is not there.

    The files are kept in ``~/.keras/datasets/fashion-mnist/``. Labels: 0 T-shirt/top,
    1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag,
    9 Ankle boot.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``uint8`` images of shape
        ``(60000, 28, 28)`` and ``(10000, 28, 28)``, and ``uint8`` labels 0-9 of
        shape ``(60000,)`` and ``(10000,)``.
    """
    paths = [
        get_file(name, origin=TF_KERAS_DATASETS + name, cache_subdir=CACHE_SUBDIR) for name in FILES
    ]
    y_train = _read_idx(paths[0], _LABELS_MAGIC)
    x_train = _read_idx(paths[1], _IMAGES_MAGIC)
    y_test = _read_idx(paths[2], _LABELS_MAGIC)
    x_test = _read_idx(paths[3], _IMAGES_MAGIC)
    for x, y, name in ((x_train, y_train, FILES[1]), (x_test, y_test, FILES[3])):
        if len(x) != len(y):
            raise ValueError(f"{name} holds {len(x)} images but its labels file {len(y)} labels.")
    return (x_train, y_train), (x_test, y_test)
