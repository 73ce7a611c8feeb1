"""What IMDB and Reuters share: index shifting, length and vocabulary limits."""

from __future__ import annotations

import numpy as np


def shift_indices(seqs, start_char: int | None, index_from: int) -> list[list]:
    """Adds `index_from` to every word index and puts `start_char` first (unless None)."""
    head = [] if start_char is None else [start_char]
    if not index_from:
        return [head + list(seq) for seq in seqs]
    return [head + [w + index_from for w in seq] for seq in seqs]


def keep_shorter(seqs: list[list], labels: np.ndarray, maxlen: int | None):
    """Keeps the sequences strictly shorter than `maxlen` (all of them when it is falsy)."""
    if not maxlen:
        return seqs, labels
    keep = [len(seq) < maxlen for seq in seqs]
    return [s for s, k in zip(seqs, keep) if k], labels[np.asarray(keep, dtype=bool)]


def limit_vocabulary(
    seqs: list[list], num_words: int | None, skip_top: int, oov_char: int | None
) -> list[list]:
    """Maps the indices outside ``[skip_top, num_words)`` to `oov_char`, or drops them."""
    if not num_words:
        num_words = max(max(seq) for seq in seqs)
    if oov_char is None:
        return [[w for w in seq if skip_top <= w < num_words] for seq in seqs]
    return [[w if skip_top <= w < num_words else oov_char for w in seq] for seq in seqs]


def as_object_array(seqs: list[list]) -> np.ndarray:
    """A 1-D object array of lists, even when the lists happen to be of equal lengths."""
    out = np.empty(len(seqs), dtype=object)
    for i, seq in enumerate(seqs):
        out[i] = seq
    return out
