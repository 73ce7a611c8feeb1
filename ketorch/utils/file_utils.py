"""`get_file`: Keras's download cache (``~/.keras`` or ``$KERAS_HOME``), hash-checked.

The cache layout is Keras's own, so files that Keras downloaded are found and
used offline, and files fetched here serve Keras as well. Downloads are written
beside their final place and renamed into it only once complete and verified:
a partial, interrupted or corrupt download never stays in the cache.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.parse
from typing import Any

from ketorch.utils.archive_extraction import ArchiveError, extract_archive
from ketorch.utils.download import DownloadError, download_to

__all__ = ["get_file", "hash_file", "validate_file", "keras_home", "DownloadError"]


def keras_home() -> str:
    """Keras's cache folder: ``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras`` if ``~`` is
    read-only). Read at each call, so setting ``KERAS_HOME`` later takes effect."""
    if os.environ.get("KERAS_HOME"):
        return os.environ["KERAS_HOME"]
    home = os.path.expanduser("~")
    if not os.access(home, os.W_OK):
        home = "/tmp"
    return os.path.join(home, ".keras")


def _hasher(algorithm: str, file_hash: str | None = None) -> Any:
    if algorithm == "sha256" or (
        algorithm == "auto" and file_hash is not None and len(file_hash) == 64
    ):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError(
        "`hash_algorithm` must be 'auto', 'sha256' or 'md5'. "
        f"Received: hash_algorithm={algorithm!r}"
    )


def hash_file(fpath: str, algorithm: Any = "sha256", chunk_size: int = 65535) -> str:
    """The hex digest of a file's bytes.

    Args:
        fpath: The file.
        algorithm: ``"sha256"``, ``"md5"`` (also what ``"auto"`` means without a hash to
            compare with) or a ``hashlib`` object.
        chunk_size: Bytes read at a time.

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "empty.bin")
    >>> open(path, "wb").close()
    >>> hash_file(path)[:16]
    'e3b0c44298fc1c14'
    >>> import shutil; shutil.rmtree(os.path.dirname(path))
    """
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(
    fpath: str, file_hash: str, algorithm: str = "auto", chunk_size: int = 65535
) -> bool:
    """Whether the file's hash equals `file_hash` (sha256 if it has 64 hex digits, else md5
    when `algorithm` is ``"auto"``)."""
    hasher = _hasher(algorithm, file_hash)
    return hash_file(fpath, hasher, chunk_size) == str(file_hash).lower()


def _algorithm_name(algorithm: str, file_hash: str) -> str:
    return _hasher(algorithm, file_hash).name


def _file_name(fname: Any, origin: str) -> str:
    if fname is not None and not isinstance(fname, str):
        fname = os.fspath(fname)
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(
                f"Cannot tell the file name from origin={origin!r}: pass `fname` as well."
            )
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(
            "`fname` must be a file name, not a path; choose the folder with `cache_dir` "
            f"and `cache_subdir`. Received: fname={fname}"
        )
    return fname


def _layout(fname: str, fname_given: bool, extract: bool) -> tuple[str, str | None]:
    """Names, inside the cache folder, of the downloaded file and of the extraction folder."""
    if not extract:
        return fname, None
    if fname_given and "." in fname:
        return fname, fname[: fname.find(".")] + "_extracted"
    return f"{fname}_archive", fname


def _usable(folder: str) -> bool:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def _candidate_folders(cache_dir: str | None, cache_subdir: str) -> list[str]:
    """Where to look for the file, in order; the last one is where a download goes."""
    base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else keras_home())
    folders = [os.path.join(base, cache_subdir)]
    if not _usable(folders[0]):  # as Keras: fall back to a cache in the temp folder
        tmp = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
        fallback = os.path.join(tmp, ".keras", cache_subdir)
        if fallback != folders[0]:
            folders.append(fallback)
    return folders


def get_file(
    fname: str | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: str | list[str] | None = "auto",
    cache_dir: str | None = None,
    force_download: bool = False,
) -> str:
    """Returns the path of a file from Keras's cache, downloading it from `origin` if needed.

    The file is kept as ``<cache_dir>/<cache_subdir>/<fname>``, by default
    ``~/.keras/datasets/<fname>`` (``$KERAS_HOME`` replaces ``~/.keras``), exactly
    where Keras keeps it. A cached copy whose hash does not match `file_hash` is
    downloaded again. Downloads go to a temporary file beside the target and
    are renamed into place only when complete and verified; after a dropped
    connection the download resumes where it stopped.

    Args:
        fname: Name of the file in the cache; by default the last part of
            `origin`'s path. With `extract`, a name without a dot names the
            extraction folder instead.
        origin: URL of the file.
        untar: Deprecated: `extract` with ``archive_format="tar"``.
        md5_hash: Deprecated: `file_hash` with ``hash_algorithm="md5"``.
        file_hash: Expected sha256 or md5 hex digest of the file.
        cache_subdir: Folder below the cache folder (or an absolute path).
        hash_algorithm: ``"auto"`` (sha256 for a 64-digit hash, else md5),
            ``"sha256"`` or ``"md5"``.
        extract: Extract the archive (tar, tar.gz, tar.bz2, zip) and return
            the folder it was extracted to. Members that would be written
            outside that folder make the extraction fail. An existing
            extraction folder is reused, and replaced after a new download.
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``,
            a list of those, or None.
        cache_dir: The cache folder, by default ``$KERAS_HOME`` or ``~/.keras``.
        force_download: Download again even if a cached copy is valid.

    Returns:
        The path of the file, or of the extraction folder with `extract`.

    Raises:
        DownloadError: If the file is not cached and cannot be downloaded; the
            message names the URL and the path at which to put the file.
        ValueError: If the downloaded file's hash does not match, or an
            archive is damaged or unsafe to extract.

    Example:

    >>> import os, tempfile
    >>> cache = tempfile.mkdtemp()
    >>> os.makedirs(os.path.join(cache, "datasets"))
    >>> with open(os.path.join(cache, "datasets", "notes.txt"), "w") as f:
    ...     _ = f.write("hello")
    >>> path = get_file("notes.txt", origin="https://example.com/notes.txt", cache_dir=cache)
    >>> open(path).read()
    'hello'
    >>> import shutil; shutil.rmtree(cache)
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (the URL of the file).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if file_hash is not None:
        _hasher(hash_algorithm, file_hash)  # reject an unknown algorithm before any work
    extract = bool(extract or untar)
    if untar:
        archive_format = "tar"
    name = _file_name(fname, origin)
    download_name, extraction_name = _layout(name, bool(fname), extract)

    folders = _candidate_folders(cache_dir, cache_subdir)
    stale = None
    for folder in folders:
        target = os.path.join(folder, download_name)
        if force_download or not os.path.isfile(target):
            continue
        if file_hash is None or validate_file(target, file_hash, hash_algorithm):
            return _finish(target, folder, extraction_name, archive_format, fresh=False)
        stale = target
        print(
            f"The cached file {target} does not match the expected "
            f"{_algorithm_name(hash_algorithm, file_hash)} hash {file_hash}: "
            "it is incomplete or outdated, so it will be downloaded again."
        )

    folder = folders[-1]
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, download_name)
    print(f"Downloading data from {origin}")
    try:
        part = download_to(origin, folder, download_name)
    except DownloadError as e:
        where = f"save it as {target}"
        if stale:
            where += f" (the copy there now has the wrong hash: {stale})"
        raise DownloadError(
            f"Could not download {download_name!r} from {origin}: {e}. "
            f"To use it offline, download that URL yourself and {where}; "
            "the cache folder is $KERAS_HOME, or ~/.keras when KERAS_HOME is not set."
        ) from e
    try:
        if file_hash is not None and not validate_file(part, file_hash, hash_algorithm):
            raise ValueError(
                f"The file downloaded from {origin} is incomplete or corrupted: its "
                f"{_algorithm_name(hash_algorithm, file_hash)} hash is "
                f"{hash_file(part, _hasher(hash_algorithm, file_hash))}, expected {file_hash}. "
                f"Nothing was saved to {target}."
            )
        os.replace(part, target)
    finally:
        if os.path.exists(part):
            os.remove(part)
    return _finish(target, folder, extraction_name, archive_format, fresh=True)


def _finish(
    target: str, folder: str, extraction_name: str | None, archive_format: Any, fresh: bool
) -> str:
    """Returns the file, or extracts it (when asked, and not already done) and returns the folder."""
    if extraction_name is None:
        return target
    destination = os.path.join(folder, extraction_name)
    if not fresh and os.path.isdir(destination):
        return destination
    try:
        extracted = extract_archive(target, destination, archive_format)
        if not extracted:
            raise ArchiveError(
                f"Could not extract {target!r}: it is not an archive of the accepted formats "
                f"(archive_format={archive_format!r})."
            )
    except ArchiveError:
        if fresh:  # a bad download does not stay in the cache
            os.remove(target)
        raise
    return destination
