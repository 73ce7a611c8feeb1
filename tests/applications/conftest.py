"""Fixtures for the applications tests: an isolated Keras cache shared by ketorch and real
Keras, no outside network, and a tiny local HTTP server to download weight files from."""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(autouse=True)
def no_outside_network(monkeypatch):
    """Only 127.0.0.1 can be reached: no test downloads real weights."""
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
    (home / "models").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(home))
    return home


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = self.server.files.get(self.path.lstrip("/"))
        self.server.requests.append(self.path.lstrip("/"))
        if body is None:
            self.send_error(404, "no such file")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def file_server():
    """Serves ``server.files[name]`` at ``server.base_url + name``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.files, server.requests = {}, []
    server.base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.daemon = True
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
