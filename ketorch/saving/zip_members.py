"""Reading ``.keras`` zip members in bounded chunks, whatever their headers claim.

``zipfile`` believes a member's header about how much to decompress and, for
bzip2 and LZMA, inflates each read in one call, so a member that lies about
its size can allocate gigabytes before any check runs. Here a member is
decompressed at most ``CHUNK`` bytes at a time, and reading stops with an
error naming the member as soon as the output passes its declared size, the
limit the caller gives (a name from :mod:`~ketorch.saving.limits`), the
archive's total ``limits.MAX_ARCHIVE_BYTES``, or ``limits.MAX_EXPANSION``
times the compressed bytes consumed so far. A member that ends early or fails
its CRC is refused too. Encrypted members are refused.
"""

from __future__ import annotations

import bz2
import lzma
import struct
import zipfile
import zlib
from collections.abc import Iterator

from . import limits

CHUNK = 1 << 20  # largest piece of decompressed output held at once
_RAW_CHUNK = 1 << 16
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_MAGIC = b"PK\x03\x04"
_ENCRYPTED = 0x1
_STRONG_ENCRYPTION = 0x40
_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}


class ArchiveError(ValueError):
    """A ``.keras`` file that is not a valid model archive."""


class ReadBudget:
    """Bytes that may still be decompressed from one archive (``limits.MAX_ARCHIVE_BYTES``)."""

    def __init__(self):
        self.used = 0


def check_header(info: zipfile.ZipInfo, limit_name: str) -> None:
    """Refuse a member from its central-directory entry alone (before reading anything)."""
    name = info.filename
    if info.flag_bits & (_ENCRYPTED | _STRONG_ENCRYPTION):
        raise ArchiveError(f"The member {name!r} is encrypted; .keras archives never are.")
    if info.compress_type not in _METHODS:
        raise ArchiveError(
            f"The member {name!r} uses zip compression method {info.compress_type}, which "
            f"cannot be read (supported: {', '.join(_METHODS.values())})."
        )
    limit = getattr(limits, limit_name)
    if info.file_size > limit:
        raise limits.LimitError(
            f"The member {name!r} declares {info.file_size} bytes, more than "
            f"limits.{limit_name}={limit}; raise that limit to load a file this large."
        )
    compressed = max(info.compress_size, 1)
    if (
        info.compress_type != zipfile.ZIP_STORED
        and info.file_size > limits.EXPANSION_FLOOR
        and info.file_size > limits.MAX_EXPANSION * compressed
    ):
        raise limits.LimitError(
            f"The member {name!r} declares that it expands {info.file_size // compressed}-fold "
            f"(limits.MAX_EXPANSION={limits.MAX_EXPANSION}); refusing a probable zip bomb."
        )


def read_member(zf: zipfile.ZipFile, name: str, limit_name: str, budget=None) -> bytes:
    """The whole member ``name``, bounded by ``limits.<limit_name>``."""
    return b"".join(iter_member(zf, name, limit_name, budget))


def copy_member(zf: zipfile.ZipFile, name: str, out, limit_name: str, budget=None) -> int:
    """Write member ``name`` to the binary file ``out``; returns the bytes written."""
    written = 0
    for chunk in iter_member(zf, name, limit_name, budget):
        out.write(chunk)
        written += len(chunk)
    return written


def iter_member(
    zf: zipfile.ZipFile, name: str, limit_name: str, budget: ReadBudget | None = None
) -> Iterator[bytes]:
    """Decompressed pieces (at most ``CHUNK`` bytes each) of member ``name``, all checked.

    Raises:
        ArchiveError: The member is missing, encrypted, damaged, or its data
            disagrees with its header.
        limits.LimitError: Reading would pass a limit; the message names it.
    """
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ArchiveError(f"The archive has no member {name!r}.") from None
    check_header(info, limit_name)
    limit = getattr(limits, limit_name)
    budget = budget if budget is not None else ReadBudget()
    produced = 0
    crc = 0
    raw = None
    try:
        raw = _RawReader(zf, info)
        for piece in _inflate(raw, info.compress_type, name):
            produced += len(piece)
            budget.used += len(piece)
            _check_progress(name, info, produced, raw.consumed, limit_name, limit, budget)
            crc = zlib.crc32(piece, crc)
            yield piece
    except (ArchiveError, limits.LimitError):
        raise
    except (OSError, EOFError, ValueError, TypeError, zlib.error, lzma.LZMAError) as e:
        raise ArchiveError(f"Cannot read the member {name!r} of the archive: {e}") from e
    finally:
        if raw is not None:
            raw.close()
    if produced != info.file_size:
        raise ArchiveError(
            f"The member {name!r} holds {produced} bytes but its header declares "
            f"{info.file_size}; the archive is truncated or damaged."
        )
    if crc != info.CRC:
        raise ArchiveError(f"The member {name!r} fails its CRC check; the archive is damaged.")


