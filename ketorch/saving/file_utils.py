"""Crash-safe file writing and checks on user-given paths.

Every file ketorch saves is first written to a temporary name in the same
directory, flushed to disk, then renamed over the target with ``os.replace``
(atomic on POSIX and Windows). A process killed mid-save leaves the previous
file intact and at worst a stray ``.tmp`` file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile


def path_str(filepath) -> str:
    """``filepath`` as a string (``str`` or ``os.PathLike``)."""
    if isinstance(filepath, (str, os.PathLike)):
        return os.fspath(filepath)
    raise TypeError(
        f"`filepath` must be a string or a path-like object. Received: filepath={filepath!r}"
    )


@contextlib.contextmanager
def atomic_path(filepath: str, overwrite: bool = True):
    """Yield a temporary path next to ``filepath``; on success rename it into place.

    Raises:
        FileExistsError: If ``filepath`` exists and ``overwrite`` is False.
    """
    filepath = os.path.abspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(
            f"File {filepath} already exists and `overwrite=False`. Received: filepath={filepath}"
        )
    directory = os.path.dirname(filepath) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{os.path.basename(filepath)}.", suffix=".tmp", dir=directory
    )
    os.close(fd)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, filepath)
        _fsync_dir(directory)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def atomic_write_bytes(filepath: str, data: bytes) -> None:
    """Write ``data`` to ``filepath`` atomically."""
    with atomic_path(filepath) as tmp, open(tmp, "wb") as f:
        f.write(data)


def _fsync(path: str) -> None:
    with contextlib.suppress(OSError), open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(directory: str) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
