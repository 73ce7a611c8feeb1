"""RemoteMonitor: POST the epoch logs to a server."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from .callback import Callback


class RemoteMonitor(Callback):
    """Sends ``{"epoch": ..., **logs}`` to ``root + path`` at every epoch end.

    By default the JSON text is sent as the form field ``field``
    (``application/x-www-form-urlencoded``); with ``send_as_json=True`` it is
    the request body (``application/json``). Uses only the standard library.

    Args:
        root: Server root URL.
        path: Path appended to ``root``.
        field: Name of the form field holding the JSON text.
        headers: Optional extra HTTP headers.
        send_as_json: Send the logs as a JSON body instead of a form field.

    Example:
        >>> import ketorch as keras
        >>> monitor = keras.callbacks.RemoteMonitor(root="http://localhost:9000")
    """

    _chief_only = True  # under DataParallel only rank 0 runs it (it writes files)

    def __init__(
        self,
        root: str = "http://localhost:9000",
        path: str = "/publish/epoch/end/",
        field: str = "data",
        headers: dict | None = None,
        send_as_json: bool = False,
    ) -> None:
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        payload = {"epoch": epoch}
        for key, value in (logs or {}).items():
            payload[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(payload).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(payload)}).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(
            self.root + self.path, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except (urllib.error.URLError, OSError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
