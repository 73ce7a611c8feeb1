"""Safe extraction of tar and zip archives for `get_file`.

An archive is hostile until proven otherwise: every member is checked before
it is written, and a member that would land outside the extraction folder (an
absolute path, ``..``, a link pointing out, a device file) stops the whole
extraction. Members go to a fresh temporary folder beside the destination that
is renamed into place only when everything was extracted, so a refused or
corrupt archive leaves no half-extracted folder behind.
"""

from __future__ import annotations

import inspect
import os
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Sequence

__all__ = ["ArchiveError", "extract_archive", "archive_kind"]


class ArchiveError(ValueError):
    """The archive is corrupt, not of an accepted format, or tries to escape its folder."""


# Readers' own errors for truncated or damaged data.
_READ_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, OSError)


def _formats(archive_format: str | Sequence[str] | None) -> list[str]:
    if archive_format is None:
        return []
    if archive_format == "auto":
        return ["tar", "zip"]
    kinds = [archive_format] if isinstance(archive_format, str) else list(archive_format)
    for kind in kinds:
        if kind not in ("tar", "zip"):
            raise ValueError(
                f"Unknown archive format {kind!r}: expected 'tar', 'zip', 'auto' or None. "
                f"Received: archive_format={archive_format!r}"
            )
    return kinds


def archive_kind(path: str, archive_format: str | Sequence[str] | None = "auto") -> str | None:
    """The first of the accepted formats (``"tar"``, ``"zip"``) that `path` is, or None."""
    for kind in _formats(archive_format):
        try:
            if kind == "tar" and tarfile.is_tarfile(path):
                return "tar"
            if kind == "zip" and zipfile.is_zipfile(path):
                return "zip"
        except _READ_ERRORS:
            continue
    return None


def _within(base: str, resolved: str) -> bool:
    try:
        return os.path.commonpath([resolved, base]) == base
    except ValueError:  # different drives
        return False


def _inside(base: str, name: str) -> bool:
    """Whether `name`, resolved below `base` (already real), stays inside it."""
    if not name or os.path.isabs(name) or name.startswith(("/", "\\")):
        return False
    return _within(base, os.path.realpath(os.path.join(base, name)))


def _refuse(archive_path: str, member: str, why: str) -> ArchiveError:
    return ArchiveError(
        f"Refusing to extract {archive_path!r}: member {member!r} {why}. "
        "The archive may be corrupt or malicious; nothing was extracted."
    )


def _checked_tar_members(archive: tarfile.TarFile, base: str, path: str) -> Iterator:
    for info in archive:
        if not _inside(base, info.name):
            raise _refuse(path, info.name, "would be written outside the extraction folder")
        if info.issym():
            link_dir = os.path.dirname(os.path.join(base, info.name))
            target = os.path.realpath(os.path.join(link_dir, info.linkname))
            if os.path.isabs(info.linkname) or not _within(base, target):
                raise _refuse(path, info.name, f"is a link pointing outside ({info.linkname!r})")
        elif info.islnk():
            if not _inside(base, info.linkname):
                raise _refuse(path, info.name, f"is a link pointing outside ({info.linkname!r})")
        elif not (info.isfile() or info.isdir()):
            raise _refuse(path, info.name, "is a device, pipe or other special file")
        yield info


def _checked_zip_members(archive: zipfile.ZipFile, base: str, path: str) -> Iterator:
    for info in archive.infolist():
        if not _inside(base, info.filename):
            raise _refuse(path, info.filename, "would be written outside the extraction folder")
        yield info


_TAR_HAS_FILTER = "filter" in inspect.signature(tarfile.TarFile.extractall).parameters


def _extract_into(path: str, kind: str, folder: str) -> None:
    base = os.path.realpath(folder)
    if kind == "tar":
        with tarfile.open(path) as archive:
            extra = {"filter": "data"} if _TAR_HAS_FILTER else {}
            archive.extractall(base, members=_checked_tar_members(archive, base, path), **extra)
    else:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(base, members=_checked_zip_members(archive, base, path))
            # zipfile only checks CRCs of what it reads; extractall read every member.


def extract_archive(
    path: str, destination: str, archive_format: str | Sequence[str] | None = "auto"
) -> bool:
    """Extracts the archive at `path` into the folder `destination`, replacing it.

    Args:
        path: The archive file (tar, tar.gz, tar.bz2, tar.xz or zip).
        destination: Folder that holds the archive's members afterwards.
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list
            of those, or None (extract nothing).

    Returns:
        True if the archive was extracted; False if it is none of the accepted
        formats (nothing is written then).

    Raises:
        ArchiveError: If the archive is damaged or one of its members would be
            written outside `destination`. `destination` is left as it was.
    """
    kind = archive_kind(path, archive_format)
    if kind is None:
        return False
    parent = os.path.dirname(os.path.abspath(destination))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(destination)}.")
    try:
        try:
            _extract_into(path, kind, staging)
        except ArchiveError:
            raise
        except _READ_ERRORS as e:
            raise ArchiveError(
                f"Could not extract {path!r} ({type(e).__name__}: {e}); the {kind} archive "
                "seems damaged or incomplete. Delete it, or pass force_download=True, "
                "to download it again."
            ) from e
        if os.path.isdir(destination) and not os.path.islink(destination):
            shutil.rmtree(destination)
        elif os.path.lexists(destination):
            os.remove(destination)
        try:
            os.rename(staging, destination)
        except OSError:
            if not os.path.isdir(destination):  # else another process extracted it first
                raise
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)
    return True
