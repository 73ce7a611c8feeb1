"""Shared machinery of StringLookup, IntegerLookup and TextVectorization.

A vocabulary maps tokens to indices laid out as Keras does:
``[mask] [oov ...] [tokens by descending frequency]`` where the mask slot exists
only in ``"int"`` output mode. Lookups run in Python/numpy (strings) or torch
(integers); no TensorFlow is needed.
"""

from __future__ import annotations

import collections
import hashlib
import os

import numpy as np
import torch

from ..layer import Layer
from . import vocabulary_file

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_IGNORED = -1  # id of a mask token in a non-int mode: encodes to nothing


def standardize_output_mode(output_mode, layer_name):
    """Resolve Keras's aliases ("binary", "tf-idf") and validate."""
    if not isinstance(output_mode, str):
        raise ValueError(
            f"Argument `output_mode` of {layer_name} must be a string, one of {OUTPUT_MODES}. "
            f"Received: output_mode={output_mode!r}"
        )
    mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
    if mode not in OUTPUT_MODES:
        raise ValueError(
            f"Argument `output_mode` of {layer_name} must be one of {OUTPUT_MODES}. "
            f"Received: output_mode={output_mode!r}"
        )
    return mode


def stable_string_bucket(token: str, num_buckets: int) -> int:
    """A process-independent hash bucket for an out-of-vocabulary string."""
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % num_buckets


def encode_ids(ids: torch.Tensor, mode: str, depth: int, idf: torch.Tensor | None) -> torch.Tensor:
    """Encode integer ids (``-1`` = ignored) as one_hot / multi_hot / count / tf_idf vectors.

    one_hot adds a last axis (dropping a trailing axis of size 1); the other
    modes reduce the last axis, a rank-1 input being one sample.
    """
    if ids.ndim == 0:
        ids = ids.reshape(1)
    valid = (ids >= 0) & (ids < depth)
    safe = torch.where(valid, ids, torch.zeros((), dtype=ids.dtype, device=ids.device))
    weight = valid.to(torch.float32)
    if mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            safe, weight = safe.squeeze(-1), weight.squeeze(-1)
        out = torch.zeros((*safe.shape, depth), dtype=torch.float32, device=ids.device)
        return out.scatter_(-1, safe.unsqueeze(-1), weight.unsqueeze(-1))
    out = torch.zeros((*safe.shape[:-1], depth), dtype=torch.float32, device=ids.device)
    if mode == "multi_hot":
        return out.scatter_reduce_(-1, safe, weight, reduce="amax")
    out = out.scatter_add_(-1, safe, weight)
    if mode == "tf_idf":
        out = out * idf.to(out.device)
    return out


