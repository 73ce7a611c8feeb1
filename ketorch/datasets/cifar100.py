"""CIFAR-100: 60,000 32x32 colour images in 100 classes grouped into 20 superclasses."""

from __future__ import annotations

import os

import numpy as np

from ketorch.datasets.cifar import fetch_archive, load_batch, member_folder, to_image_format

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(
    label_mode: str = "fine",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-100, downloading it into Keras's cache if it is not there.

    Args:
        label_mode: ``"fine"`` for the 100 classes, ``"coarse"`` for the 20
            superclasses.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``uint8`` images of shape
        ``(50000, 32, 32, 3)`` and ``(10000, 32, 32, 3)`` (channels first when
        ``image_data_format()`` is ``"channels_first"``), and ``int64`` labels
        of shape ``(50000, 1)`` and ``(10000, 1)``.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be "fine" or "coarse". Received: label_mode={label_mode}'
        )
    extracted = fetch_archive("cifar-100-python-target", "cifar-100-python", ORIGIN, FILE_HASH)
    folder = member_folder(extracted, "cifar-100-python")
    out = []
    for split in ("train", "test"):
        x, labels = load_batch(os.path.join(folder, split), label_key=f"{label_mode}_labels")
        out.append((to_image_format(x), np.asarray(labels, dtype=np.int64).reshape(-1, 1)))
    return out[0], out[1]
