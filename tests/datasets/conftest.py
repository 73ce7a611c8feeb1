"""Fixtures for the data set and `get_file` tests: an isolated Keras cache, no outside
network, and a local HTTP server whose connections can be made to drop midway."""

from __future__ import annotations

import os
import re
import socket
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(autouse=True)
def no_outside_network(monkeypatch):
    """Only 127.0.0.1 can be reached: a test never downloads a real data set."""
    real_urlopen = urllib.request.urlopen

    def local_only(url, *args, **kwargs):
        full = url.full_url if isinstance(url, urllib.request.Request) else url
        if not full.startswith("http://127.0.0.1:"):
            raise urllib.error.URLError(f"network disabled in tests ({full})")
        return real_urlopen(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", local_only)


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """A fresh cache folder that both ketorch and real Keras use as ``~/.keras``."""
    import keras.src.backend.config as keras_config

    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(home))
    return home


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        state = self.server.state
        name = self.path.lstrip("/")
        wanted = self.headers.get("Range")
        with state.lock:
            state.requests.append((name, wanted))
            seen = sum(1 for n, _ in state.requests if n == name)
        if name not in state.files:
            self.send_error(404, "no such file")
            return
        body = state.files[name]
        mode = state.modes.get(name, "full")
        honours_range = mode in ("full", "drop_once")
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", wanted or "")
        if match and honours_range:
            start = int(match.group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        rest = body[start:]
        self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        drop = mode == "drop_always" or (mode in ("drop_once", "drop_once_no_range") and seen == 1)
        self.wfile.write(rest[: len(rest) // 2] if drop else rest)
        self.wfile.flush()
        self.close_connection = True


class FileServer:
    """Serves ``files[name]`` at ``url(name)``; ``modes[name]`` makes transfers misbehave:
    ``"drop_always"`` closes every connection halfway, ``"drop_once"`` only the first
    (and honours ``Range`` afterwards), ``"drop_once_no_range"`` drops the first and
    ignores ``Range``; ``requests`` records ``(name, Range header)`` of every request."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.modes: dict[str, str] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.state = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{name}"

    def hits(self, name: str) -> int:
        return sum(1 for n, _ in self.requests if n == name)

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def file_server():
    server = FileServer()
    yield server
    server.close()


@pytest.fixture
def dead_url():
    """An URL on a local port nobody listens on (like being offline)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
