"""TextVectorization: raw strings to token indices or bag-of-words vectors, without TensorFlow."""

from __future__ import annotations

import os
import re
import string

import numpy as np
import torch

from ..layer import Layer
from . import vocabulary_file
from .index_lookup import encode_ids, standardize_output_mode
from .string_lookup import StringLookup, to_string_array

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
# Keras (through TensorFlow) lowercases ASCII letters only and strips ASCII punctuation only.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_STRIP_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ASCII_WHITESPACE = re.compile(r"[ \t\n\r\x0b\x0c]+")


def _validate_choice(value, allowed, arg, allow_none=True):
    if value is None and allow_none or callable(value) or value in allowed:
        return
    raise ValueError(
        f"Argument `{arg}` of TextVectorization must be one of {allowed}, None or a callable. "
        f"Received: {arg}={value!r}"
    )


class TextVectorization(Layer):
    """Turn raw strings into sequences of token indices or into dense vectors.

    Each string is standardized (``"lower_and_strip_punctuation"`` by
    default: ASCII lowercase, ASCII punctuation removed), split into tokens
    (on whitespace by default), optionally expanded into n-grams, then looked
    up in a vocabulary built by ``adapt()`` or given as ``vocabulary``.

    The layer runs in Python on strings (lists, numpy str/bytes arrays), so
    apply it to the raw data and feed its output to the model:
    ``model.fit(vectorizer(texts), y)``. It returns torch tensors: int64 in
    ``"int"`` mode, float32 otherwise.

    Args:
        max_tokens: Maximum vocabulary size, counting the mask ``""`` and the
            OOV token ``"[UNK]"`` in int mode (only ``"[UNK]"`` otherwise).
        standardize: ``"lower_and_strip_punctuation"``, ``"lower"``,
            ``"strip_punctuation"``, None, or a callable receiving a numpy
            array of str and returning one of the same shape.
        split: ``"whitespace"``, ``"character"``, None (each input string is
            one token), or a callable receiving the 1D numpy array of
            standardized strings and returning one list of tokens per string.
        ngrams: None, an integer n (all 1..n-grams) or a tuple of widths.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``
            (``"one_hot"`` only with ``split=None``).
        output_sequence_length: In int mode, pad (with 0) or truncate every
            sequence at its end to this length. Without it, a batch is padded
            to its longest sequence.
        pad_to_max_tokens: In the encoded modes, output ``max_tokens`` columns.
        vocabulary: Optional list/array of tokens or a file path.
        idf_weights: IDF weights to use with ``vocabulary`` in tf_idf mode.
        sparse: Must be False on torch.
        ragged: Must be False on torch.
        encoding: Text encoding of bytes inputs.
        **kwargs: Base layer arguments.

    Example:
        >>> vectorizer = TextVectorization(output_sequence_length=4)
        >>> vectorizer.adapt(["The cat sat.", "The dog!"])
        >>> vectorizer.get_vocabulary()
        ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
        >>> vectorizer(["the cat ran"])
        tensor([[2, 5, 1, 0]])
    """

    def __init__(
        self,
        max_tokens=None,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        output_mode="int",
        output_sequence_length=None,
        pad_to_max_tokens=False,
        vocabulary=None,
        idf_weights=None,
        sparse=False,
        ragged=False,
        encoding="utf-8",
        **kwargs,
    ):
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        super().__init__(**kwargs)
        if isinstance(vocabulary, (str, os.PathLike)):  # name this layer, not its inner lookup
            vocabulary_file.check_path_allowed(self, "vocabulary", vocabulary)
        _validate_choice(standardize, _STANDARDIZE, "standardize")
        _validate_choice(split, _SPLIT, "split")
        output_mode = standardize_output_mode(output_mode, "TextVectorization")
        if output_mode == "one_hot" and split is not None:
            raise ValueError(
                "TextVectorization supports output_mode='one_hot' only with split=None (one token "
                f"per input string). Received: output_mode='one_hot', split={split!r}"
            )
        valid_ngrams = (
            ngrams is None
            or isinstance(ngrams, int)
            and ngrams > 0
            or isinstance(ngrams, tuple)
            and all(isinstance(n, int) and n > 0 for n in ngrams)
        )
        if not valid_ngrams:
            raise ValueError(
                "Argument `ngrams` of TextVectorization must be None, a positive integer or a tuple "
                f"of positive integers. Received: ngrams={ngrams!r}"
            )
        if output_sequence_length is not None and (
            output_mode != "int"
            or not isinstance(output_sequence_length, int)
            or output_sequence_length < 0
        ):
            raise ValueError(
                "Argument `output_sequence_length` of TextVectorization must be None, or a "
                f"non-negative integer with output_mode='int'. Received: output_sequence_length="
                f"{output_sequence_length!r} with output_mode={output_mode!r}"
            )
        if ragged:
            raise ValueError(
                "TextVectorization cannot return ragged tensors on torch; int outputs are padded "
                f"with 0. Received: ragged={ragged!r}"
            )
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            sparse=sparse,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
            has_input_vocabulary=has_input_vocabulary,
            name=f"{self.name}_lookup",
        )
        self.built = True

    # ------------------------------------------------------------ vocabulary
    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Build the vocabulary from texts, most frequent tokens first.

        Args:
            data: A list or numpy array of strings (each one a document), or
                an iterable of such batches (e.g. a generator).
            batch_size: Accepted for Keras compatibility; unused.
            steps: With an iterable, the number of batches to read.
        """
        lookup = self._lookup_layer
        lookup.reset_state()
        if isinstance(data, (list, tuple, np.ndarray)):
            self.update_state(data)
        else:
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        lookup.finalize_state()

    def update_state(self, data) -> None:
        """Count the tokens of one batch of texts."""
        self._lookup_layer.count_documents(self._tokenize(data))

    def finalize_state(self) -> None:
        self._lookup_layer.finalize_state()

    def reset_state(self) -> None:
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The vocabulary, index by index (``""`` and ``"[UNK]"`` first in int mode)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Set the vocabulary (and IDF weights in tf_idf mode) directly.

        Args:
            vocabulary: A list/array of tokens, or a file with one per line.
            idf_weights: One IDF weight per vocabulary entry (tf_idf only).
        """
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def vocabulary_size(self) -> int:
        """The vocabulary size, special tokens included."""
        return self._lookup_layer.vocabulary_size()

    # ------------------------------------------------------------ text -> tokens
    def _standardized(self, strings: np.ndarray) -> np.ndarray:
        mode = self._standardize
        if callable(mode):
            return np.asarray(mode(strings.astype(str)), dtype=object).reshape(strings.shape)
        out = strings.copy()
        flat = out.reshape(-1)
        for i, s in enumerate(flat):
            if mode in ("lower", "lower_and_strip_punctuation"):
                s = s.translate(_ASCII_LOWER)
            if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
                s = s.translate(_STRIP_PUNCTUATION)
            flat[i] = s
        return out

    def _tokenize(self, inputs) -> list[list[str]]:
        """One token list per input string (after standardize, split and ngrams)."""
        strings = to_string_array(inputs, self._encoding)
        if strings.ndim == 0:
            strings = strings.reshape(1)
        if self._split is not None and strings.ndim > 1:
            if strings.shape[-1] != 1 or strings.ndim > 2:
                raise ValueError(
                    "TextVectorization splits one string per sample: the input must be 1D or have "
                    f"a last dimension of 1. Received: inputs.shape={strings.shape}"
                )
            strings = strings[:, 0]
        strings = self._standardized(strings)
        if self._split is None:
            docs = [list(row) for row in strings.reshape(len(strings), -1)]
        elif self._split == "whitespace":
            docs = [[t for t in _ASCII_WHITESPACE.split(s) if t] for s in strings]
        elif self._split == "character":
            docs = [list(s) for s in strings]
        else:
            docs = [[str(t) for t in tokens] for tokens in self._split(strings.astype(str))]
        if self._ngrams is not None:
            docs = [_ngrams(doc, self._ngrams) for doc in docs]
        return docs

    # ------------------------------------------------------------ calling
    def __call__(self, inputs, **kwargs):
        return self.call(inputs)

    def call(self, inputs):
        scalar = np.ndim(inputs) == 0 and not isinstance(inputs, (list, tuple))
        docs = self._tokenize(inputs)
        lookup = self._lookup_layer
        if self._output_mode == "int":
            ids = [[lookup._lookup_python(t) for t in doc] for doc in docs]
            width = self._output_sequence_length
            if width is None:
                width = max((len(r) for r in ids), default=0)
            out = np.zeros((len(ids), width), dtype=np.int64)
            for row, seq in enumerate(ids):
                seq = seq[:width]
                out[row, : len(seq)] = seq
            result = torch.from_numpy(out)
        else:
            depth = lookup._depth()
            counts = np.zeros((len(docs), depth), dtype=np.float32)
            for row, doc in enumerate(docs):
                for t in doc:
                    j = lookup._lookup_python(t)
                    if 0 <= j < depth:
                        counts[row, j] += 1
            if self._output_mode == "one_hot":
                result = encode_ids(torch.from_numpy(counts.argmax(-1)), "one_hot", depth, None)
                result = result * torch.from_numpy(counts.max(-1, keepdims=True) > 0)
            elif self._output_mode == "multi_hot":
                result = torch.from_numpy((counts > 0).astype(np.float32))
            elif self._output_mode == "count":
                result = torch.from_numpy(counts)
            else:
                result = torch.from_numpy(counts) * lookup.idf_weights
        return result[0] if scalar else result

    def compute_output_shape(self, input_shape):
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        depth = (
            self._lookup_layer.max_tokens
            if self._lookup_layer.pad_to_max_tokens
            else self.vocabulary_size()
        )
        return (input_shape[0], depth)

    # ------------------------------------------------------------ saving
    def get_config(self):
        config = super().get_config()
        lookup = self._lookup_layer
        config.update(
            {
                "max_tokens": lookup.max_tokens,
                "standardize": self._standardize,
                "split": self._split,
                "ngrams": self._ngrams_arg,
                "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens,
                "sparse": False,
                "ragged": False,
                "vocabulary": lookup.get_config()["vocabulary"],
                "idf_weights": lookup.get_config()["idf_weights"],
                "encoding": self._encoding,
                "vocabulary_size": self.vocabulary_size(),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def save_own_variables(self, store) -> None:
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store) -> None:
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path) -> None:
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path) -> None:
        self._lookup_layer.load_assets(dir_path)


def _ngrams(tokens: list[str], widths: tuple[int, ...]) -> list[str]:
    """All n-grams of each width in turn, joined by spaces (shorter sequences give none)."""
    out = []
    for n in widths:
        out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out
