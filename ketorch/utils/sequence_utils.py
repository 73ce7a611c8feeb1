"""Padding of variable-length sequences into one dense NumPy array."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

_MODES = ("pre", "post")


def _check_mode(name: str, mode: Any) -> None:
    if mode not in _MODES:
        raise ValueError(f'`{name}` must be "pre" or "post". Received: {name}={mode!r}')


def _is_text_dtype(dtype: Any) -> bool:
    if dtype is object:
        return True
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        return False
    return kind in ("O", "U", "S")


def _as_sized(sequences: Any) -> Sequence:
    """Returns `sequences` as something with `len()` and integer indexing."""
    if isinstance(sequences, (str, bytes)):
        raise ValueError(
            "`sequences` must be a list of sequences (for example a list of lists of "
            f"integers), not a single string. Received: sequences={sequences!r}"
        )
    if isinstance(sequences, np.ndarray) and sequences.ndim == 0:
        raise ValueError(
            "`sequences` must be a list of sequences, not a 0-d array (a single number). "
            f"Received: sequences={sequences!r}"
        )
    if hasattr(sequences, "__len__") and hasattr(sequences, "__getitem__"):
        return sequences
    if isinstance(sequences, Iterable):
        return list(sequences)
    raise ValueError(
        "`sequences` must be an iterable of sequences (for example a list of lists of "
        f"integers). Received: sequences={sequences!r}"
    )


def _pad_array(
    seqs: np.ndarray, maxlen: int, dtype: Any, padding: str, truncating: str, value: Any
) -> np.ndarray:
    """Vectorised path for a rectangular array input of shape `(n, length, ...)`."""
    n, length = seqs.shape[0], seqs.shape[1]
    sample_shape = seqs.shape[2:] if length else ()
    out = np.full((n, maxlen) + sample_shape, value, dtype=dtype)
    if length == 0 or maxlen == 0:
        return out
    kept = seqs[:, -maxlen:] if truncating == "pre" else seqs[:, :maxlen]
    k = kept.shape[1]
    if padding == "pre":
        out[:, maxlen - k :] = kept
    else:
        out[:, :k] = kept
    return out


def pad_sequences(
    sequences: Any,
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pads (and truncates) a list of sequences to one common length.

    Every sequence is cut down to at most `maxlen` items and then filled up
    with `value` until it is exactly `maxlen` long. The result is one NumPy
    array with a row per sequence.

    Args:
        sequences: A list (or other iterable) of sequences. Each sequence is a
            list, tuple or array of scalars, or of equally shaped vectors.
        maxlen: Length of every output row. `None` uses the length of the
            longest sequence.
        dtype: Data type of the output array. Values are converted to it, so
            float data is truncated with the default `"int32"`. Use `object`
            (or a string dtype) to pad sequences of strings.
        padding: `"pre"` puts the padding before each sequence, `"post"`
            after it.
        truncating: For sequences longer than `maxlen`: `"pre"` drops items
            from the start (keeping the last `maxlen`), `"post"` drops them
            from the end.
        value: The fill value (a number, or a string with a text dtype).

    Returns:
        A NumPy array of shape `(len(sequences), maxlen) + sample_shape`,
        where `sample_shape` is the shape of one item of the first non-empty
        sequence (`()` for sequences of scalars).

    Example:

    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
    [[2, 3], [0, 4]]
    >>> pad_sequences([[1], [2, 3]], padding="post").tolist()
    [[1, 0], [2, 3]]
    """
    _check_mode("padding", padding)
    _check_mode("truncating", truncating)
    if maxlen is not None:
        if isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
            raise ValueError(
                f"`maxlen` must be None or a non-negative integer. Received: maxlen={maxlen!r}"
            )
        maxlen = int(maxlen)
    try:
        np.dtype(dtype)
    except TypeError as e:
        raise TypeError(
            "`dtype` must be a NumPy dtype or its name, such as 'int32' or object. "
            f"Received: dtype={dtype!r}"
        ) from e
    if isinstance(value, (str, bytes)) and not _is_text_dtype(dtype):
        raise ValueError(
            "`value` is a string, so `dtype` must be `object` or a string dtype "
            f"(use dtype=object for variable-length strings). Received: dtype={dtype!r}"
        )

    if isinstance(sequences, np.ndarray) and sequences.ndim >= 2 and sequences.dtype != object:
        if maxlen is None:
            maxlen = sequences.shape[1]
        return _pad_array(sequences, maxlen, dtype, padding, truncating, value)

    seqs = _as_sized(sequences)
    lengths = []
    sample_shape: tuple = ()
    found_first = False
    for i, s in enumerate(seqs):
        try:
            n = len(s)
        except TypeError as e:
            raise ValueError(
                "`sequences` must be a list of sequences (lists, tuples or arrays), but the "
                f"item at position {i} has no length. Received: sequences[{i}]={s!r}"
            ) from e
        lengths.append(n)
        if not found_first and n:
            sample_shape = np.shape(s)[1:]
            found_first = True

    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    out = np.full((len(seqs), maxlen) + tuple(sample_shape), value, dtype=dtype)
    if maxlen == 0:
        return out

    pre_trunc = truncating == "pre"
    pre_pad = padding == "pre"
    scalar_items = sample_shape == ()
    for i, s in enumerate(seqs):
        n = lengths[i]
        if not n:
            continue
        if n > maxlen:
            s = s[n - maxlen :] if pre_trunc else s[:maxlen]
            n = maxlen
        start = maxlen - n if pre_pad else 0
        if not scalar_items:
            s = np.asarray(s, dtype=dtype)
            if s.shape[1:] != sample_shape:
                raise ValueError(
                    f"All items of all sequences must have the same shape {sample_shape} "
                    f"(the shape of the first non-empty sequence's items), but sequence {i} "
                    f"has items of shape {s.shape[1:]}. Received: sequences[{i}] with shape "
                    f"{s.shape}"
                )
        try:
            out[i, start : start + n] = s
        except (ValueError, TypeError) as e:
            raise ValueError(
                f"Could not store sequence {i} in the padded array of dtype {out.dtype}: "
                f"{e}. Received: sequences[{i}]={seqs[i]!r}"
            ) from e
    return out
