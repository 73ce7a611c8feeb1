"""IMDB movie reviews: 50,000 reviews as word-index sequences, labelled positive or negative."""

from __future__ import annotations

import json
import warnings

import numpy as np

from ketorch.datasets._safe_arrays import read_arrays
from ketorch.datasets._sequences import (
    as_object_array,
    keep_shorter,
    limit_vocabulary,
    shift_indices,
)
from ketorch.datasets._splits import TF_KERAS_DATASETS, shuffle_pair
from ketorch.utils.file_utils import get_file

__all__ = ["load_data", "get_word_index"]

ORIGIN = TF_KERAS_DATASETS + "imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_ORIGIN = TF_KERAS_DATASETS + "imdb_word_index.json"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(
    path: str = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    **kwargs,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the IMDB reviews, downloading them into Keras's cache if they are not there.

    Words are indexed by frequency (1 is the most frequent word of the data
    set), then shifted by `index_from` so that 0, `start_char` and `oov_char`
    keep their meanings.

    Args:
        path: Name of the file in the cache folder (``~/.keras/datasets``).
        num_words: Keep the words whose (shifted) index is below this; the
            others become `oov_char`. None keeps every word.
        skip_top: The (shifted) indices below this become `oov_char` too.
        maxlen: Keep only the reviews shorter than this (counting `start_char`).
        seed: Seed of the shuffling of each split.
        start_char: Index put at the start of every review; None for none.
        oov_char: Index of removed words; None drops them instead.
        index_from: Offset added to every word index.
        **kwargs: ``nb_words`` (Keras 1's name of `num_words`) is accepted.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: 25,000 reviews each (fewer with
        `maxlen`), ``x`` a 1-D object array of lists of ints and ``y`` an
        ``int64`` array of 0/1 labels.

    Raises:
        ValueError: If `maxlen` leaves no review in a split.
    """
    if "nb_words" in kwargs:
        warnings.warn("`nb_words` is deprecated: use `num_words`.", stacklevel=2)
        num_words = kwargs.pop("nb_words")
    if kwargs:
        warnings.warn(
            f"Ignoring unknown arguments of imdb.load_data: {sorted(kwargs)}", stacklevel=2
        )
    path = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    x_train, y_train, x_test, y_test = read_arrays(path, ["x_train", "y_train", "x_test", "y_test"])

    rng = np.random.RandomState(seed)
    x_train, y_train = shuffle_pair(rng, x_train, y_train)
    x_test, y_test = shuffle_pair(rng, x_test, y_test)

    x_train = shift_indices(x_train, start_char, index_from)
    x_test = shift_indices(x_test, start_char, index_from)
    x_train, y_train = keep_shorter(x_train, y_train, maxlen)
    x_test, y_test = keep_shorter(x_test, y_test, maxlen)
    if not x_train or not x_test:
        raise ValueError(
            f"No review is shorter than maxlen={maxlen} in one of the splits: increase maxlen."
        )
    n_train = len(x_train)
    seqs = limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    return (
        (as_object_array(seqs[:n_train]), y_train),
        (as_object_array(seqs[n_train:]), y_test),
    )


def get_word_index(path: str = "imdb_word_index.json") -> dict[str, int]:
    """The word -> index dictionary of the IMDB data set (indices before `index_from`).

    Args:
        path: Name of the file in the cache folder (``~/.keras/datasets``).

    Example:

    ```python
    index = ketorch.datasets.imdb.get_word_index()
    words = {i + 3: w for w, i in index.items()}  # index_from=3
    ```
    """
    path = get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)
    with open(path, encoding="utf-8") as f:
        return json.load(f)
