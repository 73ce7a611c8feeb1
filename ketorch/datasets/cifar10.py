"""CIFAR-10: 60,000 32x32 colour images in 10 classes."""

from __future__ import annotations

import os

import numpy as np

from ketorch.datasets.cifar import fetch_archive, load_batch, member_folder, to_image_format

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-10, downloading it into Keras's cache if it is not there.

    Classes: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog,
    7 horse, 8 ship, 9 truck.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``uint8`` images of shape
        ``(50000, 32, 32, 3)`` and ``(10000, 32, 32, 3)`` (channels first when
        ``image_data_format()`` is ``"channels_first"``), and ``uint8`` labels
        0-9 of shape ``(50000, 1)`` and ``(10000, 1)``.
    """
    extracted = fetch_archive(
        "cifar-10-batches-py-target", "cifar-10-batches-py", ORIGIN, FILE_HASH
    )
    folder = member_folder(extracted, "cifar-10-batches-py")
    parts = [load_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([data for data, _ in parts])
    y_train = np.concatenate([np.asarray(labels, dtype=np.uint8) for _, labels in parts])
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    y_test = np.asarray(y_test, dtype=np.uint8)
    return (
        (to_image_format(x_train), y_train.reshape(-1, 1)),
        (to_image_format(x_test), y_test.reshape(-1, 1)),
    )
