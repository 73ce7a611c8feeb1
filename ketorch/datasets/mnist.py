"""MNIST: 70,000 28x28 grayscale images of handwritten digits (Keras's ``mnist.npz``)."""

from __future__ import annotations

import numpy as np

from ketorch.datasets._safe_arrays import read_arrays
from ketorch.datasets._splits import TF_KERAS_DATASETS
from ketorch.utils.file_utils import get_file

__all__ = ["load_data"]

ORIGIN = TF_KERAS_DATASETS + "mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(
    path: str = "mnist.npz",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads MNIST, downloading it into Keras's cache if it is not there.

    Args:
        path: Name of the file in the cache folder (``~/.keras/datasets``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``uint8`` images of shape
        ``(60000, 28, 28)`` and ``(10000, 28, 28)`` with pixel values 0-255,
        and ``uint8`` digit labels 0-9 of shape ``(60000,)`` and ``(10000,)``.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = ketorch.datasets.mnist.load_data()
    x_train = x_train.astype("float32") / 255.0
    ```
    """
    path = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    x_train, y_train, x_test, y_test = read_arrays(path, ["x_train", "y_train", "x_test", "y_test"])
    return (x_train, y_train), (x_test, y_test)
