"""Keras 2 text preprocessing: the word-index `Tokenizer` and its helper functions.

Keras 3 keeps these only under a private path; tutorials written for tf.keras 2
import them from ``keras.preprocessing.text``. The outputs (indices, matrices,
JSON) are the same as Keras's for the same inputs.
"""

from __future__ import annotations

import collections
import hashlib
import json
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

# Every ASCII punctuation character except the apostrophe, plus tab and newline.
DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'

_MATRIX_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(
    input_text: str, filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " "
) -> list[str]:
    """Split a sentence into a list of words.

    Args:
        input_text: The text to split.
        filters: Characters replaced by ``split`` before splitting.
        lower: Whether to lowercase the text first.
        split: The word separator.

    Returns:
        The non-empty words, in order.

    Example:
        >>> text_to_word_sequence("The cat, the HAT.")
        ['the', 'cat', 'the', 'hat']
    """
    if lower:
        input_text = input_text.lower()
    table = str.maketrans(dict.fromkeys(filters, split))
    return [word for word in input_text.translate(table).split(split) if word]


def hashing_trick(
    text: str,
    n: int,
    hash_function: Callable[[str], int] | str | None = None,
    filters: str = DEFAULT_FILTERS,
    lower: bool = True,
    split: str = " ",
    analyzer: Callable[[str], list[str]] | None = None,
) -> list[int]:
    """Map each word of ``text`` to an index in ``[1, n)`` by hashing.

    Args:
        text: The text to encode.
        n: The size of the hashing space (index 0 is never produced).
        hash_function: A callable from string to int, ``"md5"`` for a stable
            hash, or None for Python's ``hash`` (which varies between processes
            unless ``PYTHONHASHSEED`` is fixed).
        filters: Characters removed before splitting.
        lower: Whether to lowercase first.
        split: The word separator.
        analyzer: Optional callable that splits the text instead.

    Returns:
        One index per word.

    Example:
        >>> hashing_trick("a b a", 10, hash_function="md5")
        [2, 5, 2]
    """
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5_hash
    words = (
        analyzer(text)
        if analyzer is not None
        else text_to_word_sequence(text, filters, lower, split)
    )
    return [hash_function(word) % (n - 1) + 1 for word in words]


def _md5_hash(word: str) -> int:
    return int(hashlib.md5(word.encode()).hexdigest(), 16)


def one_hot(
    input_text: str,
    n: int,
    filters: str = DEFAULT_FILTERS,
    lower: bool = True,
    split: str = " ",
    analyzer: Callable[[str], list[str]] | None = None,
) -> list[int]:
    """Hash each word to an index in ``[1, n)`` with Python's ``hash``.

    Despite the name this is not a one-hot encoding: it is ``hashing_trick``
    with the built-in hash, kept under its Keras 2 name.

    Args:
        input_text: The text to encode.
        n: The size of the hashing space.
        filters: Characters removed before splitting.
        lower: Whether to lowercase first.
        split: The word separator.
        analyzer: Optional callable that splits the text instead.

    Returns:
        One index per word.
    """
    return hashing_trick(input_text, n, hash, filters, lower, split, analyzer)


