"""Reuters newswires: 11,228 newswires as word-index sequences, labelled with 46 topics."""

from __future__ import annotations

import json

import numpy as np

from ketorch.datasets._safe_arrays import read_arrays
from ketorch.datasets._sequences import (
    as_object_array,
    keep_shorter,
    limit_vocabulary,
    shift_indices,
)
from ketorch.datasets._splits import TF_KERAS_DATASETS, shuffle_pair, split_point
from ketorch.utils.file_utils import get_file

__all__ = ["load_data", "get_word_index", "get_label_names"]

ORIGIN = TF_KERAS_DATASETS + "reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_ORIGIN = TF_KERAS_DATASETS + "reuters_word_index.json"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"

_LABEL_NAMES = (
    "cocoa grain veg-oil earn acq wheat copper housing money-supply coffee sugar trade "
    "reserves ship cotton carcass crude nat-gas cpi money-fx interest gnp meal-feed alum "
    "oilseed gold tin strategic-metal livestock retail ipi iron-steel rubber heat jobs lei "
    "bop zinc orange pet-chem dlr gas silver wpi hog lead"
).split()


def load_data(
    path: str = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the Reuters newswires, downloading them into Keras's cache if they are not there.

    Args:
        path: Name of the file in the cache folder (``~/.keras/datasets``).
        num_words: Keep the words whose (shifted) index is below this; the
            others become `oov_char`. None keeps every word.
        skip_top: The (shifted) indices below this become `oov_char` too.
        maxlen: Keep only the newswires shorter than this.
        test_split: Fraction of the (shuffled) newswires kept for testing.
        seed: Seed of the shuffling.
        start_char: Index put at the start of every newswire; None for none.
        oov_char: Index of removed words; None drops them instead.
        index_from: Offset added to every word index.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` a 1-D object array of
        lists of ints, ``y`` an ``int64`` array of topic indices (0-45, see
        :func:`get_label_names`).
    """
    path = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    xs, labels = read_arrays(path, ["x", "y"])
    xs, labels = shuffle_pair(np.random.RandomState(seed), xs, labels)
    xs, labels = keep_shorter(shift_indices(xs, start_char, index_from), labels, maxlen)
    xs = limit_vocabulary(xs, num_words, skip_top, oov_char)
    cut = split_point(len(xs), test_split)
    return (
        (as_object_array(xs[:cut]), np.array(labels[:cut])),
        (as_object_array(xs[cut:]), np.array(labels[cut:])),
    )


def get_word_index(path: str = "reuters_word_index.json") -> dict[str, int]:
    """The word -> index dictionary of the Reuters data set (indices before `index_from`).

    Args:
        path: Name of the file in the cache folder (``~/.keras/datasets``).
    """
    path = get_file(path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def get_label_names() -> tuple[str, ...]:
    """The 46 topic names, in the order of the labels.

    >>> get_label_names()[:3]
    ('cocoa', 'grain', 'veg-oil')
    """
    return tuple(_LABEL_NAMES)
