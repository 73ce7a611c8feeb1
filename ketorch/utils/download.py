"""Streaming an URL into a file beside its final place, resuming after a dropped connection.

`download_to` writes into a hidden ``.part`` file in the destination folder and
returns its path only when every byte announced by the server arrived; the
caller checks the hash and renames it into place. When the connection drops
midway the download goes on from where it stopped (an HTTP ``Range`` request)
a few times; whatever happens, a failed download removes its ``.part`` file.
"""

from __future__ import annotations

import http.client
import os
import re
import urllib.error
import urllib.request
import uuid

from ketorch.utils.progbar import Progbar

__all__ = ["DownloadError", "download_to"]

_CHUNK = 1 << 16
_TIMEOUT_S = 60.0
_MAX_RESUMES = 4


class DownloadError(OSError):
    """The file could not be fetched (no network, HTTP error, connection dropped for good)."""


class _Dropped(Exception):
    """The connection ended before the announced length arrived."""


def _open_part_file(folder: str, name: str) -> str:
    path = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:12]}.part")
    # os.open honours the umask, so the final file gets the usual permissions.
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    return path


def _content_range_start(response) -> int | None:
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", "") or "")
    return int(match.group(1)) if match else None


def _fetch_once(origin: str, part: str, done: int, bar_state: dict) -> int:
    """Appends (or rewrites) `part` from byte `done` on; returns the total size written."""
    request = urllib.request.Request(origin, headers={"User-Agent": "ketorch"})
    if done:
        request.add_header("Range", f"bytes={done}-")
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
        status = getattr(response, "status", None)
        if done and (status != 206 or _content_range_start(response) != done):
            done = 0  # the server ignored the range: start over
        length = response.headers.get("Content-Length")
        expected = done + int(length) if length and length.isdigit() else None
        if bar_state.get("total") is None and expected is not None:
            bar_state["total"] = expected
        with open(part, "r+b" if done else "wb") as out:
            out.seek(done)
            out.truncate()
            while True:
                try:
                    chunk = response.read(_CHUNK)
                except (TimeoutError, http.client.IncompleteRead, ConnectionError) as e:
                    raise _Dropped(done) from e
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                _show(bar_state, done)
    if expected is not None and done < expected:
        raise _Dropped(done)
    return done


def _show(bar_state: dict, done: int) -> None:
    if not bar_state.get("verbose"):
        return
    if bar_state.get("bar") is None:
        bar_state["bar"] = Progbar(bar_state.get("total"), unit_name="byte")
    bar_state["bar"].update(done)


def download_to(origin: str, folder: str, name: str, verbose: bool = True) -> str:
    """Downloads `origin` into a new hidden ``.part`` file in `folder` and returns its path.

    Raises:
        DownloadError: With the reason, when the download cannot be completed.
    """
    part = _open_part_file(folder, name)
    bar_state: dict = {"verbose": verbose, "total": None, "bar": None}
    done = 0
    try:
        for attempt in range(_MAX_RESUMES + 1):
            try:
                _fetch_once(origin, part, done, bar_state)
                return part
            except _Dropped as dropped:
                progressed = dropped.args[0] > done
                done = dropped.args[0]
                if attempt == _MAX_RESUMES or not progressed:
                    raise DownloadError(
                        f"the connection closed after {done} bytes"
                        + (f" of {bar_state['total']}" if bar_state["total"] else "")
                    ) from None
    except urllib.error.HTTPError as e:
        _remove(part)
        raise DownloadError(f"HTTP error {e.code}: {e.reason}") from e
    except urllib.error.URLError as e:
        _remove(part)
        raise DownloadError(str(e.reason)) from e
    except (DownloadError, OSError, http.client.HTTPException) as e:
        _remove(part)
        if isinstance(e, DownloadError):
            raise
        raise DownloadError(f"{type(e).__name__}: {e}") from e
    except BaseException:  # KeyboardInterrupt included: never leave the part file
        _remove(part)
        raise
    raise AssertionError("unreachable")


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