class Tokenizer:
    """Turn texts into sequences of word indices, or into count matrices.

    Words are indexed by descending frequency (ties keep the order in which
    they were first seen), starting at 1; index 0 is never assigned. With
    ``oov_token`` set, that token takes index 1 and unknown words map to it.

    Args:
        num_words: If set, only words with index ``< num_words`` are kept by
            ``texts_to_sequences`` and the matrix methods (the most frequent
            ``num_words - 1`` words). ``word_index`` still holds every word.
        filters: Characters removed from the texts before splitting.
        lower: Whether to lowercase the texts.
        split: The word separator.
        char_level: If True, every character is a token (no filtering).
        oov_token: Optional token standing for out-of-vocabulary words.
        analyzer: Optional callable splitting a text into tokens, used
            instead of ``filters``/``lower``/``split``.
        **kwargs: ``nb_words`` (the old name of ``num_words``, with a
            warning) and ``document_count`` (used when restoring from JSON).

    Example:
        >>> tok = Tokenizer(oov_token="<unk>")
        >>> tok.fit_on_texts(["the cat sat", "the dog"])
        >>> tok.word_index
        {'<unk>': 1, 'the': 2, 'cat': 3, 'sat': 4, 'dog': 5}
        >>> tok.texts_to_sequences(["the bird sat"])
        [[2, 1, 4]]
    """

    def __init__(
        self,
        num_words: int | None = None,
        filters: str = DEFAULT_FILTERS,
        lower: bool = True,
        split: str = " ",
        char_level: bool = False,
        oov_token: str | None = None,
        analyzer: Callable[[str], list[str]] | None = None,
        **kwargs,
    ):
        if "nb_words" in kwargs:
            warnings.warn(
                "The `nb_words` argument of `Tokenizer` was renamed `num_words`.", stacklevel=2
            )
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments for Tokenizer. Received: {kwargs}")
        if num_words is not None and (not isinstance(num_words, int) or num_words < 0):
            raise ValueError(
                f"Argument `num_words` must be None or a non-negative integer. Received: num_words={num_words!r}"
            )
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.analyzer = analyzer
        self.document_count = document_count
        self.word_counts: dict[str, int] = collections.OrderedDict()
        self.word_docs: dict[str, int] = collections.defaultdict(int)
        self.index_docs: dict[int, int] = collections.defaultdict(int)
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}

    # ------------------------------------------------------------- tokenizing
    def _tokens(self, text) -> list[str] | str:
        """The tokens of one text (a list item counts as already tokenized)."""
        if self.char_level or isinstance(text, list):
            if self.lower:
                return [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    # ---------------------------------------------------------------- fitting
    def fit_on_texts(self, texts: Iterable[str | list[str]]) -> None:
        """Count the words of ``texts`` and rebuild ``word_index``.

        Args:
            texts: Strings, or lists of tokens.
        """
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1
        by_count = sorted(self.word_counts.items(), key=lambda item: -item[1])  # stable
        vocabulary = [] if self.oov_token is None else [self.oov_token]
        vocabulary.extend(word for word, _ in by_count)
        self.word_index = dict(zip(vocabulary, range(1, len(vocabulary) + 1)))
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, docs in list(self.word_docs.items()):
            self.index_docs[self.word_index[word]] = docs

    def fit_on_sequences(self, sequences: Sequence[Sequence[int]]) -> None:
        """Update document frequencies from sequences of indices (for ``tfidf``).

        Args:
            sequences: Sequences of word indices.
        """
        self.document_count += len(sequences)
        for seq in sequences:
            for index in set(seq):
                self.index_docs[index] += 1

    # ------------------------------------------------------------ conversion
    def texts_to_sequences(self, texts: Iterable[str | list[str]]) -> list[list[int]]:
        """Convert each text to a list of word indices.

        Args:
            texts: Strings, or lists of tokens.

        Returns:
            One list of indices per text. Unknown words, and words whose index
            is ``>= num_words``, are dropped (or become the OOV index).
        """
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts: Iterable[str | list[str]]) -> Iterator[list[int]]:
        """Like ``texts_to_sequences`` but yields one sequence at a time."""
        limit = self.num_words
        oov_index = self.word_index.get(self.oov_token)
        for text in texts:
            seq = []
            for token in self._tokens(text):
                index = self.word_index.get(token)
                if index is None:
                    if self.oov_token is not None:
                        seq.append(oov_index)
                elif limit and index >= limit:
                    if oov_index is not None:
                        seq.append(oov_index)
                else:
                    seq.append(index)
            yield seq

    def sequences_to_texts(self, sequences: Iterable[Sequence[int]]) -> list[str]:
        """Convert sequences of indices back to space-joined texts.

        Args:
            sequences: Sequences of word indices.

        Returns:
            One string per sequence.
        """
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences: Iterable[Sequence[int]]) -> Iterator[str]:
        """Like ``sequences_to_texts`` but yields one text at a time."""
        limit = self.num_words
        oov_index = self.word_index.get(self.oov_token)
        for seq in sequences:
            words = []
            for index in seq:
                word = self.index_word.get(index)
                if word is None:
                    if self.oov_token is not None:
                        words.append(self.index_word[oov_index])
                elif limit and index >= limit:
                    if oov_index is not None:
                        words.append(self.index_word[oov_index])
                else:
                    words.append(word)
            yield " ".join(words)

    def texts_to_matrix(self, texts: Iterable[str | list[str]], mode: str = "binary") -> np.ndarray:
        """Vectorize texts as a ``(len(texts), num_words)`` matrix.

        Args:
            texts: Strings, or lists of tokens.
            mode: ``"binary"``, ``"count"``, ``"tfidf"`` or ``"freq"``.

        Returns:
            A float64 numpy array.
        """
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(
        self, sequences: Sequence[Sequence[int]], mode: str = "binary"
    ) -> np.ndarray:
        """Vectorize index sequences as a ``(len(sequences), num_words)`` matrix.

        Column ``j`` is word index ``j`` (column 0 is never set). Modes:
        ``"binary"`` (1 if present), ``"count"``, ``"freq"`` (count divided by
        the sequence length) and ``"tfidf"`` (``(1 + log(count)) *
        log(1 + document_count / (1 + document frequency))``).

        Args:
            sequences: Sequences of word indices.
            mode: ``"binary"``, ``"count"``, ``"tfidf"`` or ``"freq"``.

        Returns:
            A float64 numpy array; the width is ``num_words``, or
            ``len(word_index) + 1`` when ``num_words`` is not set.
        """
        if mode not in _MATRIX_MODES:
            raise ValueError(
                f"Argument `mode` must be one of {_MATRIX_MODES}. Received: mode={mode!r}"
            )
        if self.num_words:
            width = self.num_words
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError(
                "Tokenizer.sequences_to_matrix needs a width: set `num_words` or fit the "
                "tokenizer on some texts first. Received: num_words=None and an empty word_index"
            )
        if mode == "tfidf" and not self.document_count:
            raise ValueError(
                "The 'tfidf' mode needs document frequencies: fit the Tokenizer first. "
                f"Received: document_count={self.document_count}"
            )
        matrix = np.zeros((len(sequences), width))
        for row, seq in enumerate(sequences):
            if not seq:
                continue
            counts = collections.Counter(j for j in seq if j < width)
            for j, count in counts.items():
                if mode == "count":
                    matrix[row, j] = count
                elif mode == "freq":
                    matrix[row, j] = count / len(seq)
                elif mode == "binary":
                    matrix[row, j] = 1
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    matrix[row, j] = (1 + np.log(count)) * idf
        return matrix

    # ---------------------------------------------------------- serializing
    def get_config(self) -> dict:
        """The tokenizer's settings and tables (tables as JSON strings, as Keras)."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs) -> str:
        """Serialize the tokenizer to a JSON string (read back by ``tokenizer_from_json``).

        Args:
            **kwargs: Passed to ``json.dumps``.

        Returns:
            A JSON string.
        """
        return json.dumps(
            {"class_name": type(self).__name__, "config": self.get_config()}, **kwargs
        )


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """Rebuild a `Tokenizer` from the output of ``Tokenizer.to_json``.

    Args:
        json_string: The JSON string.

    Returns:
        A `Tokenizer` with the same settings and tables.

    Example:
        >>> tok = Tokenizer()
        >>> tok.fit_on_texts(["a b b"])
        >>> tokenizer_from_json(tok.to_json()).word_index
        {'b': 1, 'a': 2}
    """
    config = dict(json.loads(json_string).get("config"))
    word_counts = json.loads(config.pop("word_counts"))
    word_docs = json.loads(config.pop("word_docs"))
    index_docs = {int(k): v for k, v in json.loads(config.pop("index_docs")).items()}
    index_word = {int(k): v for k, v in json.loads(config.pop("index_word")).items()}
    word_index = json.loads(config.pop("word_index"))
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = word_counts
    tokenizer.word_docs = word_docs
    tokenizer.index_docs = index_docs
    tokenizer.word_index = word_index
    tokenizer.index_word = index_word
    return tokenizer


__all__ = [
    "Tokenizer",
    "hashing_trick",
    "one_hot",
    "text_to_word_sequence",
    "tokenizer_from_json",
]
