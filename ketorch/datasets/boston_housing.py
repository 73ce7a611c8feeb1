"""Boston housing prices: 506 houses, 13 features, the median value in k$."""

from __future__ import annotations

import numpy as np

from ketorch.datasets._safe_arrays import read_arrays
from ketorch.datasets._splits import (
    TF_KERAS_DATASETS,
    check_test_split,
    shuffle_pair,
    split_point,
)
from ketorch.utils.file_utils import get_file

__all__ = ["load_data"]

ORIGIN = TF_KERAS_DATASETS + "boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(
    path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the Boston housing data, downloading it into Keras's cache if it is not there.

    Args:
        path: Name of the file in the cache folder (``~/.keras/datasets``).
        test_split: Fraction of the (shuffled) houses kept for testing, in [0, 1).
        seed: Seed of the shuffling.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float features of shape
        ``(n, 13)`` and targets of shape ``(n,)`` (404 and 102 houses by default).
    """
    check_test_split(test_split)
    path = get_file(path, origin=ORIGIN, file_hash=FILE_HASH)
    x, y = read_arrays(path, ["x", "y"])
    x, y = shuffle_pair(np.random.RandomState(seed), x, y)
    cut = split_point(len(x), test_split)
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
