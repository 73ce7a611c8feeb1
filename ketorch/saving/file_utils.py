"""Crash-safe file writing and checks on user-given paths.

Every file ketorch saves is first written to a temporary file beside the
target, flushed to disk, then renamed over the target with ``os.replace``
(atomic on POSIX and Windows). A process killed mid-save leaves the previous
file intact and at worst a stray temporary file, which the next save or load
of the same path removes.

Temporary files are named ``.<target name>.ketorch-tmp-<host>-<pid>-<random>``
and created with mode ``0o666`` filtered by the process umask, exactly as a
plain ``open(path, "w")`` would create the target. When the target already
exists, its permission bits carry over to the new file, as an in-place
rewrite would keep them.

A leftover is *stale*, and removed, when the process that made it is gone:
on this host, when its pid is no longer running (or, for this process, when
no save in progress owns it); for a file made on another host sharing the
directory, when it is older than ``FOREIGN_STALE_SECONDS``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import socket
import stat
import threading
import time

TEMP_MARKER = ".ketorch-tmp-"
FOREIGN_STALE_SECONDS = 24 * 3600
_NAME_KEEP = 100  # characters of the target name kept in the temporary name
_IN_FLIGHT: set[str] = set()
_IN_FLIGHT_LOCK = threading.Lock()


def path_str(filepath) -> str:
    """``filepath`` as a string (``str`` or ``os.PathLike``)."""
    if isinstance(filepath, (str, os.PathLike)):
        return os.fspath(filepath)
    raise TypeError(
        f"`filepath` must be a string or a path-like object. Received: filepath={filepath!r}"
    )


def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _temp_prefix(filepath: str) -> str:
    return f".{os.path.basename(filepath)[:_NAME_KEEP]}{TEMP_MARKER}"


@contextlib.contextmanager
def temp_beside(filepath: str):
    """Create an empty temporary file next to ``filepath``; remove it on exit if still there.

    The file is created with ``O_EXCL`` and mode ``0o666``, which the kernel
    filters through the umask.
    """
    filepath = os.path.abspath(filepath)
    directory = os.path.dirname(filepath)
    prefix = f"{_temp_prefix(filepath)}{_host_tag()}-{os.getpid()}-"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = os.path.join(directory, prefix + secrets.token_hex(4))
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT.add(tmp)
    try:
        os.close(fd)
        yield tmp
    finally:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT.discard(tmp)


def _existing_mode(filepath: str) -> int | None:
    try:
        info = os.stat(filepath)
    except OSError:
        return None
    return info.st_mode & 0o777 if stat.S_ISREG(info.st_mode) else None


def remove_stale_temps(filepath) -> list[str]:
    """Remove the leftovers of interrupted saves of ``filepath`` (and inside it, if a directory).

    Never raises: a directory that cannot be listed or written is left alone.

    Returns:
        The paths removed.
    """
    filepath = os.path.abspath(path_str(filepath))
    scans = [(os.path.dirname(filepath), _temp_prefix(filepath))]
    if os.path.isdir(filepath):
        scans.append((filepath, "."))
    removed = []
    for directory, prefix in scans:
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            if not (name.startswith(prefix) and TEMP_MARKER in name):
                continue
            path = os.path.join(directory, name)
            if _is_stale(path, name) and _remove_file(path):
                removed.append(path)
    return removed


def _is_stale(path: str, name: str) -> bool:
    host, _, rest = name.rpartition(TEMP_MARKER)[2].partition("-")
    pid_text = rest.partition("-")[0]
    if not pid_text.isdigit():
        return False  # not a name we make
    if host != _host_tag():
        try:
            return time.time() - os.lstat(path).st_mtime > FOREIGN_STALE_SECONDS
        except OSError:
            return False
    pid = int(pid_text)
    if pid == os.getpid():
        with _IN_FLIGHT_LOCK:
            return path not in _IN_FLIGHT
    return not _process_alive(pid)


def _process_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no side-effect-free probe (os.kill terminates on Windows): keep it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _remove_file(path: str) -> bool:
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        os.remove(path)
    except OSError:
        return False
    return True


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
    remove_stale_temps(filepath)
    with temp_beside(filepath) as tmp:
        yield tmp
        _fsync(tmp)
        mode = _existing_mode(filepath)
        if mode is not None:  # keep the permissions of the file being replaced
            with contextlib.suppress(OSError):
                os.chmod(tmp, mode)
        os.replace(tmp, filepath)
        _fsync_dir(directory)


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