class IndexLookup(Layer):
    """Base class: vocabulary building (``adapt``), storage and encoding.

    Subclasses define ``_as_token`` (normalize one input element),
    ``_lookup`` (inputs to ids) and ``_invert`` (ids to tokens).
    """

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=None,
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        **kwargs,
    ):
        name = type(self).__name__
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(**kwargs)
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens <= 1):
            raise ValueError(
                f"Argument `max_tokens` of {name} must be None or an integer greater than 1. "
                f"Received: max_tokens={max_tokens!r}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                f"Argument `pad_to_max_tokens=True` of {name} needs `max_tokens` to be set. "
                f"Received: max_tokens={max_tokens!r}"
            )
        if not isinstance(num_oov_indices, int) or num_oov_indices < 0:
            raise ValueError(
                f"Argument `num_oov_indices` of {name} must be an integer >= 0. "
                f"Received: num_oov_indices={num_oov_indices!r}"
            )
        output_mode = standardize_output_mode(output_mode, name)
        if invert and output_mode != "int":
            raise ValueError(
                f"Argument `invert=True` of {name} needs output_mode='int'. "
                f"Received: output_mode={output_mode!r}"
            )
        if sparse:
            raise ValueError(
                f"{name} cannot produce sparse outputs on the torch backend. Received: sparse={sparse!r}"
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"Argument `idf_weights` of {name} is only used with output_mode='tf_idf'. "
                f"Received: output_mode={output_mode!r}"
            )
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError(
                f"With output_mode='tf_idf' and a `vocabulary`, {name} also needs `idf_weights`. "
                "Received: idf_weights=None"
            )
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = invert
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = pad_to_max_tokens
        is_path = isinstance(vocabulary, (str, os.PathLike))
        self.input_vocabulary = None if is_path else vocabulary
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._frozen_vocab_size = vocabulary_size
        self._tokens: list = []
        self._index: dict = {}
        self.idf_weights = None  # float32 tensor of length `depth` (tf_idf mode)
        self.reset_state()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # ------------------------------------------------------------ layout
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The vocabulary size, mask and OOV slots included."""
        return self._token_start_index() + len(self._tokens)

    def _depth(self) -> int:
        if self.pad_to_max_tokens:
            return self.max_tokens
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f"{type(self).__name__} with output_mode={self.output_mode!r} needs a vocabulary "
                "before it is called: pass `vocabulary` or call `adapt()` first."
            )
        return self._frozen_vocab_size

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary, index by index.

        Args:
            include_special_tokens: Whether to include the mask and OOV
                entries (then a token's position equals its index).

        Returns:
            A list of tokens.
        """
        specials = [self.mask_token] * self._oov_start_index() + [
            self.oov_token
        ] * self.num_oov_indices
        vocab = specials + list(self._tokens)
        return vocab if include_special_tokens else vocab[self._token_start_index() :]

    # ------------------------------------------------------------ vocabulary
    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Set the vocabulary (and IDF weights for ``tf_idf``) directly.

        Args:
            vocabulary: A list, tuple, 1D array or tensor of tokens, or the
                path of a UTF-8 text file with one token per line (a regular
                file within ``vocabulary_file.MAX_VOCABULARY_FILE_BYTES``;
                refused while a model loads in safe mode). It may start
                with the mask and OOV tokens, in the layer's order.
            idf_weights: Inverse document frequencies, one per vocabulary
                entry; required in ``tf_idf`` mode only.
        """
        name = type(self).__name__
        if isinstance(vocabulary, (str, os.PathLike)):
            vocabulary_file.check_path_allowed(self, "vocabulary", vocabulary)
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(
                f"{name} in tf_idf mode needs `idf_weights`. Received: idf_weights=None"
            )
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(
                f"Argument `idf_weights` of {name} is only used with output_mode='tf_idf'. "
                f"Received: output_mode={self.output_mode!r}"
            )
        if isinstance(vocabulary, (str, os.PathLike)):
            if self.output_mode == "tf_idf":
                raise ValueError(
                    f"{name} in tf_idf mode cannot read a vocabulary file. Received: {vocabulary}"
                )
            vocabulary = vocabulary_file.read_vocabulary_file(
                vocabulary, vocabulary_file.describe(self)
            )
        if isinstance(vocabulary, torch.Tensor):
            vocabulary = vocabulary.detach().cpu().numpy()
        tokens = [self._as_token(t) for t in np.asarray(vocabulary, dtype=object).reshape(-1)]
        if not tokens:
            raise ValueError(
                f"Cannot set an empty vocabulary on {name}. Received: vocabulary={vocabulary!r}"
            )
        full_length = len(tokens)
        start = self._token_start_index()
        specials = [self.mask_token] * self._oov_start_index() + [
            self.oov_token
        ] * self.num_oov_indices
        found_specials = tokens[:start] == specials
        if found_specials:
            tokens = tokens[start:]
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(
                f"The vocabulary passed to {name} repeats terms; make it unique. Repeated: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                f"The mask token of {name} appears inside the vocabulary; give the special tokens only at "
                f"its start, in this order: {specials}. Received: mask_token={self.mask_token!r}"
            )
        if self.invert and self.oov_token is not None and self.oov_token in tokens:
            raise ValueError(
                f"The OOV token of {name} appears inside the vocabulary; give the special tokens only at "
                f"its start, in this order: {specials}. Received: oov_token={self.oov_token!r}"
            )
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(
                f"The vocabulary of {name} is larger than `max_tokens`. Received: vocabulary size "
                f"{start + len(tokens)} with max_tokens={self.max_tokens}"
            )
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            weights = np.asarray(
                idf_weights.detach().cpu().numpy()
                if isinstance(idf_weights, torch.Tensor)
                else idf_weights,
                dtype=np.float64,
            )
            if weights.ndim != 1 or len(weights) != full_length:
                raise ValueError(
                    f"Argument `idf_weights` of {name} must be 1D with one weight per vocabulary entry. "
                    f"Received: idf_weights of shape {weights.shape} for {full_length} entries"
                )
            front = 0 if found_specials else start
            self._set_idf(weights, front_value=np.average(weights) if front else 0.0, front=front)

    def _set_tokens(self, tokens: list) -> None:
        start = self._token_start_index()
        self._tokens = list(tokens)
        self._index = {t: start + i for i, t in enumerate(self._tokens)}
        self._on_vocabulary_change()
        if self.output_mode != "int" and not self.pad_to_max_tokens:
            if (
                self._frozen_vocab_size is not None
                and self._frozen_vocab_size != self.vocabulary_size()
            ):
                raise RuntimeError(
                    f"The vocabulary size of {type(self).__name__} cannot change after it was "
                    f"fixed in output_mode={self.output_mode!r}. Received: new size "
                    f"{self.vocabulary_size()}, fixed size {self._frozen_vocab_size}"
                )
        self._frozen_vocab_size = self.vocabulary_size()

    def _set_idf(self, weights: np.ndarray, front_value: float, front: int) -> None:
        weights = weights.astype(np.float32)
        back = self.max_tokens - front - len(weights) if self.pad_to_max_tokens else 0
        weights = np.pad(weights, (front, back), constant_values=(front_value, 0.0))
        self.idf_weights = torch.from_numpy(weights.astype(np.float32))

    def _on_vocabulary_change(self) -> None:
        """Hook for subclasses that cache lookup tensors."""

    # ------------------------------------------------------------ adapt
    def reset_state(self) -> None:
        """Forget the statistics gathered by ``update_state``."""
        self._token_counts: collections.Counter = collections.Counter()
        self._document_counts: collections.Counter = collections.Counter()
        self._num_documents = 0

    def _documents(self, batch) -> list[list]:
        """Split one ``update_state`` batch into documents (rows of tokens)."""
        array = np.asarray(
            batch.detach().cpu().numpy() if isinstance(batch, torch.Tensor) else batch, dtype=object
        )
        if array.ndim == 0:
            array = array.reshape(1)
        if array.ndim == 1:
            array = array.reshape(1, -1)
        return [[self._as_token(t) for t in row.reshape(-1)] for row in array]

    def update_state(self, data) -> None:
        """Count the tokens of one batch (each row is a document)."""
        self.count_documents(self._documents(data))

    def count_documents(self, documents: list[list]) -> None:
        """Count tokens (and document frequencies) of already tokenized documents."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt {type(self).__name__} {self.name!r}: its vocabulary was set with the "
                "`vocabulary` argument. Received: a call to adapt()/update_state()"
            )
        for doc in documents:
            self._token_counts.update(doc)
            if self.output_mode == "tf_idf":
                self._document_counts.update(set(doc))
                self._num_documents += 1

    def finalize_state(self) -> None:
        """Build the vocabulary from the counted tokens."""
        if self._has_input_vocabulary or not self._token_counts:
            if self._frozen_vocab_size is None and self.output_mode != "int":
                self._frozen_vocab_size = self.vocabulary_size()
            return
        counts = dict(self._token_counts)
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        # Most frequent first; ties by token, highest first (as Keras).
        ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens:
            ranked = ranked[: self.max_tokens - self._token_start_index()]
        tokens = [t for t, _ in ranked]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            doc_counts = np.array([self._document_counts[t] for t in tokens], dtype=np.float64)
            idf = np.log(1 + self._num_documents / (1 + doc_counts)).astype(np.float32)
            self._set_idf(idf, front_value=float(np.mean(idf)), front=self._token_start_index())
        self.reset_state()

    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Build the vocabulary from data, most frequent tokens first.

        Args:
            data: An array or list (each element, or each row of a 2D
                array, is a document), or an iterable of such batches.
            batch_size: Accepted for Keras compatibility; unused.
            steps: With an iterable, the number of batches to read.
        """
        self.reset_state()
        if isinstance(data, (list, tuple, np.ndarray, torch.Tensor)):
            array = np.asarray(
                data.detach().cpu().numpy() if isinstance(data, torch.Tensor) else data,
                dtype=object,
            )
            self.update_state(array.reshape(-1, 1) if array.ndim == 1 else array)
        else:
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        self.finalize_state()

    # ------------------------------------------------------------ calling
    def _encode(self, ids: torch.Tensor) -> torch.Tensor:
        if self.output_mode == "int":
            return ids
        return encode_ids(ids, self.output_mode, self._depth(), self.idf_weights)

    def _oov_bucket(self, token) -> int:
        raise NotImplementedError

    def _lookup_python(self, token) -> int:
        """The id of one token (mask -> 0 in int mode, ignored otherwise)."""
        if self.mask_token is not None and token == self.mask_token:
            return 0 if self.output_mode == "int" else _IGNORED
        index = self._index.get(token)
        if index is not None:
            return index
        if self.num_oov_indices == 0:
            raise ValueError(
                f"{type(self).__name__} has num_oov_indices=0, so every input must be in the "
                f"vocabulary; set num_oov_indices=1 to map unknown inputs. Received: {token!r}"
            )
        if self.num_oov_indices == 1:
            return self._oov_start_index()
        return self._oov_start_index() + self._oov_bucket(token)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "one_hot" and not (len(input_shape) > 1 and input_shape[-1] == 1):
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    # ------------------------------------------------------------ saving
    def get_config(self):
        config = super().get_config()
        vocab = self.input_vocabulary
        weights = self.input_idf_weights
        config.update(
            {
                "invert": self.invert,
                "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices,
                "oov_token": self.oov_token,
                "mask_token": self.mask_token,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "idf_weights": np.asarray(weights).tolist() if weights is not None else None,
                "vocabulary": np.asarray(vocab).tolist() if vocab is not None else None,
                "vocabulary_size": self._frozen_vocab_size,
            }
        )
        return config

    def save_own_variables(self, store) -> None:
        """Store the IDF weights (tf_idf mode), as Keras does."""
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = self.idf_weights.numpy()

    def load_own_variables(self, store) -> None:
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self.idf_weights = torch.as_tensor(
                np.asarray(store["idf_weights"]), dtype=torch.float32
            )

    def save_assets(self, dir_path) -> None:
        """Write an adapted vocabulary to ``vocabulary.txt`` (Keras's asset layout)."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(t) for t in self.get_vocabulary()))

    def load_assets(self, dir_path) -> None:
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        idf = None
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            idf = self.idf_weights.numpy()[: len(lines)]
        self._frozen_vocab_size = None
        self.set_vocabulary([self._parse_asset_line(line) for line in lines], idf_weights=idf)

    def _parse_asset_line(self, line: str):
        return line
