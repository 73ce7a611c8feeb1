"""Seeded shuffling and train/test splitting, in the order Keras's loaders use."""

from __future__ import annotations

import numpy as np

TF_KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def shuffle_pair(rng: np.random.RandomState, x, y):
    """`x` and `y` reordered by one permutation drawn from `rng`."""
    order = rng.permutation(len(x))
    return x[order], y[order]


def check_test_split(test_split: float) -> None:
    if not 0 <= test_split < 1:
        raise ValueError(
            f"`test_split` must be in [0, 1) (the fraction of the data kept for testing). "
            f"Received: test_split={test_split}"
        )


def split_point(n: int, test_split: float) -> int:
    """Number of leading samples that form the training set."""
    return int(n * (1 - test_split))
