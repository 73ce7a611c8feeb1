"""California housing prices: 20,640 districts, 8 features, the median house value."""

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

ORIGIN = TF_KERAS_DATASETS + "california_housing.npz"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"
_SMALL = 600


def load_data(
    version: str = "large",
    path: str = "california_housing.npz",
    test_split: float = 0.2,
    seed: int = 113,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the California housing data, downloading it into Keras's cache if needed.

    Args:
        version: ``"large"`` (all 20,640 districts) or ``"small"`` (the first 600).
        path: Name of the file in the cache folder (``~/.keras/datasets``).
        test_split: Fraction of the (shuffled) districts kept for testing, in [0, 1).
        seed: Seed of the shuffling.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: features of shape ``(n, 8)`` and
        median house values of shape ``(n,)``, as floats.
    """
    check_test_split(test_split)
    if version not in ("large", "small"):
        raise ValueError(f"`version` must be 'small' or 'large'. Received: version={version}")
    path = get_file(path, origin=ORIGIN, file_hash=FILE_HASH)
    x, y = read_arrays(path, ["x", "y"])
    if version == "small":
        x, y = x[:_SMALL], y[:_SMALL]
    x, y = shuffle_pair(np.random.RandomState(seed), x, y)
    cut = split_point(len(x), test_split)
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