def _check_progress(name, info, produced, consumed, limit_name, limit, budget) -> None:
    if produced > info.file_size:
        raise ArchiveError(
            f"The member {name!r} decompresses to more than the {info.file_size} bytes its "
            "header declares; the archive is damaged or hostile."
        )
    if produced > limit:
        raise limits.LimitError(
            f"The member {name!r} is larger than limits.{limit_name}={limit} bytes."
        )
    if budget.used > limits.MAX_ARCHIVE_BYTES:
        raise limits.LimitError(
            f"Reading {name!r} passes limits.MAX_ARCHIVE_BYTES={limits.MAX_ARCHIVE_BYTES} "
            "bytes for the whole archive."
        )
    if produced > limits.EXPANSION_FLOOR and produced > limits.MAX_EXPANSION * max(consumed, 1):
        raise limits.LimitError(
            f"The member {name!r} expands more than limits.MAX_EXPANSION="
            f"{limits.MAX_EXPANSION}-fold; refusing a probable zip bomb."
        )


class _RawReader:
    """The compressed bytes of one member, read straight from the archive's file.

    It seeks ``zf.fp`` before every read, so other reads of the same
    ``ZipFile`` in between do no harm; it is not for use from two threads at
    once (each load opens its own ``ZipFile``).
    """

    def __init__(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo):
        self.name = info.filename
        self.consumed = 0
        self._fp = zf.fp
        if self._fp is None:
            raise ArchiveError(f"The archive is closed; cannot read {self.name!r}.")
        try:
            self._fp.seek(info.header_offset)
            head = self._fp.read(_LOCAL_HEADER.size)
            if len(head) != _LOCAL_HEADER.size or head[:4] != _LOCAL_MAGIC:
                raise ArchiveError(f"The member {self.name!r} has no valid local zip header.")
            fields = _LOCAL_HEADER.unpack(head)
            if fields[3] & (_ENCRYPTED | _STRONG_ENCRYPTION):
                raise ArchiveError(
                    f"The member {self.name!r} is encrypted; .keras archives never are."
                )
            self._pos = info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11]
        except BaseException:
            self.close()
            raise
        self._left = info.compress_size

    def read(self, n: int = _RAW_CHUNK) -> bytes:
        """Up to ``n`` further compressed bytes; b"" once the member's data is used up."""
        n = min(n, self._left)
        if n <= 0:
            return b""
        self._fp.seek(self._pos)
        data = self._fp.read(n)
        if not data:
            raise ArchiveError(f"The archive ends inside the member {self.name!r}.")
        self._pos += len(data)
        self._left -= len(data)
        self.consumed += len(data)
        return data

    def close(self) -> None:
        self._fp = None  # the ZipFile owns and closes the file


def _inflate(raw: _RawReader, method: int, name: str) -> Iterator[bytes]:
    if method == zipfile.ZIP_STORED:
        while data := raw.read(CHUNK):
            yield data
        return
    if method == zipfile.ZIP_DEFLATED:
        yield from _inflate_zlib(raw, name)
        return
    if method == zipfile.ZIP_BZIP2:
        decompressor = bz2.BZ2Decompressor()
    else:
        decompressor = _lzma_decompressor(raw, name)
    while not decompressor.eof:
        data = raw.read() if decompressor.needs_input else b""
        out = decompressor.decompress(data, CHUNK)
        if not out and not data and decompressor.needs_input:
            raise ArchiveError(f"The compressed data of the member {name!r} is truncated.")
        if out:
            yield out


def _inflate_zlib(raw: _RawReader, name: str) -> Iterator[bytes]:
    decompressor = zlib.decompressobj(-15)
    while not decompressor.eof:
        data = decompressor.unconsumed_tail or raw.read()
        out = decompressor.decompress(data, CHUNK)
        if not out and not data:
            raise ArchiveError(f"The compressed data of the member {name!r} is truncated.")
        if out:
            yield out


def _lzma_decompressor(raw: _RawReader, name: str):
    # A zip LZMA member starts with a version (2 bytes), a properties size (2 bytes)
    # and the LZMA1 properties, then the raw stream.
    head = raw.read(4)
    if len(head) < 4:
        raise ArchiveError(f"The LZMA header of the member {name!r} is truncated.")
    (size,) = struct.unpack("<H", head[2:4])
    props = raw.read(size)
    if len(props) != size:
        raise ArchiveError(f"The LZMA header of the member {name!r} is truncated.")
    try:
        decoded = lzma._decode_filter_properties(lzma.FILTER_LZMA1, props)
    except (lzma.LZMAError, ValueError) as e:
        raise ArchiveError(f"The LZMA header of the member {name!r} is invalid: {e}") from e
    return lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[decoded])
