"""Reading a vocabulary from a text file, with the checks a model file cannot get around.

A lookup layer's ``vocabulary`` may be the path of a text file with one token
per line. Two rules apply to such paths:

- While a model is loaded in safe mode (the default of ``load_model``), a
  path named by the config is refused before anything touches the file
  system: a model file must not make ketorch read other files of the machine
  it is loaded on. Vocabularies stored inside the archive (the ``assets/``
  of an adapted layer, or a list in the config) are not paths and load as
  usual. Code that builds a layer directly is not loading, so paths work
  there as in Keras.
- Wherever a path is read (user code, or loading with ``safe_mode=False``),
  it must be a regular file of at most ``MAX_VOCABULARY_FILE_BYTES`` bytes:
  FIFOs, devices, sockets and directories are refused before any read, so
  ``/dev/zero`` cannot grow memory and a FIFO cannot block the process.
"""

from __future__ import annotations

import os
import stat

from ...saving.serialization import loading_in_safe_mode

MAX_VOCABULARY_FILE_BYTES = 64 << 20  # far above real vocabularies (1M tokens ~ 10 MB)
_CHUNK = 1 << 20


def describe(layer) -> str:
    """``"StringLookup layer 'name'"``, for messages."""
    return f"{type(layer).__name__} layer {getattr(layer, 'name', '?')!r}"


def check_path_allowed(layer, argument: str, path) -> None:
    """Refuse a file path given by a config while a safe-mode load runs.

    Raises:
        ValueError: Naming the layer, the argument and the path.
    """

    if not loading_in_safe_mode():
        return
    raise ValueError(
        f"{describe(layer)} names the file {os.fspath(path)!r} in its config argument "
        f"`{argument}`. Loading in safe mode never reads files outside the model archive, "
        "since a hostile file could make it read any file on this machine. If you trust this "
        "model file, load it with `safe_mode=False` (e.g. `keras.saving.load_model(path, "
        "safe_mode=False)`) or call `keras.config.enable_unsafe_deserialization()`; or save "
        "the model with the vocabulary as a list or adapted, so it travels inside the archive. "
        f"Received: {argument}={os.fspath(path)!r}"
    )


def read_vocabulary_file(path, owner: str, max_bytes: int | None = None) -> list:
    """The lines of the UTF-8 text file ``path``, read within ``max_bytes``.

    Args:
        path: The file (``str`` or ``os.PathLike``).
        owner: Who reads it, for messages (see :func:`describe`).
        max_bytes: Largest accepted file size (default
            ``MAX_VOCABULARY_FILE_BYTES``, read at each call).

    Raises:
        ValueError: If the file is missing, not a regular file, larger than
            ``max_bytes``, or not UTF-8 text.
    """
    path = os.fspath(path)
    if max_bytes is None:
        max_bytes = MAX_VOCABULARY_FILE_BYTES
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ValueError(
            f"Vocabulary file {path} does not exist. Received: vocabulary={path!r}"
        ) from None
    except OSError as e:
        raise ValueError(f"{owner} cannot read the vocabulary file {path!r}: {e}") from e
    _check_regular(info, path, owner, max_bytes)
    # O_NONBLOCK: should the path be swapped for a FIFO after the stat, open
    # returns at once instead of waiting for a writer; the fstat below refuses it.
    flags = os.O_RDONLY
    for name in ("O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "O_BINARY"):
        flags |= getattr(os, name, 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise ValueError(f"{owner} cannot read the vocabulary file {path!r}: {e}") from e
    try:
        _check_regular(os.fstat(fd), path, owner, max_bytes)
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:  # grew while being read
                raise ValueError(_too_big(path, owner, max_bytes))
            chunks.append(chunk)
    finally:
        os.close(fd)
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"The vocabulary file {path!r} of {owner} is not UTF-8 text: {e}") from e
    return text.splitlines()


def _check_regular(info, path: str, owner: str, max_bytes: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(
            f"{owner} reads vocabularies only from regular files; {path!r} is a FIFO, device, "
            "socket or directory, which could block or never end. "
            f"Received: vocabulary={path!r}"
        )
    if info.st_size > max_bytes:
        raise ValueError(_too_big(path, owner, max_bytes))


def _too_big(path: str, owner: str, max_bytes: int) -> str:
    return (
        f"The vocabulary file {path!r} of {owner} is larger than {max_bytes} bytes "
        "(`ketorch.layers.preprocessing.vocabulary_file.MAX_VOCABULARY_FILE_BYTES`). Load large "
        "vocabularies yourself and pass them as a list. "
        f"Received: vocabulary={path!r}"
    )
